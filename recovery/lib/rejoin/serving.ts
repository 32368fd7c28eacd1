/**
 * Which cluster kept serving through the outage. An outage run never changes the stack, so the stack's
 * primaryRegion may still name the failed region: the control plane decides. The serving cluster is
 * the program's replication group that is standalone and available; when more than one is (a rejoin
 * that detached the old secondaries, then stopped), the one the writer parameter of its own region
 * names.
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

/** Why no cluster can serve: the most useful explanation first. */
async function noServingCluster(config: StackConfig, groups: Map<string, TargetGroupState | undefined>, clientsFor: ClientsFor, signal?: AbortSignal): Promise<RefusedError> {
    const described = [...groups].map(([region, g]) => `${region}: ${g ? `${g.replicationGroupId} ${g.status}, ` +
        `${g.datastoreId ? `${g.role} of ${g.datastoreId}` : "standalone"}` : "no group"}`).join("; ");
    const primary = [...groups].find(([, g]) => g?.datastoreId && g.role === "PRIMARY");
    if (primary) {
        const [region, group] = primary;
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeGlobalReplicationGroups" },
            () => clientsFor(region).send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: group!.datastoreId, ShowMemberInfo: true }), { abortSignal: signal }));
        const members = answer.GlobalReplicationGroups?.[0]?.Members ?? [];
        const joining = members.length < memberRegions(config).length || members.some((m) => m.Status !== "associated");
        const reconcile = `retarget-primary --stack ${config.stack} --to ${region} --mode planned --reconcile-only`;
        return new RefusedError(joining
            ? `no standalone cluster to rebuild around: ${group!.replicationGroupId} in ${region} is already PRIMARY of ${group!.datastoreId}, ` +
              `whose secondaries are still joining (${members.map((m) => `${m.ReplicationGroupRegion} ${m.Status}`).join(", ")}). ` +
              `The rebuild is under way: wait until every secondary is associated (aws elasticache describe-global-replication-groups ` +
              `--show-member-info --region ${region}), then run ${reconcile} to finish the stack update.`
            : `no standalone cluster to rebuild around: ${group!.replicationGroupId} in ${region} is PRIMARY of ${group!.datastoreId}, whose members ` +
              `are all associated, so the datastore is whole and rejoin has nothing to do. To bring the stack in line, run ${reconcile}. Groups: ${described}.`);
    }
    return new RefusedError(`no cluster is standalone and available to rebuild around (${described}). rejoin is for after ` +
        "retarget-primary --mode outage detached the target; if a detach is still under way, wait until the group is available and run rejoin again.");
}

export async function findServingCluster(config: StackConfig, groups: Map<string, TargetGroupState | undefined>, clients: RegionClients,
    signal?: AbortSignal): Promise<ServingCluster> {
    const clientsFor: ClientsFor = (r) => clients.elastiCache(r);
    const candidates = [...groups].filter(([, g]) => g && !g.datastoreId && g.status === "available" && g.endpoint)
        .map(([region, g]) => ({ region, group: g as ServingCluster["group"] }));
    if (candidates.length === 0) {
        throw await noServingCluster(config, groups, clientsFor, signal);
    }
    if (candidates.length === 1) {
        return { ...candidates[0], why: "the only standalone, available group of the stack" };
    }
    const named: typeof candidates = [];
    for (const c of candidates) {
        if (await writerRegionIn(clients, config, c.region, signal) === c.region) {
            named.push(c);
        }
    }
    if (named.length === 1) {
        return { ...named[0], why: `standalone and available, and the writer parameter in ${named[0].region} names it` };
    }
    throw new RefusedError(`more than one group is standalone and available (${candidates.map((c) => `${c.group.replicationGroupId} in ${c.region}`).join(", ")}), ` +
        `and the writer parameters do not single one out. Point ${writerParameterName(config)} in the serving region at the cluster that took ` +
        "the writes during the outage (aws ssm put-parameter ... --overwrite), then run rejoin again.");
}
