/**
 * Did the old primary take writes after the serving cluster was detached? Such writes exist only on
 * the old cluster, and rejoin deletes it (keeping a final snapshot), so they are counted first, from
 * CloudWatch in the old group's region:
 * - SetTypeCmds (write commands), Sum, per node and per 60 s period, of each shard's PRIMARY only.
 *   Replicas count again every write they replicate, and a DEL for every key that expires on their
 *   primary, so a sum over every node would overstate writes, and call an idle cluster busy.
 * - Which node is a shard's primary, per period: the per-node role metric (1 on the primary). The API
 *   cannot say: NodeGroupMember.CurrentRole is documented for cluster-mode-disabled groups only (this
 *   program runs cluster mode enabled), and it is the role now, not during the window, which an
 *   in-region failover may have changed. AWS lists the metric as IsPrimary, formerly IsMaster; both
 *   names are asked and either one answers.
 * - Coverage: every shard needs a primary with a datapoint in every period of the window. A period
 *   without one is not "no writes": a region that was down publishes nothing, and the newest minute or
 *   two are not published yet. Such a window leaves the count unknown, and the uncovered ranges are
 *   named.
 */
import { DescribeReplicationGroupsCommand } from "@aws-sdk/client-elasticache";
import { GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import { AwsCallError, callAws } from "../errors";
import { getMetricPages, nodeMetricRequests } from "../lag";
import { ClientsFor } from "../retarget/control-plane";

export const WRITES_METRIC = "SetTypeCmds";
export const ROLE_METRICS = ["IsPrimary", "IsMaster"] as const;
/** CloudWatch's finest period for these metrics; coverage is judged per period. */
export const PERIOD_MS = 60_000;
/** One shard (node group) and the cache cluster ids of its nodes. */
export interface Shard {
    id: string;
    nodes: string[];
}

/** A group whose writes are counted. */
export interface WriteCheckTarget {
    region: string;
    replicationGroupId: string;
    shards: Shard[];
}

/**
 * The group's shards as its region reports them; undefined when the group is gone or being deleted
 * (nothing left to count). A group that reports no node groups is counted as one shard of all its
 * nodes: the role metric still picks the primaries, only the per-shard coverage is coarser.
 */
export async function readWriteCheckTarget(clientsFor: ClientsFor, region: string, replicationGroupId: string, signal?: AbortSignal): Promise<WriteCheckTarget | undefined> {
    try {
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeReplicationGroups" },
            () => clientsFor(region).send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: replicationGroupId }), { abortSignal: signal }));
        const group = answer.ReplicationGroups?.[0];
        if (!group || group.Status === "deleting") {
            return undefined;
        }
        const shards = (group.NodeGroups ?? []).map((g) => ({
            id: g.NodeGroupId ?? "?", nodes: (g.NodeGroupMembers ?? []).flatMap((m) => (m.CacheClusterId ? [m.CacheClusterId] : [])),
        })).filter((s) => s.nodes.length > 0);
        return { region, replicationGroupId, shards: shards.length ? shards : [{ id: "all nodes", nodes: group.MemberClusters ?? [] }] };
    } catch (e) {
        if (e instanceof AwsCallError && e.kind === "not-found") {
            return undefined;
        }
        throw e;
    }
}

/** Consecutive periods in which the named shards have no primary datapoint; `to` is exclusive. */
export interface UncoveredRange {
    shards: string[];
    from: number;
    to: number;
}

export interface WriteCount {
    region: string;
    replicationGroupId: string;
    /** Write commands of the shard primaries over the covered periods (a lower bound when not complete). */
    counted: number;
    /** Every shard had a primary with a datapoint in every period of the window. */
    complete: boolean;
    uncovered: UncoveredRange[];
    /** Start of the first period (the one holding the window's start). */
    windowStart: number;
    /** End of the last period (the one holding the window's end). */
    windowEnd: number;
    source: string;
}

type MetricClient = Parameters<typeof getMetricPages>[0];
type Series = Map<string, Map<number, number>>;

/** Values per node and period start, from pages of nodeMetricRequests (query ids node<i> name nodes[i]). */
function seriesByNode(pages: readonly GetMetricDataCommandOutput[], nodes: readonly string[], into: Series = new Map(), combine = (a: number, b: number) => a + b): Series {
    for (const result of pages.flatMap((p) => p.MetricDataResults ?? [])) {
        const node = nodes[Number((result.Id ?? "").replace(/^node/, ""))];
        if (node === undefined) {
            continue;
        }
        const series = into.get(node) ?? new Map<number, number>();
        (result.Values ?? []).forEach((value, i) => {
            const at = result.Timestamps?.[i]?.getTime();
            if (at !== undefined) {
                series.set(at, series.has(at) ? combine(series.get(at)!, value) : value);
            }
        });
        into.set(node, series);
    }
    return into;
}

/** Runs of consecutive uncovered periods per shard, then shards with identical runs put together. */
function uncoveredRanges(missing: Map<string, number[]>): UncoveredRange[] {
    const byRange = new Map<string, UncoveredRange>();
    for (const [shard, periods] of missing) {
        let start: number | undefined;
        periods.forEach((t, i) => {
            start ??= t;
            if (periods[i + 1] !== t + PERIOD_MS) {
                const key = `${start}-${t + PERIOD_MS}`;
                const range = byRange.get(key) ?? { shards: [], from: start, to: t + PERIOD_MS };
                range.shards.push(shard);
                byRange.set(key, range);
                start = undefined;
            }
        });
    }
    return [...byRange.values()].sort((a, b) => a.from - b.from || a.to - b.to);
}

/**
 * Counts the writes of each shard's primary in every 60 s period from the one holding `fromMs` to the
 * one holding `untilMs`, and says which periods CloudWatch does not cover.
 */
export async function countPrimaryWrites(cloudwatch: MetricClient, target: WriteCheckTarget, fromMs: number, untilMs: number, signal?: AbortSignal): Promise<WriteCount> {
    const first = Math.floor(fromMs / PERIOD_MS) * PERIOD_MS;
    const last = Math.floor(untilMs / PERIOD_MS) * PERIOD_MS;
    const nodes = target.shards.flatMap((s) => s.nodes);
    const read = (metric: string, stat: string) => callAws({ region: target.region, service: "cloudwatch", operation: "GetMetricData" },
        () => getMetricPages(cloudwatch, nodeMetricRequests(metric, stat, nodes, first, last + PERIOD_MS), signal));
    const writes = seriesByNode(await read(WRITES_METRIC, "Sum"), nodes);
    const roles: Series = new Map();
    for (const metric of ROLE_METRICS) {
        seriesByNode(await read(metric, "Maximum"), nodes, roles, Math.max);
    }
    let counted = 0;
    const missing = new Map<string, number[]>();
    for (const shard of target.shards) {
        for (let t = first; t <= last; t += PERIOD_MS) {
            // A failover inside the minute shows two primaries: both count, which can only overstate.
            const primaries = shard.nodes.filter((n) => (roles.get(n)?.get(t) ?? 0) >= 1);
            const values = primaries.map((n) => writes.get(n)?.get(t));
            if (primaries.length === 0 || values.some((v) => v === undefined)) {
                missing.set(shard.id, [...(missing.get(shard.id) ?? []), t]);
            } else {
                counted += values.reduce<number>((sum, v) => sum + (v ?? 0), 0);
            }
        }
    }
    return {
        region: target.region, replicationGroupId: target.replicationGroupId, counted, complete: missing.size === 0,
        uncovered: uncoveredRanges(missing), windowStart: first, windowEnd: last + PERIOD_MS,
        source: `CloudWatch AWS/ElastiCache ${WRITES_METRIC} (Sum per 60 s) of each shard's primary (${ROLE_METRICS.join(" or ")} = 1) ` +
            `of ${target.replicationGroupId}, in ${target.region}`,
    };
}

/** Whether the newest period of the window is covered for every shard: what waiting for CloudWatch can fix. */
export function newestPeriodCovered(count: WriteCount): boolean {
    return !count.uncovered.some((r) => r.to === count.windowEnd);
}

const iso = (ms: number) => new Date(ms).toISOString();

/** "shard 0001, 0002 from 10:05Z to 10:15Z; shard 0003 from ..." */
export function describeUncovered(ranges: readonly UncoveredRange[]): string {
    return ranges.map((r) => `${r.shards.length > 1 ? "shards" : "shard"} ${r.shards.join(", ")} from ${iso(r.from)} to ${iso(r.to)}`).join("; ");
}

/** The count in one sentence, and whether it stands in the way (writes taken, or it cannot be told). */
export function judgeWrites(c: WriteCount): { lost: boolean; text: string } {
    const window = `from ${iso(c.windowStart)} to ${iso(c.windowEnd)}`;
    const gaps = `CloudWatch has no datapoint of a shard primary for ${describeUncovered(c.uncovered)} ` +
        "(the region published nothing then, or has not published it yet), and those minutes may hold writes";
    if (c.complete && c.counted === 0) {
        return { lost: false, text: `${c.replicationGroupId} took no writes ${window}: its shard primaries ran 0 write commands in every minute (${c.source})` };
    }
    if (c.counted > 0) {
        return { lost: true, text: `${c.replicationGroupId} took ${c.counted} write commands ${window} on its shard primaries (${c.source})` +
            (c.complete ? "" : `; more may be missing: ${gaps}`) };
    }
    return { lost: true, text: `whether ${c.replicationGroupId} took writes ${window} is unknown: ${gaps} (${c.source})` };
}
