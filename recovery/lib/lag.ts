/**
 * How much data a promotion may lose: the cross-region replication lag of the target, read from
 * CloudWatch in the target's own region (the only region certain to answer during an outage).
 *
 * GlobalDatastoreReplicationLag is published per node (dimension CacheClusterId = <rg>-<shard>-<node>),
 * and which nodes emit it changes with every in-region failover, so every node of the target group is
 * asked and the maximum is taken over all of them and over the whole window: the worst shard decides
 * what a promotion would lose.
 */
import { GetMetricDataCommand, GetMetricDataCommandInput, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";

export const LAG_METRIC = "GlobalDatastoreReplicationLag";
export const LAG_NAMESPACE = "AWS/ElastiCache";
/** How far back the estimate looks. */
export const LAG_WINDOW_MS = 5 * 60_000;
/**
 * How far back the last datapoint is looked for when the metric went silent: it is published only
 * while the secondary hears from the primary's region, so in an outage the last value before the
 * silence is all there is.
 */
export const LAG_LOOKBACK_MS = 3 * 60 * 60_000;
/**
 * CloudWatch's finest period for these metrics: ElastiCache measures and publishes every node metric
 * in 60-second intervals, one sample per node per period (ElastiCache User Guide, "Monitoring use
 * with CloudWatch Metrics" and "Choosing Metric Statistics and Periods").
 */
export const LAG_PERIOD_SECONDS = 60;
/**
 * How long after a period ends its datapoint can be read: "CloudWatch data is generally available
 * from the service within one minute from the end of the time period" (Amazon CloudWatch Developer
 * Guide, "Statistics"). AWS gives no upper bound; this is the usual delay, not a guarantee.
 */
const PUBLICATION_DELAY_MS = 60_000;
/**
 * A datapoint older than this means the metric stopped: four minutes. A datapoint is stamped with the
 * start of its period, so while the metric is live the newest readable one is between 2 and 3 minutes
 * old (one period to end, one minute of publication delay, and up to one more period until the next
 * one is readable); one further period is allowed to come late before the metric counts as silent.
 * It must stay below LAG_WINDOW_MS (5 minutes): every datapoint the window returns is younger than
 * that, so with a limit of 5 minutes or more a low value from just before the link stopped (0.2 s,
 * 4.5 minutes ago) would read as the lag now, and an outage run would promote without --force.
 */
export const LAG_STALE_AFTER_MS = 3 * LAG_PERIOD_SECONDS * 1000 + PUBLICATION_DELAY_MS;
/** GetMetricData takes at most this many queries per request. */
export const MAX_QUERIES_PER_REQUEST = 500;
// The default of --max-lag-seconds lives apart, so --help shows it without loading the CloudWatch client.
export { DEFAULT_MAX_LAG_SECONDS } from "./lag-limit";

/** The estimated data loss of promoting the target now, as it goes into the report. */
export interface LagEstimate {
    /** Worst lag seen in the window, in seconds; undefined when CloudWatch had no datapoint. */
    maxSeconds: number | undefined;
    /** Most recent datapoint, seconds; undefined when none. */
    latestSeconds: number | undefined;
    /** ISO time of the most recent datapoint. */
    latestAt: string | undefined;
    windowStart: string;
    windowEnd: string;
    datapoints: number;
    /**
     * Set when the metric stopped being published (no datapoint for LAG_STALE_AFTER_MS): then
     * maxSeconds is undefined, and this is the last datapoint seen, if any within LAG_LOOKBACK_MS.
     */
    silentSince?: { at: string; seconds: number } | "no datapoint";
    /** Where the number comes from, for a human: metric, statistic, region, replication group. */
    source: string;
}

export type LagVerdict =
    | { proceed: true; forced: boolean; message: string }
    | { proceed: false; message: string };

/**
 * One MetricStat query per node (`metric` of AWS/ElastiCache, dimension CacheClusterId), in requests
 * of at most MAX_QUERIES_PER_REQUEST queries. Nodes that do not publish the metric return no datapoints.
 */
export function nodeMetricRequests(metric: string, stat: string, nodeIds: readonly string[], startMs: number, endMs: number): GetMetricDataCommandInput[] {
    const requests: GetMetricDataCommandInput[] = [];
    for (let first = 0; first < nodeIds.length; first += MAX_QUERIES_PER_REQUEST) {
        requests.push({
            StartTime: new Date(startMs),
            EndTime: new Date(endMs),
            ScanBy: "TimestampDescending",
            // Ids must start with a lowercase letter; the node id goes into the label for readers of raw output.
            MetricDataQueries: nodeIds.slice(first, first + MAX_QUERIES_PER_REQUEST).map((node, i) => ({
                Id: `node${first + i}`,
                Label: node,
                MetricStat: {
                    Metric: { Namespace: LAG_NAMESPACE, MetricName: metric, Dimensions: [{ Name: "CacheClusterId", Value: node }] },
                    Period: LAG_PERIOD_SECONDS,
                    Stat: stat,
                },
                ReturnData: true,
            })),
        });
    }
    return requests;
}

/** The lag queries of the estimate window, batched (see nodeMetricRequests). */
export function lagQueryInputs(nodeIds: readonly string[], nowMs: number, windowMs = LAG_WINDOW_MS): GetMetricDataCommandInput[] {
    return nodeMetricRequests(LAG_METRIC, "Maximum", nodeIds, nowMs - windowMs, nowMs);
}

/** All the queries of the estimate window in one input, for up to MAX_QUERIES_PER_REQUEST nodes. */
export function lagQueryInput(nodeIds: readonly string[], nowMs: number, windowMs = LAG_WINDOW_MS): GetMetricDataCommandInput {
    return lagQueryInputs(nodeIds, nowMs, windowMs)[0] ?? { StartTime: new Date(nowMs - windowMs), EndTime: new Date(nowMs), MetricDataQueries: [] };
}

type MetricClient = { send(command: GetMetricDataCommand, options?: { abortSignal?: AbortSignal }): Promise<GetMetricDataCommandOutput> };

/** Sends each request, following NextToken, and returns every page. */
export async function getMetricPages(cloudwatch: MetricClient, requests: readonly GetMetricDataCommandInput[], signal?: AbortSignal): Promise<GetMetricDataCommandOutput[]> {
    const pages: GetMetricDataCommandOutput[] = [];
    for (const input of requests) {
        let token: string | undefined;
        do {
            const page = await cloudwatch.send(new GetMetricDataCommand({ ...input, NextToken: token }), { abortSignal: signal });
            pages.push(page);
            token = page.NextToken;
        } while (token);
    }
    return pages;
}

/** Folds GetMetricData pages (one SEARCH returns one result per node) into one estimate. */
export function lagFromMetricData(
    pages: readonly Pick<GetMetricDataCommandOutput, "MetricDataResults">[], replicationGroupId: string, region: string,
    nowMs: number, windowMs = LAG_WINDOW_MS,
): LagEstimate {
    let max: number | undefined;
    let latest: { at: number; value: number } | undefined;
    let count = 0;
    for (const page of pages) {
        for (const result of page.MetricDataResults ?? []) {
            const values = result.Values ?? [];
            const stamps = result.Timestamps ?? [];
            values.forEach((value, i) => {
                count++;
                max = max === undefined ? value : Math.max(max, value);
                const at = stamps[i]?.getTime();
                if (at !== undefined && (latest === undefined || at > latest.at || (at === latest.at && value > latest.value))) {
                    latest = { at, value };
                }
            });
        }
    }
    return {
        maxSeconds: max,
        latestSeconds: latest?.value,
        latestAt: latest ? new Date(latest.at).toISOString() : undefined,
        windowStart: new Date(nowMs - windowMs).toISOString(),
        windowEnd: new Date(nowMs).toISOString(),
        datapoints: count,
        source: `CloudWatch ${LAG_NAMESPACE} ${LAG_METRIC}, Maximum per ${LAG_PERIOD_SECONDS} s over every node of ` +
            `${replicationGroupId}, in ${region}`,
    };
}

/**
 * An estimate whose newest datapoint is older than LAG_STALE_AFTER_MS is no estimate: the writes since
 * then are not in it. Its numbers move to `silentSince`.
 */
export function withStaleness(estimate: LagEstimate, lastSeen: { at: string; seconds: number } | undefined, nowMs: number): LagEstimate {
    return isCurrent(estimate, nowMs) ? estimate : { ...estimate, maxSeconds: undefined, silentSince: lastSeen ?? "no datapoint" };
}

function isCurrent(estimate: LagEstimate, nowMs: number): boolean {
    return estimate.latestAt !== undefined && nowMs - Date.parse(estimate.latestAt) <= LAG_STALE_AFTER_MS;
}

/** Reads the estimate, batched and following NextToken. The client must be the target region's. */
export async function readReplicationLag(
    cloudwatch: MetricClient, replicationGroupId: string, nodeIds: readonly string[], region: string, nowMs: number, signal?: AbortSignal,
): Promise<LagEstimate> {
    const estimate = lagFromMetricData(await getMetricPages(cloudwatch, lagQueryInputs(nodeIds, nowMs), signal), replicationGroupId, region, nowMs);
    if (isCurrent(estimate, nowMs)) {
        return estimate;
    }
    // Silent: look further back for the last value, which is what the operator can reason from.
    const longer = lagFromMetricData(await getMetricPages(cloudwatch, lagQueryInputs(nodeIds, nowMs, LAG_LOOKBACK_MS), signal),
        replicationGroupId, region, nowMs, LAG_LOOKBACK_MS);
    const lastSeen = longer.latestAt !== undefined && longer.latestSeconds !== undefined ? { at: longer.latestAt, seconds: longer.latestSeconds } : undefined;
    return withStaleness(estimate, lastSeen, nowMs);
}

/** One line for humans: "at most 0.8 s (latest 0.4 s at ...) over 5 minutes up to ...". */
export function describeLag(estimate: LagEstimate): string {
    if (estimate.silentSince !== undefined) {
        const last = estimate.silentSince === "no datapoint"
            ? `no datapoint in the last ${LAG_LOOKBACK_MS / 3_600_000} hours`
            : `last datapoint at ${estimate.silentSince.at} showed ${estimate.silentSince.seconds} s`;
        return `unknown; ${last}, none since (the metric stops when the secondary no longer hears from the primary's region, ` +
            `so every write accepted there since then may be lost) (${estimate.source})`;
    }
    if (estimate.maxSeconds === undefined) {
        return `unknown: no ${LAG_METRIC} datapoint between ${estimate.windowStart} and ${estimate.windowEnd} (${estimate.source})`;
    }
    return `at most ${estimate.maxSeconds} s of writes (latest ${estimate.latestSeconds} s at ${estimate.latestAt}; ` +
        `${estimate.datapoints} datapoints from ${estimate.windowStart} to ${estimate.windowEnd}; ${estimate.source})`;
}

/**
 * The data loss when the metric went silent, in one line for summaries and reports: "unknown: metric
 * silent since T (last N s); writes after T, and up to N s before it, may be lost". At T the target
 * was N s behind, and nothing it received since is measured.
 */
export function silentLagSummary(at: string, seconds: number): string {
    return `unknown: metric silent since ${at} (last ${seconds} s); writes after ${at}, and up to ${seconds} s before it, may be lost`;
}

/**
 * Whether the promotion may go ahead. Above the limit, or with no data at all (a silent metric may be
 * a broken replication link, which is exactly when the loss is largest), only --force proceeds.
 */
export function judgeLag(estimate: LagEstimate, maxLagSeconds: number, force: boolean): LagVerdict {
    const described = describeLag(estimate);
    const problem = estimate.maxSeconds === undefined
        ? "the data loss cannot be estimated"
        : estimate.maxSeconds > maxLagSeconds
            ? `replication lag ${estimate.maxSeconds} s is above --max-lag-seconds ${maxLagSeconds}`
            : undefined;
    if (!problem) {
        return { proceed: true, forced: false, message: `replication lag ${described}; within --max-lag-seconds ${maxLagSeconds}` };
    }
    if (force) {
        return { proceed: true, forced: true, message: `${problem}; proceeding because of --force. Estimated data loss: ${described}` };
    }
    return {
        proceed: false,
        message: `refusing to promote: ${problem}. Estimated data loss: ${described}. Wait for the lag to drop, ` +
            "or accept the loss and rerun with --force (or a higher --max-lag-seconds).",
    };
}
