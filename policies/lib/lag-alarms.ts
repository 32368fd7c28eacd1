/**
 * What a CloudWatch alarm on GlobalDatastoreReplicationLag watches and whether it would wake anyone:
 * the reading half of global-datastore-lag-alarms. Alarm properties are plain inputs (AWS computes
 * none of them), so an unknown one is fed by another resource and read as unknown.
 */
import { PolicyResource } from "@pulumi/policy";
import { known, knownList, read, Unverifiable } from "./props";

export const LAG_METRIC = "GlobalDatastoreReplicationLag";

/** Shards an alarm watches for one replication group: every shard, or some by number. */
export type Watched = "all" | Set<number>;

/** Dimension sets of the alarm's lag metrics, direct or inside metricQueries. */
function lagDimensions(alarm: PolicyResource): Record<string, unknown>[] {
    const found: Record<string, unknown>[] = [];
    if (known<string>(alarm.props, "metricName") === LAG_METRIC) {
        found.push(known<Record<string, unknown>>(alarm.props, "dimensions") ?? {});
    }
    for (const query of knownList<Record<string, unknown>>(alarm.props, "metricQueries")) {
        const metric = known<Record<string, unknown>>(query, "metric");
        if (metric && known<string>(metric, "metricName") === LAG_METRIC) {
            found.push(known<Record<string, unknown>>(metric, "dimensions") ?? {});
        }
    }
    return found;
}

/**
 * CloudWatch names a node `<replication group id>-<shard, 4 digits>-<node, 3 digits>` in cluster mode
 * and `<replication group id>-<node>` with a single shard.
 */
const NODE_IN_SHARD = /^(.+)-(\d{4})-\d{3}$/;
const NODE_OF_SINGLE_SHARD = /^(.+)-\d{3}$/;

function shardOfNode(node: string): { group: string; shard: number } | undefined {
    const sharded = NODE_IN_SHARD.exec(node);
    if (sharded) {
        return { group: sharded[1], shard: Number(sharded[2]) };
    }
    const single = NODE_OF_SINGLE_SHARD.exec(node);
    return single ? { group: single[1], shard: 1 } : undefined;
}

/**
 * The shards of `replicationGroupId` the alarm watches. With the group's id unknown (a preview), any
 * node name counts for its shard number, and any ReplicationGroupId dimension for every shard.
 * Throws Unverifiable when the alarm's metrics are unknown.
 */
export function watchedShards(alarm: PolicyResource, replicationGroupId: string | undefined): Watched {
    const shards = new Set<number>();
    for (const dimensions of lagDimensions(alarm)) {
        const group = known<string>(dimensions, "ReplicationGroupId");
        if (group !== undefined && (replicationGroupId === undefined || group === replicationGroupId)) {
            return "all";
        }
        const node = known<string>(dimensions, "CacheClusterId");
        const parsed = node === undefined ? undefined : shardOfNode(node);
        if (parsed && (replicationGroupId === undefined || parsed.group === replicationGroupId)) {
            shards.add(parsed.shard);
        }
    }
    return shards;
}

/**
 * Why an alarm that watches the lag would still not warn anyone in time: it fires on low values, its
 * threshold is above the limit, or it has no action. Empty when it counts. Throws Unverifiable when a
 * property it needs is unknown.
 */
export function alarmShortcomings(alarm: PolicyResource, maxThresholdSeconds: number): string[] {
    const problems: string[] = [];
    const operator = known<string>(alarm.props, "comparisonOperator");
    if (operator === undefined || !operator.startsWith("GreaterThan")) {
        problems.push(operator === undefined ? "no comparisonOperator" : `comparisonOperator "${operator}" does not fire on high lag`);
    }
    // Anomaly-detection alarms have a band instead of a threshold: nothing to compare.
    const threshold = known<number>(alarm.props, "threshold");
    if (threshold !== undefined && threshold > maxThresholdSeconds) {
        problems.push(`threshold ${threshold}s is above maxThresholdSeconds ${maxThresholdSeconds}s`);
    }
    if (known<boolean>(alarm.props, "actionsEnabled") === false) {
        problems.push("actionsEnabled is false");
    }
    // A list whose elements are unknown (a topic ARN not created yet) still has actions.
    const actions = read<unknown[]>(alarm.props, "alarmActions");
    if (actions.state === "unknown") {
        throw new Unverifiable(actions.path);
    }
    if (actions.state === "absent" || actions.value.length === 0) {
        problems.push("no alarmActions");
    }
    return problems;
}
