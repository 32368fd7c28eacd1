/** Surviving node and zone failures: cluster mode, automatic failover, Multi-AZ, replicas per shard, shard count. */
import { skipMemcached, skipReplicationGroupMember, skipSecondary } from "./lib/applicability";
import { integerOption, REQUIRE_EXPLICIT } from "./lib/config";
import { declaredShards, judgeAutomaticFailover, judgeClusterMode, judgeMultiAz } from "./lib/inherited";
import { inputSettings, known, knownList, knownValue } from "./lib/props";
import { resourceRule } from "./lib/rule";
import { TYPES } from "./lib/types";

export interface ClusterModeConfig {
    /** Reject a cluster mode left to the parameter group or the shard count. Default: false. */
    requireExplicit: boolean;
}

/**
 * elasticache-cluster-mode-enabled: clusterMode "enabled" (secondaries inherit it). Unset, AWS takes
 * cluster mode from the parameter group, so a `*.cluster.on` group or more than one shard counts as
 * enabled unless requireExplicit (default false).
 */
export const clusterModeEnabled = resourceRule<ClusterModeConfig>({
    name: "elasticache-cluster-mode-enabled",
    severity: "medium",
    summary: "ElastiCache replication groups must run with cluster mode enabled, so data is sharded and each shard fails over on its own",
    remediationSteps: "Set clusterMode: \"enabled\" with a cluster-mode parameter group (default.<engine>.cluster.on). From \"disabled\", go " +
        "through \"compatible\" and move clients to cluster-aware connections first.",
    configSchema: { properties: { requireExplicit: REQUIRE_EXPLICIT } },
    types: [TYPES.replicationGroup],
    check: (c) => {
        skipSecondary(c);
        const mode = judgeClusterMode(inputSettings(c.props));
        if (mode.fromDefault && mode.ok && c.config.requireExplicit) {
            c.report("set clusterMode explicitly (requireExplicit is on)", mode.found, "set clusterMode: \"enabled\"");
        } else if (!mode.ok) {
            c.report("run with cluster mode enabled", mode.found, "set clusterMode: \"enabled\" and a cluster-mode parameter group");
        }
    },
});

/**
 * elasticache-automatic-failover: automaticFailoverEnabled true, so a replica takes over a failed
 * primary. A standalone cluster is a single node without failover and always fails; secondaries
 * inherit failover from the datastore.
 */
export const automaticFailover = resourceRule({
    name: "elasticache-automatic-failover",
    severity: "high",
    summary: "ElastiCache replication groups must fail over automatically to a replica when a primary fails",
    remediationSteps: "Give every shard at least one replica, then set automaticFailoverEnabled: true. Replace a standalone " +
        "aws.elasticache.Cluster by a replication group.",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipSecondary(c);
        if (c.args.type === TYPES.cluster) {
            skipReplicationGroupMember(c);
            skipMemcached(c);
            c.report("fail over automatically to a replica", "is a standalone cluster: one primary node, no replica to fail over to",
                "declare an aws.elasticache.ReplicationGroup with replicas and automaticFailoverEnabled instead");
            return;
        }
        const failover = judgeAutomaticFailover(inputSettings(c.props));
        if (!failover.ok) {
            c.report("fail over automatically to a replica", failover.found, "set automaticFailoverEnabled: true (needs at least one replica per shard)");
        }
    },
});

/**
 * elasticache-multi-az: multiAzEnabled true, so replicas sit in other availability zones and a zone
 * failure fails over to one of them. Secondaries inherit it from the datastore.
 */
export const multiAz = resourceRule({
    name: "elasticache-multi-az",
    severity: "high",
    summary: "ElastiCache replication groups must place replicas in other availability zones (Multi-AZ), so losing a zone fails over rather than loses the shard",
    remediationSteps: "Give every shard at least one replica, set automaticFailoverEnabled: true and multiAzEnabled: true.",
    types: [TYPES.replicationGroup],
    check: (c) => {
        skipSecondary(c);
        const multiAzVerdict = judgeMultiAz(inputSettings(c.props));
        if (!multiAzVerdict.ok) {
            c.report("enable Multi-AZ", multiAzVerdict.found, "set multiAzEnabled: true (with automaticFailoverEnabled and a replica per shard)");
        }
    },
});

export interface ReplicasPerShardConfig {
    /** Fewest replicas each shard may have. Default: 1. */
    minReplicasPerShard: number;
}

/** The fewest replicas of any shard, from whichever of the three ways the group declares it. */
function replicasOf(props: Record<string, unknown>): { replicas: number; from: string } {
    const perGroup = known<number>(props, "replicasPerNodeGroup");
    if (perGroup !== undefined) {
        return { replicas: perGroup, from: `replicasPerNodeGroup ${perGroup}` };
    }
    const shards = knownList<{ replicaCount?: number }>(props, "nodeGroupConfigurations");
    if (shards.length > 0) {
        const fewest = Math.min(...shards.map((s) => known<number>(s as Record<string, unknown>, "replicaCount") ?? 0));
        return { replicas: fewest, from: `a shard in nodeGroupConfigurations with ${fewest} replicas` };
    }
    const clusters = known<number>(props, "numCacheClusters");
    if (clusters !== undefined) {
        return { replicas: clusters - 1, from: `numCacheClusters ${clusters} (${clusters - 1} replicas)` };
    }
    return { replicas: 0, from: "no replica count (AWS creates no replicas)" };
}

/**
 * elasticache-replicas-per-shard: at least minReplicasPerShard replicas in every shard (default 1).
 * Applies to secondaries too: each member chooses its own replica count.
 */
export const replicasPerShard = resourceRule<ReplicasPerShardConfig>({
    name: "elasticache-replicas-per-shard",
    severity: "high",
    summary: "ElastiCache replication groups must keep at least the configured number of replicas in every shard",
    remediationSteps: "Raise replicasPerNodeGroup (or replicaCount of each nodeGroupConfigurations entry) to the configured minimum; " +
        "adding replicas is an online change.",
    configSchema: {
        properties: {
            minReplicasPerShard: integerOption("Fewest replicas each shard may have, 0..5. Default: 1.", 1, 0, 5),
        },
    },
    types: [TYPES.replicationGroup],
    check: (c) => {
        const { replicas, from } = replicasOf(c.props);
        if (replicas < c.config.minReplicasPerShard) {
            c.report(`keep at least ${c.config.minReplicasPerShard} replicas in every shard`, `declares ${from}`,
                `set replicasPerNodeGroup: ${c.config.minReplicasPerShard} or more`);
        }
    },
});

export interface ShardCountConfig {
    /** Fewest shards (node groups) a group may have. Default: 1. */
    minShards: number;
}

/** elasticache-shard-count: at least minShards node groups (default 1). Secondaries inherit the count. */
export const shardCount = resourceRule<ShardCountConfig>({
    name: "elasticache-shard-count",
    severity: "medium",
    summary: "ElastiCache replication groups must spread data over at least the configured number of shards",
    remediationSteps: "Raise numNodeGroups to the configured minimum; for a Global Datastore member, change numNodeGroups on the " +
        "aws.elasticache.GlobalReplicationGroup instead (members reject the change).",
    configSchema: {
        properties: {
            minShards: integerOption("Fewest shards (node groups), 1..500. Default: 1.", 1, 1, 500),
        },
    },
    types: [TYPES.replicationGroup],
    check: (c) => {
        skipSecondary(c);
        if (c.config.minShards <= 1) {
            return; // every replication group has at least one shard: an unknown count cannot fail this minimum
        }
        const declared = knownValue(declaredShards(inputSettings(c.props)));
        const shards = declared ?? 1;
        if (shards < c.config.minShards) {
            c.report(`have at least ${c.config.minShards} shards`, declared === undefined ? "declares no shard count (1 shard)" : `declares ${shards} shards`,
                `set numNodeGroups: ${c.config.minShards} or more`);
        }
    },
});
