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
/** CloudWatch's finest period for these metrics. */
export const LAG_PERIOD_SECONDS = 60;
/** Default of --max-lag-seconds: a few seconds of writes is what a planned promotion may cost. */
export const DEFAULT_MAX_LAG_SECONDS = 5;

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
    /** Where the number comes from, for a human: metric, statistic, region, replication group. */
    source: string;
}

export type LagVerdict =
    | { proceed: true; forced: boolean; message: string }
    | { proceed: false; message: string };

/**
 * One MetricStat query per node of the target group. Nodes that do not publish the metric (replicas,
 * or every node of a group that is not a secondary) simply return no datapoints.
 */
export function lagQueryInput(nodeIds: readonly string[], nowMs: number, windowMs = LAG_WINDOW_MS): GetMetricDataCommandInput {
    return {
        StartTime: new Date(nowMs - windowMs),
        EndTime: new Date(nowMs),
        ScanBy: "TimestampDescending",
        // Ids must start with a lowercase letter; the node id goes into the label for readers of raw output.
        MetricDataQueries: nodeIds.map((node, i) => ({
            Id: `node${i}`,
            Label: node,
            MetricStat: {
                Metric: { Namespace: LAG_NAMESPACE, MetricName: LAG_METRIC, Dimensions: [{ Name: "CacheClusterId", Value: node }] },
                Period: LAG_PERIOD_SECONDS,
                Stat: "Maximum",
            },
            ReturnData: true,
        })),
    };
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

/** Reads the estimate, following NextToken. The client must be the target region's. */
export async function readReplicationLag(
    cloudwatch: { send(command: GetMetricDataCommand, options?: { abortSignal?: AbortSignal }): Promise<GetMetricDataCommandOutput> },
    replicationGroupId: string, nodeIds: readonly string[], region: string, nowMs: number, signal?: AbortSignal,
): Promise<LagEstimate> {
    const input = lagQueryInput(nodeIds, nowMs);
    const pages: GetMetricDataCommandOutput[] = [];
    let token: string | undefined;
    do {
        const page = await cloudwatch.send(new GetMetricDataCommand({ ...input, NextToken: token }), { abortSignal: signal });
        pages.push(page);
        token = page.NextToken;
    } while (token);
    return lagFromMetricData(pages, replicationGroupId, region, nowMs);
}

/** One line for humans: "at most 0.8 s (latest 0.4 s at ...) over 5 minutes up to ...". */
export function describeLag(estimate: LagEstimate): string {
    if (estimate.maxSeconds === undefined) {
        return `unknown: no ${LAG_METRIC} datapoint between ${estimate.windowStart} and ${estimate.windowEnd} (${estimate.source})`;
    }
    return `at most ${estimate.maxSeconds} s of writes (latest ${estimate.latestSeconds} s at ${estimate.latestAt}; ` +
        `${estimate.datapoints} datapoints from ${estimate.windowStart} to ${estimate.windowEnd}; ${estimate.source})`;
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
