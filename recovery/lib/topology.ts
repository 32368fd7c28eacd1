/**
 * Discovery of the deployed Global Datastore: its id and status, and each member's region, role and
 * status, asked of AWS region by region. It works with whatever still answers: ids come from the stack
 * outputs when the state backend answers, otherwise from the configuration through the program's own
 * naming; regions are asked in the caller's order (the promotion target first), and `onlyRegions`
 * keeps a failed region out of it entirely.
 */
import {
    DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand, ElastiCacheClient, GlobalReplicationGroup,
} from "@aws-sdk/client-elasticache";
import { StackConfig, memberRegions } from "../../components/config/types";
import { globalDatastoreSuffix, replicationGroupId } from "../../components/naming";
import { AwsCallError, callAws } from "./errors";
import { StackDriver, StackOutputs } from "./stack-driver";

/** UNKNOWN when AWS reports no role we know: it must never be taken for a secondary. */
export type MemberRole = "PRIMARY" | "SECONDARY" | "UNKNOWN";

export interface TopologyMember {
    region: string;
    replicationGroupId: string;
    role: MemberRole;
    /** The member's status in the datastore (associated, associating, disassociating, ...). */
    memberStatus: string;
    /** The replication group's own status, when its region was asked and answered. */
    replicationGroupStatus?: string;
}

export interface Topology {
    globalDatastoreId: string;
    /** creating | modifying | available | deleting | primary-only. */
    status: string;
    members: TopologyMember[];
    /** Where the ids looked for came from. */
    source: "outputs" | "config";
    /** Regions asked, in order. */
    regionsAsked: string[];
    /** Calls that failed (region unreachable, denied, ...), with the reason in operator's words. */
    failures: { region: string; error: string }[];
}

/** The ids to look for: the datastore's when known, and every member's replication group by region. */
export interface ExpectedIds {
    source: "outputs" | "config";
    /** Known only from the outputs; AWS prefixes the suffix with a region code, so it cannot be derived. */
    globalDatastoreId?: string;
    /** The suffix every matching datastore id ends with. */
    suffix?: string;
    replicationGroupIds: Record<string, string>;
}

export interface DiscoverOptions {
    /** One ElastiCache client per region; tests inject mocked clients. */
    clientsFor: (region: string) => ElastiCacheClient;
    /** The ids to look for, when the caller has settled them. Default: from `driver`, else from `config`. */
    ids?: ExpectedIds;
    /** Reads the stack outputs when it can. Default: none, ids come from `config`. */
    driver?: StackDriver;
    /** The validated configuration, used when the outputs are out of reach. */
    config?: StackConfig;
    /** Regions to ask first, in this order (the promotion target first). Default: the member regions. */
    regionOrder?: string[];
    /** Ask these regions and no others (during an outage: only the target). Default: every member region. */
    onlyRegions?: string[];
}

export class TopologyError extends Error {
    constructor(message: string) {
        super(message);
        this.name = "TopologyError";
    }
}

/** Ids from the stack outputs `globalDatastoreId` and `regions{...}.replicationGroupId`, if both are there. */
export function idsFromOutputs(outputs: StackOutputs): ExpectedIds | undefined {
    const id = outputs.globalDatastoreId?.value;
    const regions = outputs.regions?.value;
    if (typeof id !== "string" || !id || typeof regions !== "object" || regions === null) {
        return undefined;
    }
    const replicationGroupIds = Object.fromEntries(Object.entries(regions as Record<string, { replicationGroupId?: unknown }>)
        .filter(([, r]) => typeof r?.replicationGroupId === "string")
        .map(([region, r]) => [region, String(r.replicationGroupId)]));
    return Object.keys(replicationGroupIds).length ? { source: "outputs", globalDatastoreId: id, replicationGroupIds } : undefined;
}

/** Ids the program gives the deployment, from the configuration alone (components/naming.ts). */
export function idsFromConfig(config: StackConfig): ExpectedIds {
    return {
        source: "config",
        suffix: globalDatastoreSuffix(config),
        replicationGroupIds: Object.fromEntries(memberRegions(config).map((region) => [region, replicationGroupId(config, region)])),
    };
}

/** Regions to ask, in order: the preferred ones first, then the rest, limited to `onlyRegions`. */
export function regionsToAsk(memberRegionList: readonly string[], regionOrder: readonly string[] = [], onlyRegions?: readonly string[]): string[] {
    const ordered = [...new Set([...regionOrder, ...memberRegionList])];
    return onlyRegions ? ordered.filter((r) => onlyRegions.includes(r)).concat(onlyRegions.filter((r) => !ordered.includes(r))) : ordered;
}

/**
 * Where the ids from the stack outputs (the last deployment) and from the configuration (what the
 * program would name things now) disagree, in words; empty when they agree. The configuration only
 * knows the datastore's suffix, so the datastore id agrees when it ends with it.
 */
export function idDisagreements(fromOutputs: ExpectedIds, fromConfig: ExpectedIds): string[] {
    const found: string[] = [];
    if (fromOutputs.globalDatastoreId && fromConfig.suffix && !fromOutputs.globalDatastoreId.endsWith(`-${fromConfig.suffix}`)) {
        found.push(`the outputs name datastore ${fromOutputs.globalDatastoreId}, the configuration a datastore whose id ends with -${fromConfig.suffix}`);
    }
    const regions = [...new Set([...Object.keys(fromConfig.replicationGroupIds), ...Object.keys(fromOutputs.replicationGroupIds)])];
    for (const region of regions) {
        const output = fromOutputs.replicationGroupIds[region];
        const configured = fromConfig.replicationGroupIds[region];
        if (output !== configured) {
            found.push(`in ${region} the outputs name ${output ?? "no replication group"}, the configuration ${configured ?? "no replication group"}`);
        }
    }
    return found;
}

async function expectedIds(opts: DiscoverOptions): Promise<{ ids: ExpectedIds; outputsProblem?: string }> {
    if (opts.ids) {
        return { ids: opts.ids };
    }
    let outputsProblem: string | undefined;
    if (opts.driver) {
        try {
            const ids = idsFromOutputs(await opts.driver.outputs());
            if (ids) {
                return { ids };
            }
            outputsProblem = "the stack outputs have no globalDatastoreId and regions";
        } catch (e) {
            outputsProblem = `the stack outputs could not be read: ${(e as Error).message}`;
        }
    }
    if (!opts.config) {
        throw new TopologyError(`cannot tell which datastore to look for: ${outputsProblem ?? "no stack driver was given"}, ` +
            "and no stack configuration was given to derive the ids from. Give the configuration (for example from Pulumi.<stack>.yaml).");
    }
    return { ids: idsFromConfig(opts.config), outputsProblem };
}

function describeLookedFor(ids: ExpectedIds): string {
    const datastore = ids.globalDatastoreId ? `datastore ${ids.globalDatastoreId}` : `a datastore whose id ends with -${ids.suffix}`;
    return `${datastore} with members ${Object.entries(ids.replicationGroupIds).map(([region, id]) => `${id} (${region})`).join(", ")}`;
}

/** The datastore that is ours among those a region lists: by id, or by suffix and member ids. */
export function matchDatastore(candidates: readonly GlobalReplicationGroup[], ids: ExpectedIds): GlobalReplicationGroup | undefined {
    if (ids.globalDatastoreId) {
        return candidates.find((g) => g.GlobalReplicationGroupId === ids.globalDatastoreId);
    }
    const ours = new Set(Object.values(ids.replicationGroupIds));
    const matches = candidates.filter((g) => g.GlobalReplicationGroupId?.endsWith(`-${ids.suffix}`) &&
        (g.Members ?? []).some((m) => m.ReplicationGroupId !== undefined && ours.has(m.ReplicationGroupId)));
    if (matches.length > 1) {
        throw new TopologyError(`more than one datastore matches ${describeLookedFor(ids)}: ` +
            `${matches.map((g) => g.GlobalReplicationGroupId).join(", ")}. Take the id from the stack outputs (globalDatastoreId).`);
    }
    return matches[0];
}

/** The datastores a region lists (only `id` when given); none when AWS says it does not know `id`. */
async function listDatastores(region: string, client: ElastiCacheClient, id?: string): Promise<GlobalReplicationGroup[]> {
    const found: GlobalReplicationGroup[] = [];
    let marker: string | undefined;
    do {
        try {
            const page = await callAws({ region, service: "elasticache", operation: "DescribeGlobalReplicationGroups" },
                () => client.send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: id, ShowMemberInfo: true, Marker: marker })));
            found.push(...(page.GlobalReplicationGroups ?? []));
            marker = page.Marker;
        } catch (e) {
            if (e instanceof AwsCallError && e.kind === "not-found") {
                return found;
            }
            throw e;
        }
    } while (marker);
    return found;
}

/** Finds the datastore and its members, asking only regions that may be asked. */
export async function discoverTopology(opts: DiscoverOptions): Promise<Topology> {
    const { ids, outputsProblem } = await expectedIds(opts);
    const regions = regionsToAsk(Object.keys(ids.replicationGroupIds), opts.regionOrder, opts.onlyRegions);
    const failures: Topology["failures"] = [];
    const regionsAsked: string[] = [];
    let datastore: GlobalReplicationGroup | undefined;
    const errors: AwsCallError[] = [];
    for (const region of regions) {
        regionsAsked.push(region);
        try {
            datastore = matchDatastore(await listDatastores(region, opts.clientsFor(region), ids.globalDatastoreId), ids);
        } catch (e) {
            if (!(e instanceof AwsCallError)) {
                throw e;
            }
            errors.push(e);
            failures.push({ region, error: e.message });
        }
        if (datastore) {
            break;
        }
    }
    // When no region answered for want of credentials or permission, that is the whole story: saying
    // "no datastore found" would send the engineer looking for the wrong problem.
    const who = errors[0]?.kind;
    if (!datastore && errors.length === regions.length && (who === "credentials" || who === "access-denied") && errors.every((e) => e.kind === who)) {
        throw errors[0];
    }
    if (!datastore?.GlobalReplicationGroupId) {
        throw new TopologyError(`no Global Datastore found: looked for ${describeLookedFor(ids)} (ids from the stack ${ids.source}` +
            `${outputsProblem ? `, because ${outputsProblem}` : ""}); asked ${regionsAsked.join(", ") || "no region"}` +
            `${failures.length ? `; no answer from ${failures.map((f) => `${f.region} (${f.error})`).join(", ")}` : ""}.`);
    }
    const members = await describeMembers(datastore, regions, opts.clientsFor, regionsAsked, failures);
    return { globalDatastoreId: datastore.GlobalReplicationGroupId, status: datastore.Status ?? "unknown", members, source: ids.source, regionsAsked, failures };
}

/** Each member as the datastore reports it, plus its replication group's status where its region may be asked. */
async function describeMembers(
    datastore: GlobalReplicationGroup, allowedRegions: readonly string[], clientsFor: (region: string) => ElastiCacheClient,
    regionsAsked: string[], failures: Topology["failures"],
): Promise<TopologyMember[]> {
    const members: TopologyMember[] = [];
    for (const m of datastore.Members ?? []) {
        if (!m.ReplicationGroupId || !m.ReplicationGroupRegion) {
            continue;
        }
        const member: TopologyMember = {
            region: m.ReplicationGroupRegion, replicationGroupId: m.ReplicationGroupId,
            role: m.Role === "PRIMARY" || m.Role === "SECONDARY" ? m.Role : "UNKNOWN", memberStatus: m.Status ?? "unknown",
        };
        if (allowedRegions.includes(member.region)) {
            if (!regionsAsked.includes(member.region)) {
                regionsAsked.push(member.region);
            }
            try {
                const answer = await callAws({ region: member.region, service: "elasticache", operation: "DescribeReplicationGroups" },
                    () => clientsFor(member.region).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: member.replicationGroupId })));
                member.replicationGroupStatus = answer.ReplicationGroups?.[0]?.Status;
            } catch (e) {
                if (!(e instanceof AwsCallError)) {
                    throw e;
                }
                failures.push({ region: member.region, error: e.message });
            }
        }
        members.push(member);
    }
    return members;
}
