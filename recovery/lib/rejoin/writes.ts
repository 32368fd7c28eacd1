/**
 * Did the old primary take writes after the serving cluster was detached? Such writes exist only on
 * the old cluster, and rejoin deletes it (keeping a final snapshot), so they must be counted before:
 * CloudWatch AWS/ElastiCache SetTypeCmds (write commands), Sum, per node of the old group, in the old
 * group's region, from the detach until now.
 */
import { DescribeEventsCommand } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { callAws } from "../errors";
import { getMetricPages, nodeMetricRequests } from "../lag";

export const WRITES_METRIC = "SetTypeCmds";
/** AWS keeps ElastiCache events for 14 days. */
const EVENT_RETENTION_MS = 14 * 24 * 60 * 60_000;
/** The detach events of one detach fall within this span (started, then completed). */
const ONE_DETACH_MS = 24 * 60 * 60_000;

export interface DetachTime {
    at: number;
    source: string;
}

/**
 * When the serving group left the old datastore, from its events in its own region. AWS does not
 * document the wording of these events, so any event of the group that mentions a disassociation
 * counts, and the earliest of the last detach is taken (the window is then the longest, never too short).
 */
export async function detachTimeFromEvents(clients: RegionClients, region: string, groupId: string, nowMs: number, signal?: AbortSignal): Promise<DetachTime | undefined> {
    const matches: number[] = [];
    let marker: string | undefined;
    do {
        const page = await callAws({ region, service: "elasticache", operation: "DescribeEvents" }, () => clients.elastiCache(region).send(new DescribeEventsCommand({
            SourceType: "replication-group", SourceIdentifier: groupId, StartTime: new Date(nowMs - EVENT_RETENTION_MS), EndTime: new Date(nowMs), Marker: marker,
        }), { abortSignal: signal }));
        for (const event of page.Events ?? []) {
            if (/disassociat/i.test(event.Message ?? "") && event.Date) {
                matches.push(event.Date.getTime());
            }
        }
        marker = page.Marker;
    } while (marker);
    if (matches.length === 0) {
        return undefined;
    }
    const last = Math.max(...matches);
    const first = Math.min(...matches.filter((at) => at >= last - ONE_DETACH_MS));
    return { at: first, source: `the events of ${groupId} in ${region} (DescribeEvents)` };
}

export interface WritesSince {
    /** Undefined when CloudWatch had no datapoint at all: the count is unknown. */
    count: number | undefined;
    windowStart: string;
    windowEnd: string;
    source: string;
}

/** Sums SetTypeCmds over every node and the whole window. Hour-long periods past a day keep the datapoint count low. */
export async function writesSince(clients: RegionClients, region: string, groupId: string, nodeIds: readonly string[], fromMs: number, nowMs: number,
    signal?: AbortSignal): Promise<WritesSince> {
    const requests = nodeMetricRequests(WRITES_METRIC, "Sum", nodeIds, fromMs, nowMs);
    const period = nowMs - fromMs > ONE_DETACH_MS ? 3600 : 60;
    requests.forEach((r) => r.MetricDataQueries!.forEach((q) => (q.MetricStat!.Period = period)));
    const pages = await callAws({ region, service: "cloudwatch", operation: "GetMetricData" }, () => getMetricPages(clients.cloudWatch(region), requests, signal));
    let count: number | undefined;
    for (const result of pages.flatMap((p) => p.MetricDataResults ?? [])) {
        for (const value of result.Values ?? []) {
            count = (count ?? 0) + value;
        }
    }
    return {
        count, windowStart: new Date(fromMs).toISOString(), windowEnd: new Date(nowMs).toISOString(),
        source: `CloudWatch AWS/ElastiCache ${WRITES_METRIC}, Sum over every node of ${groupId}, in ${region}`,
    };
}

/** The refusal (or, with --accept-lost-writes, the warning) when writes may be lost. Undefined when none were taken. */
export function lostWritesMessage(w: WritesSince, groupId: string, finalSnapshotPrefix: string): string | undefined {
    if (w.count === 0) {
        return undefined;
    }
    const what = w.count === undefined
        ? `whether ${groupId} took writes from ${w.windowStart} to ${w.windowEnd} is unknown: ${w.source} has no datapoint in that window`
        : `${groupId} took ${w.count} write commands from ${w.windowStart} (the detach) to ${w.windowEnd} (${w.source})`;
    return `${what}. Those writes are not in the serving cluster; once rejoin deletes ${groupId} they survive only in its final snapshot ` +
        `(${finalSnapshotPrefix}...)`;
}
