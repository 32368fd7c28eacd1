/**
 * CloudWatch GetMetricData and ListMetrics over the model, for the metrics recovery reads:
 * AWS/ElastiCache GlobalDatastoreReplicationLag and SetTypeCmds. Test-only.
 *
 * Outages: a metric is not published for an instant when a region it depends on was down then (the
 * node's own region for SetTypeCmds and IsPrimary; for the lag, the region of its datastore's primary
 * too, since the lag is measured against it), unless only the region's API was down. CloudWatch does
 * not backfill such gaps.
 *
 * SetTypeCmds (write commands) and IsPrimary are published per node (CacheClusterId) every minute
 * while the node's region publishes metrics; SetTypeCmds is zero when nothing was written. Replicas
 * count the writes they replicate (see writesPerMinute), so a sum over every node overstates writes.
 *
 * Dimensions, as checked: the ElastiCache metrics page says every Valkey/Redis OSS metric is
 * computed per cache node, and AWS's published metric catalogue (the one aws-cdk-lib generates its
 * ElastiCache metric helpers from) lists GlobalDatastoreReplicationLag with dimension sets
 * {CacheClusterId} and {CacheClusterId, CacheNodeId} only. There is no ReplicationGroupId or
 * GlobalReplicationGroupId dimension, although some third-party guides query one; such queries get
 * no data here, as they would from CloudWatch. The metric describes the lag between the secondary
 * region's primary node and the primary region's primary node, so only the shard primaries of a
 * member that is SECONDARY publish it, in the secondary's own region. (Which node is a shard's
 * primary is taken as of the query, not as of each datapoint.)
 */
import { DimensionFilter, InvalidParameterValueException, ListMetricsCommand, GetMetricDataCommand, Metric, MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import { Durations } from "./datastore-ops";
import { serviceError } from "./errors";
import { HandlerEntry } from "./elasticache-handlers";
import { DEFAULT_LAG, FakeModel, FakeNode, FakeNodeGroup, FakeReplicationGroup } from "./model";

/** Whether `region` was unreachable at virtual instant `at`. */
export type RegionDownAt = (region: string, at: number) => boolean;

export const LAG_NAMESPACE = "AWS/ElastiCache";
export const LAG_METRIC = "GlobalDatastoreReplicationLag";
export const WRITES_METRIC = "SetTypeCmds";
/**
 * 1 while the node is its shard's primary, else 0, per node. AWS lists it as IsPrimary, formerly
 * IsMaster; the fake publishes the current name only.
 */
export const IS_PRIMARY_METRIC = "IsPrimary";
/**
 * Keys held by a node, per node; every node of a shard holds its shard's keys (see FakeAws.setItems).
 * IsPrimary, SetTypeCmds and CurrItems are in the ElastiCache User Guide's "Metrics for Valkey and
 * Redis OSS", published per node (CacheClusterId) once a minute.
 */
export const ITEMS_METRIC = "CurrItems";
/** CloudWatch API Reference, GetMetricData: "as many as 500 different metrics in a single request". */
export const MAX_QUERIES = 500;
const MINUTE_MS = 60_000;
/** Lag is sampled this often inside a period to compute its statistic (simulated; how often ElastiCache samples it is not documented). */
export const LAG_SAMPLE_MS = 10_000;
const STATS: Record<string, (values: number[]) => number> = {
    Maximum: (v) => Math.max(...v),
    Minimum: (v) => Math.min(...v),
    Average: (v) => v.reduce((a, b) => a + b, 0) / v.length,
    Sum: (v) => v.reduce((a, b) => a + b, 0),
    SampleCount: (v) => v.length,
};

interface Publisher {
    rg: FakeReplicationGroup;
    shardId: string;
    node: FakeNode;
}

/** Nodes in `region` that publish the lag metric: the current primary of each shard of each group. */
function publishers(model: FakeModel, region: string): Publisher[] {
    return model.replicationGroupsIn(region).flatMap((rg) =>
        rg.nodeGroups.flatMap((g) => g.nodes.filter((n) => n.role === "primary").map((node) => ({ rg, shardId: g.id, node }))));
}

function dimensionsOf(p: Publisher): { Name: string; Value: string }[][] {
    return [
        [{ Name: "CacheClusterId", Value: p.node.cacheClusterId }],
        [{ Name: "CacheClusterId", Value: p.node.cacheClusterId }, { Name: "CacheNodeId", Value: p.node.cacheNodeId }],
    ];
}

/** CloudWatch matches the full dimension set, in any order. */
function sameDimensions(a: { Name?: string; Value?: string }[], b: { Name: string; Value: string }[]): boolean {
    return a.length === b.length && b.every((d) => a.some((x) => x.Name === d.Name && x.Value === d.Value));
}

function toMs(value: unknown, field: string): number {
    const ms = value instanceof Date ? value.getTime() : new Date(value as string).getTime();
    if (Number.isNaN(ms)) {
        throw serviceError(InvalidParameterValueException, `${field} must be a date, got ${String(value)}`);
    }
    return ms;
}

/** A node of some group in `region`, with its shard, by its CacheClusterId dimension (alone, as the node metrics are queried). */
function nodeOf(model: FakeModel, region: string, metricDims: { Name?: string; Value?: string }[]): { rg: FakeReplicationGroup; shard: FakeNodeGroup; node: FakeNode } | undefined {
    const id = metricDims.length === 1 && metricDims[0].Name === "CacheClusterId" ? metricDims[0].Value : undefined;
    for (const rg of model.replicationGroupsIn(region)) {
        for (const shard of rg.nodeGroups) {
            const node = shard.nodes.find((n) => n.cacheClusterId === id);
            if (node) {
                return { rg, shard, node };
            }
        }
    }
    return undefined;
}

/**
 * A per-node metric published once a minute while the node exists and its region publishes metrics,
 * folded into periods with `statistic`. (Which node is a shard's primary is taken as of the query.)
 */
function perMinuteResult(found: { rg: FakeReplicationGroup }, perMinute: (minuteMs: number) => number, periodMs: number, statistic: (values: number[]) => number,
    startMs: number, endMs: number, publishedUntil: number, silentAt: RegionDownAt): { at: number; value: number }[] {
    const points: { at: number; value: number }[] = [];
    for (let t = Math.ceil(startMs / periodMs) * periodMs; t < endMs && t + periodMs <= publishedUntil; t += periodMs) {
        const minutes: number[] = [];
        for (let m = t; m < t + periodMs; m += MINUTE_MS) {
            if (m >= found.rg.createdAt && !silentAt(found.rg.region, m)) {
                minutes.push(perMinute(m));
            }
        }
        if (minutes.length > 0) {
            points.push({ at: t, value: statistic(minutes) });
        }
    }
    return points;
}

/**
 * SetTypeCmds of a node: a primary counts the writes clients sent it; a replica counts the same writes
 * again as it applies them from its primary, plus a DEL for each key that expired on the primary.
 */
function writesPerMinute(model: FakeModel, found: { rg: FakeReplicationGroup; shard: FakeNodeGroup; node: FakeNode }): (minuteMs: number) => number {
    const key = FakeModel.key(found.rg.region, found.rg.id);
    const writes = model.writes.get(key) ?? (() => 0);
    const expiries = model.expiries.get(key) ?? (() => 0);
    if (found.node.role === "primary") {
        return (m) => writes(m, found.node.cacheClusterId);
    }
    const primary = found.shard.nodes.find((n) => n.role === "primary");
    return (m) => (primary ? writes(m, primary.cacheClusterId) : 0) + expiries(m, found.shard.id);
}

function queryResult(model: FakeModel, durations: Durations, downAt: RegionDownAt, region: string, q: MetricDataQuery, startMs: number, endMs: number, descending: boolean): MetricDataResult {
    if (!q.MetricStat?.Metric) {
        throw serviceError(InvalidParameterValueException,
            `MetricDataQueries[${q.Id}]: the fake answers MetricStat queries only (Expression "${q.Expression}" is not evaluated); query each node's metric instead`);
    }
    const { Metric: metric, Period: period, Stat: stat } = q.MetricStat;
    // CloudWatch API Reference, MetricStat.Period: regular-resolution metrics (ElastiCache publishes
    // those) take "a multiple of 60"; data older than 15 days needs coarser periods, which the fake,
    // keeping no history that long, does not check.
    if (!period || period < 60 || period % 60 !== 0) {
        throw serviceError(InvalidParameterValueException, `MetricDataQueries[${q.Id}].MetricStat.Period must be a multiple of 60 seconds, got ${period}`);
    }
    const statistic = STATS[stat ?? ""];
    if (!statistic) {
        throw serviceError(InvalidParameterValueException, `MetricDataQueries[${q.Id}].MetricStat.Stat "${stat}" is not supported by the fake; use one of ${Object.keys(STATS).join(", ")}`);
    }
    const result: MetricDataResult = { Id: q.Id, Label: q.Label ?? metric.MetricName, Timestamps: [], Values: [], StatusCode: "Complete" };
    const finish = (points: { at: number; value: number }[]) => {
        const ordered = descending ? [...points].reverse() : points;
        result.Timestamps = ordered.map((p) => new Date(p.at));
        result.Values = ordered.map((p) => p.value);
        return result;
    };
    if (metric.Namespace === LAG_NAMESPACE && [WRITES_METRIC, IS_PRIMARY_METRIC, ITEMS_METRIC].includes(metric.MetricName ?? "")) {
        const found = nodeOf(model, region, metric.Dimensions ?? []);
        if (!found) {
            return finish([]);
        }
        const items = model.items.get(FakeModel.key(found.rg.region, found.rg.id)) ?? (() => 0);
        const perMinute = metric.MetricName === WRITES_METRIC ? writesPerMinute(model, found)
            : metric.MetricName === ITEMS_METRIC ? (m: number) => items(m, found.shard.id)
                : () => (found.node.role === "primary" ? 1 : 0);
        const published = model.clock.now() - durations.metricPublishDelay;
        return finish(perMinuteResult(found, perMinute, period * 1000, statistic, startMs, endMs, published, downAt));
    }
    if (metric.Namespace !== LAG_NAMESPACE || metric.MetricName !== LAG_METRIC) {
        return result;
    }
    const publisher = publishers(model, region).find((p) => dimensionsOf(p).some((dims) => sameDimensions(metric.Dimensions ?? [], dims)));
    if (!publisher) {
        return result;
    }
    const periodMs = period * 1000;
    const lag = model.replicationLag.get(FakeModel.key(publisher.rg.region, publisher.rg.id)) ?? DEFAULT_LAG;
    const publishedUntil = model.clock.now() - durations.metricPublishDelay;
    const datastore = publisher.rg.global && model.datastores.get(publisher.rg.global.datastoreId);
    const primaryRegion = datastore ? model.primaryMember(datastore)?.region : undefined;
    const silentAt = (s: number) => downAt(publisher.rg.region, s) || (primaryRegion !== undefined && downAt(primaryRegion, s));
    for (let t = Math.ceil(startMs / periodMs) * periodMs; t < endMs && t + periodMs <= publishedUntil; t += periodMs) {
        const samples: number[] = [];
        for (let s = t; s < t + periodMs; s += LAG_SAMPLE_MS) {
            const value = model.roleAt(publisher.rg, s) === "SECONDARY" && !silentAt(s) ? lag(s, publisher.shardId) : undefined;
            if (value !== undefined) {
                samples.push(value);
            }
        }
        if (samples.length > 0) {
            result.Timestamps!.push(new Date(t));
            result.Values!.push(statistic(samples));
        }
    }
    if (descending) {
        result.Timestamps!.reverse();
        result.Values!.reverse();
    }
    return result;
}

function dimensionFilterMatches(filters: DimensionFilter[], dims: { Name: string; Value: string }[]): boolean {
    return filters.every((f) => dims.some((d) => d.Name === f.Name && (f.Value === undefined || d.Value === f.Value)));
}

export function cloudWatchHandlers(model: FakeModel, durations: Durations, downAt: RegionDownAt): HandlerEntry[] {
    return [
        {
            command: GetMetricDataCommand,
            handle: (region, input) => {
                const queries: MetricDataQuery[] = input.MetricDataQueries ?? [];
                if (queries.length === 0) {
                    throw serviceError(InvalidParameterValueException, "MetricDataQueries must list at least one query");
                }
                if (queries.length > MAX_QUERIES) {
                    throw serviceError(InvalidParameterValueException, `MetricDataQueries lists ${queries.length} queries; at most ${MAX_QUERIES} are allowed per request`);
                }
                const startMs = toMs(input.StartTime, "StartTime");
                const endMs = toMs(input.EndTime, "EndTime");
                if (startMs >= endMs) {
                    throw serviceError(InvalidParameterValueException, `StartTime (${new Date(startMs).toISOString()}) must be before EndTime (${new Date(endMs).toISOString()})`);
                }
                // CloudWatch API Reference, GetMetricData ScanBy: "If you omit this parameter, the default of TimestampDescending is used."
                const descending = (input.ScanBy ?? "TimestampDescending") === "TimestampDescending";
                const results = queries.filter((q) => q.ReturnData !== false).map((q) => queryResult(model, durations, downAt, region, q, startMs, endMs, descending));
                return { MetricDataResults: results, Messages: [] };
            },
        },
        {
            command: ListMetricsCommand,
            handle: (region, input) => {
                const metrics: Metric[] = [];
                if ((input.Namespace ?? LAG_NAMESPACE) === LAG_NAMESPACE && (input.MetricName ?? LAG_METRIC) === LAG_METRIC) {
                    for (const p of publishers(model, region)) {
                        if (!p.rg.roleHistory.some((h) => h.role === "SECONDARY")) {
                            continue;
                        }
                        for (const dims of dimensionsOf(p)) {
                            if (dimensionFilterMatches(input.Dimensions ?? [], dims)) {
                                metrics.push({ Namespace: LAG_NAMESPACE, MetricName: LAG_METRIC, Dimensions: dims });
                            }
                        }
                    }
                }
                return { Metrics: metrics };
            },
        },
    ];
}
