/**
 * Which cluster kept serving through the outage. An outage run never changes the stack, so the stack's
 * primaryRegion may still name the failed region: the control plane decides. The serving cluster is
 * the program's replication group that is standalone and available; when more than one is (a rejoin
 * that detached the old secondaries, then stopped), the one the writer parameter of its own region
 * names. When none is standalone because an earlier rejoin's stack update already created the new
 * datastore around it, that datastore is returned instead, so a rerun can finish the update.
 */
import { DescribeGlobalReplicationGroupsCommand } from "@aws-sdk/client-elasticache";
import { GetParameterCommand } from "@aws-sdk/client-ssm";
import { StackConfig, memberRegions } from "../../../components/config/types";
import { replicationGroupId, writerParameterName } from "../../../components/naming";
import { RegionClients } from "../clients";
import { AwsCallError, callAws } from "../errors";
import { ClientsFor, readTargetGroup } from "../retarget/control-plane";
import { TargetGroupState } from "../retarget/decide";
import { RefusedError } from "../retarget/preflight";

export interface ServingCluster {
    region: string;
    group: TargetGroupState & { endpoint: { address: string; port: number } };
    /** How it was told apart, for the narrative. */
    why: string;
}

/** The program's group in each member region; a region that does not answer stops rejoin, which needs them all. */
export async function readMemberGroups(config: StackConfig, clientsFor: ClientsFor, signal?: AbortSignal): Promise<Map<string, TargetGroupState | undefined>> {
    const groups = new Map<string, TargetGroupState | undefined>();
    const failures: string[] = [];
    for (const region of memberRegions(config)) {
        try {
            groups.set(region, await readTargetGroup(clientsFor, region, replicationGroupId(config, region), signal));
        } catch (e) {
            if (!(e instanceof AwsCallError)) {
                throw e;
            }
            failures.push(`${region}: ${e.message}`);
        }
    }
    if (failures.length) {
        throw new RefusedError(`not every old region answers yet (${failures.join("; ")}); rejoin needs them all. Run it again once they answer.`);
    }
    return groups;
}

/** The writer document's region in `region`, or undefined when the parameter is missing or unreadable. */
async function writerRegionIn(clients: RegionClients, config: StackConfig, region: string, signal?: AbortSignal): Promise<string | undefined> {
    try {
        const answer = await callAws({ region, service: "ssm", operation: "GetParameter" },
            () => clients.ssm(region).send(new GetParameterCommand({ Name: writerParameterName(config) }), { abortSignal: signal }));
        const named = (JSON.parse(answer.Parameter?.Value ?? "{}") as { region?: unknown }).region;
        return typeof named === "string" ? named : undefined;
    } catch (e) {
        if (e instanceof AwsCallError || e instanceof SyntaxError) {
            return undefined;
        }
        throw e;
    }
}

/** The datastore an earlier rejoin's stack update started around the serving cluster (or one made by hand). */
export interface RebuiltDatastore {
    region: string;
    replicationGroupId: string;
    datastoreId: string;
    /** Members other than the primary, with their status. */
    secondaries: { region: string; status: string }[];
    /** Member regions of the stack that have no member yet. */
    missing: string[];
}

/** Either a standalone cluster to rebuild around, or a datastore already rebuilt around it. */
export type ServingState = { kind: "standalone"; serving: ServingCluster } | { kind: "rebuilt"; rebuilt: RebuiltDatastore };

/** The datastore the stack's PRIMARY group belongs to, as its region reports it; undefined when no group is PRIMARY. */
async function rebuiltAround(config: StackConfig, groups: Map<string, TargetGroupState | undefined>, clientsFor: ClientsFor, signal?: AbortSignal): Promise<RebuiltDatastore | undefined> {
    const primary = [...groups].find(([, g]) => g?.datastoreId && g.role === "PRIMARY");
    if (!primary) {
        return undefined;
    }
    const [region, group] = primary;
    const answer = await callAws({ region, service: "elasticache", operation: "DescribeGlobalReplicationGroups" },
        () => clientsFor(region).send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: group!.datastoreId, ShowMemberInfo: true }), { abortSignal: signal }));
    const members = answer.GlobalReplicationGroups?.[0]?.Members ?? [];
    const secondaries = members.filter((m) => m.ReplicationGroupRegion !== region).map((m) => ({ region: m.ReplicationGroupRegion ?? "?", status: m.Status ?? "unknown" }));
    return {
        region, replicationGroupId: group!.replicationGroupId, datastoreId: group!.datastoreId!, secondaries,
        missing: memberRegions(config).filter((r) => r !== region && !secondaries.some((m) => m.region === r)),
    };
}

/**
 * Whether rejoin may finish the stack update around a rebuilt datastore, or why not. It may when the
 * configuration already names the datastore's region as primary and founding region (rejoin writes
 * both before its update, so an interrupted update left exactly that) and no secondary is still
 * joining: an update started while the interrupted one's secondaries are being created would try to
 * create them again.
 */
export function rebuiltRefusal(config: StackConfig, rebuilt: RebuiltDatastore): RefusedError | undefined {
    const { region, replicationGroupId: id, datastoreId } = rebuilt;
    const joining = rebuilt.secondaries.filter((m) => m.status !== "associated");
    const describe = describeSecondaries(rebuilt);
    if (joining.length) {
        return new RefusedError(`the datastore is being rebuilt around ${id} in ${region}: it is PRIMARY of ${datastoreId}, whose secondaries ` +
            `are still joining (${describe}). Wait until every secondary is associated (aws elasticache describe-global-replication-groups ` +
            `--global-replication-group-id ${datastoreId} --show-member-info --region ${region}), then run rejoin again: it finishes the stack update. Nothing was changed.`);
    }
    if (config.primaryRegion === region && config.foundingRegion === region) {
        return undefined;
    }
    const reconcile = `retarget-primary --stack ${config.stack} --to ${region} --mode planned --reconcile-only`;
    return new RefusedError(`no standalone cluster to rebuild around: ${id} in ${region} is PRIMARY of ${datastoreId} (${describe}), and the ` +
        `stack's configuration names primaryRegion ${config.primaryRegion} and foundingRegion ${config.foundingRegion}, so this datastore was not ` +
        `rebuilt by rejoin. rejoin has nothing to retire; to bring the stack in line with the control plane, run ${reconcile}. Nothing was changed.`);
}

function describeSecondaries(rebuilt: RebuiltDatastore): string {
    return [...rebuilt.secondaries.map((m) => `${m.region} ${m.status}`), ...rebuilt.missing.map((r) => `${r} not a member`)].join(", ") || "no secondary";
}

function noServingCluster(groups: Map<string, TargetGroupState | undefined>): RefusedError {
    const described = [...groups].map(([region, g]) => `${region}: ${g ? `${g.replicationGroupId} ${g.status}, ` +
        `${g.datastoreId ? `${g.role} of ${g.datastoreId}` : "standalone"}` : "no group"}`).join("; ");
    return new RefusedError(`no cluster is standalone and available to rebuild around (${described}). rejoin is for after ` +
        "retarget-primary --mode outage detached the target; if a detach is still under way, wait until the group is available and run rejoin again.");
}

/**
 * The cluster to rebuild around, or the datastore an earlier run's update started around it. Throws
 * RefusedError when neither can be told.
 */
export async function findServingCluster(config: StackConfig, groups: Map<string, TargetGroupState | undefined>, clients: RegionClients,
    signal?: AbortSignal): Promise<ServingState> {
    const clientsFor: ClientsFor = (r) => clients.elastiCache(r);
    const candidates = [...groups].filter(([, g]) => g && !g.datastoreId && g.status === "available" && g.endpoint)
        .map(([region, g]) => ({ region, group: g as ServingCluster["group"] }));
    if (candidates.length === 0) {
        const rebuilt = await rebuiltAround(config, groups, clientsFor, signal);
        if (rebuilt) {
            return { kind: "rebuilt", rebuilt };
        }
        throw noServingCluster(groups);
    }
    if (candidates.length === 1) {
        return { kind: "standalone", serving: { ...candidates[0], why: "the only standalone, available group of the stack" } };
    }
    const named: typeof candidates = [];
    for (const c of candidates) {
        if (await writerRegionIn(clients, config, c.region, signal) === c.region) {
            named.push(c);
        }
    }
    if (named.length === 1) {
        return { kind: "standalone", serving: { ...named[0], why: `standalone and available, and the writer parameter in ${named[0].region} names it` } };
    }
    throw new RefusedError(`more than one group is standalone and available (${candidates.map((c) => `${c.group.replicationGroupId} in ${c.region}`).join(", ")}), ` +
        `and the writer parameters do not single one out. Point ${writerParameterName(config)} in the serving region at the cluster that took ` +
        "the writes during the outage (aws ssm put-parameter ... --overwrite), then run rejoin again.");
}
