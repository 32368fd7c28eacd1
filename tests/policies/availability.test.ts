import * as assert from "node:assert/strict";
import { automaticFailover, clusterModeEnabled, multiAz, replicasPerShard, shardCount } from "../../policies/availability";
import { TYPES } from "../../policies/lib/types";
import { checkResource, UNKNOWN } from "./helpers";
import { compliantCluster, compliantPrimary, compliantSecondary } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });

describe("policies/availability", () => {
    describe("elasticache-cluster-mode-enabled", () => {
        it("passes clusterMode enabled", async () => {
            assert.deepEqual((await checkResource(clusterModeEnabled, group(compliantPrimary()))).violations, []);
        });

        it("fails clusterMode compatible and disabled", async () => {
            assert.match((await checkResource(clusterModeEnabled, group(compliantPrimary({ clusterMode: "compatible" })))).violations.join("\n"),
                /^ElastiCache replication group must run with cluster mode enabled: .* sets clusterMode "compatible"/);
            assert.match((await checkResource(clusterModeEnabled, group(compliantPrimary({ clusterMode: "disabled" })))).violations.join("\n"),
                /sets clusterMode "disabled"/);
        });

        it("infers cluster mode when clusterMode is unset, as AWS does, from a *.cluster.on parameter group or more than one shard", async () => {
            const byGroup = compliantPrimary({ clusterMode: undefined, numNodeGroups: 1 });
            const byShards = compliantPrimary({ clusterMode: undefined, parameterGroupName: "prod-valkey8" });
            assert.deepEqual((await checkResource(clusterModeEnabled, group(byGroup))).violations, []);
            assert.deepEqual((await checkResource(clusterModeEnabled, group(byShards))).violations, []);
        });

        it("fails an unset clusterMode that neither the parameter group nor the shard count shows enabled", async () => {
            const plainGroup = compliantPrimary({ clusterMode: undefined, parameterGroupName: "default.valkey8", numNodeGroups: 1 });
            const nothing = compliantPrimary({ clusterMode: undefined, parameterGroupName: undefined, numNodeGroups: undefined });
            assert.match((await checkResource(clusterModeEnabled, group(plainGroup))).violations.join("\n"),
                /leaves clusterMode unset with parameter group "default\.valkey8", which is not a \*\.cluster\.on group, and 1 shard/);
            assert.match((await checkResource(clusterModeEnabled, group(nothing))).violations.join("\n"),
                /leaves clusterMode unset with the engine's default parameter group and 1 shard, so cluster mode is off/);
        });

        it("fails an inferred cluster mode when requireExplicit is set", async () => {
            const { violations } = await checkResource(clusterModeEnabled, group(compliantPrimary({ clusterMode: undefined })), { requireExplicit: true });
            assert.equal(violations.length, 1);
            assert.match(violations[0], /must set clusterMode explicitly \(requireExplicit is on\): .* leaves clusterMode to its parameter group "default\.valkey8\.cluster\.on"/);
            assert.deepEqual((await checkResource(clusterModeEnabled, group(compliantPrimary()), { requireExplicit: true })).violations, []);
        });

        it("reports 'could not verify' only when the unknown decides: an unknown parameter group with one shard", async () => {
            const oneShard = await checkResource(clusterModeEnabled, group(compliantPrimary({ clusterMode: undefined, numNodeGroups: 1, parameterGroupName: UNKNOWN })));
            assert.match(oneShard.violations.join("\n"), /^could not verify elasticache-cluster-mode-enabled .*parameterGroupName is unknown/);
            const threeShards = await checkResource(clusterModeEnabled, group(compliantPrimary({ clusterMode: undefined, parameterGroupName: UNKNOWN })));
            assert.deepEqual(threeShards.violations, []);
        });

        it("is not applicable to a secondary, which does not set clusterMode", async () => {
            const outcome = await checkResource(clusterModeEnabled, group(compliantSecondary()));
            assert.deepEqual(outcome.violations, []);
            assert.ok(outcome.notApplicable);
        });
    });

    describe("elasticache-automatic-failover", () => {
        it("passes automatic failover on", async () => {
            assert.deepEqual((await checkResource(automaticFailover, group(compliantPrimary()))).violations, []);
        });

        it("fails automatic failover off or unset, naming the setting", async () => {
            const unset = await checkResource(automaticFailover, group(compliantPrimary({ automaticFailoverEnabled: undefined })));
            assert.equal(unset.violations.length, 1);
            assert.match(unset.violations[0], /must fail over automatically to a replica: .* leaves automaticFailoverEnabled unset \(off\)/);
            const off = await checkResource(automaticFailover, group(compliantPrimary({ automaticFailoverEnabled: false })));
            assert.match(off.violations.join("\n"), /sets automaticFailoverEnabled: false/);
        });

        it("reads automatic failover alone: Multi-AZ off is elasticache-multi-az's to report", async () => {
            assert.deepEqual((await checkResource(automaticFailover, group(compliantPrimary({ multiAzEnabled: false })))).violations, []);
        });

        it("does not flag a secondary, which inherits failover", async () => {
            assert.deepEqual((await checkResource(automaticFailover, group(compliantSecondary()))).violations, []);
        });

        it("fails a standalone Valkey cluster: a single node cannot fail over", async () => {
            const { violations } = await checkResource(automaticFailover, { type: TYPES.cluster, name: "single", props: compliantCluster() });
            assert.match(violations.join("\n"), /^ElastiCache cluster must fail over automatically to a replica: "single" .* is a standalone cluster/);
        });

        it("is not applicable to memcached clusters", async () => {
            const outcome = await checkResource(automaticFailover, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached" }) });
            assert.match(outcome.notApplicable ?? "", /memcached/);
        });

        it("reports 'could not verify' for an unknown automaticFailoverEnabled", async () => {
            const { violations } = await checkResource(automaticFailover, group(compliantPrimary({ automaticFailoverEnabled: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-automatic-failover .*automaticFailoverEnabled is unknown/);
        });
    });

    describe("elasticache-multi-az", () => {
        it("passes Multi-AZ on", async () => {
            assert.deepEqual((await checkResource(multiAz, group(compliantPrimary()))).violations, []);
        });

        it("fails Multi-AZ off or unset, also with automatic failover on", async () => {
            const off = await checkResource(multiAz, group(compliantPrimary({ multiAzEnabled: false })));
            assert.equal(off.violations.length, 1);
            assert.match(off.violations[0], /must enable Multi-AZ: .* sets multiAzEnabled: false/);
            assert.match((await checkResource(multiAz, group(compliantPrimary({ multiAzEnabled: undefined })))).violations.join("\n"), /leaves multiAzEnabled unset \(off\)/);
        });

        it("does not flag a secondary, which inherits Multi-AZ", async () => {
            const outcome = await checkResource(multiAz, group(compliantSecondary()));
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.notApplicable ?? "", /inherits this setting/);
        });

        it("applies to replication groups only: a standalone cluster is elasticache-automatic-failover's to fail", async () => {
            const outcome = await checkResource(multiAz, { type: TYPES.cluster, props: compliantCluster() });
            assert.match(outcome.notApplicable ?? "", /applies to aws:elasticache\/replicationGroup:ReplicationGroup/);
        });

        it("reports 'could not verify' for an unknown multiAzEnabled", async () => {
            const { violations } = await checkResource(multiAz, group(compliantPrimary({ multiAzEnabled: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-multi-az .*multiAzEnabled is unknown/);
        });
    });

    describe("elasticache-replicas-per-shard", () => {
        it("passes 2 replicas with the default minimum of 1", async () => {
            assert.deepEqual((await checkResource(replicasPerShard, group(compliantPrimary()))).violations, []);
        });

        it("fails 0 replicas with the default minimum", async () => {
            const { violations } = await checkResource(replicasPerShard, group(compliantPrimary({ replicasPerNodeGroup: 0 })));
            assert.match(violations.join("\n"), /must keep at least 1 replicas in every shard: .* declares replicasPerNodeGroup 0/);
        });

        it("fails 2 replicas when the config asks for 3", async () => {
            const { violations } = await checkResource(replicasPerShard, group(compliantPrimary()), { minReplicasPerShard: 3 });
            assert.match(violations.join("\n"), /at least 3 replicas/);
        });

        it("reads the fewest replicas from nodeGroupConfigurations", async () => {
            const props = compliantPrimary({ replicasPerNodeGroup: undefined, nodeGroupConfigurations: [{ replicaCount: 2 }, { replicaCount: 0 }] });
            const { violations } = await checkResource(replicasPerShard, group(props));
            assert.match(violations.join("\n"), /a shard in nodeGroupConfigurations with 0 replicas/);
        });

        it("counts numCacheClusters minus the primary for cluster-mode-disabled groups", async () => {
            const props = compliantPrimary({ replicasPerNodeGroup: undefined, numCacheClusters: 1 });
            assert.match((await checkResource(replicasPerShard, group(props))).violations.join("\n"), /numCacheClusters 1 \(0 replicas\)/);
        });

        it("fails a group that declares no replica count (AWS creates none)", async () => {
            const { violations } = await checkResource(replicasPerShard, group(compliantPrimary({ replicasPerNodeGroup: undefined })));
            assert.match(violations.join("\n"), /no replica count/);
        });

        it("checks secondaries too: each member chooses its own replicas", async () => {
            const { violations } = await checkResource(replicasPerShard, group(compliantSecondary(undefined, { replicasPerNodeGroup: 0 })));
            assert.equal(violations.length, 1);
        });

        it("reports 'could not verify' for an unknown replica count", async () => {
            const { violations } = await checkResource(replicasPerShard, group(compliantPrimary({ replicasPerNodeGroup: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify .*replicasPerNodeGroup is unknown/);
        });
    });

    describe("elasticache-shard-count", () => {
        it("passes 3 shards with the default minimum of 1", async () => {
            assert.deepEqual((await checkResource(shardCount, group(compliantPrimary()))).violations, []);
        });

        it("fails 3 shards when the config asks for 4", async () => {
            const { violations } = await checkResource(shardCount, group(compliantPrimary()), { minShards: 4 });
            assert.match(violations.join("\n"), /must have at least 4 shards: .* declares 3 shards\. Fix: set numNodeGroups: 4 or more/);
        });

        it("counts an unset shard count as 1 shard", async () => {
            const { violations } = await checkResource(shardCount, group(compliantPrimary({ numNodeGroups: undefined })), { minShards: 2 });
            assert.match(violations.join("\n"), /declares no shard count \(1 shard\)/);
        });

        it("does not flag a secondary, which takes the datastore's shard count", async () => {
            const outcome = await checkResource(shardCount, group(compliantSecondary()), { minShards: 4 });
            assert.deepEqual(outcome.violations, []);
            assert.ok(outcome.notApplicable);
        });

        it("reports 'could not verify' for an unknown numNodeGroups, and not for an unknown it does not read", async () => {
            const outcome = await checkResource(shardCount, group(compliantPrimary({ numNodeGroups: UNKNOWN })), { minShards: 4 });
            assert.equal(outcome.cannotRun, undefined, "the unknown must not escape to the engine's advisory");
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0],
                /^could not verify elasticache-shard-count on ElastiCache replication group "cache-us-east-1" in us-east-1: numNodeGroups is unknown during preview\. /);
            // A known numNodeGroups decides the count; the per-shard configurations are not read then.
            const unknownConfigurations = await checkResource(shardCount, group(compliantPrimary({ nodeGroupConfigurations: UNKNOWN })), { minShards: 3 });
            assert.deepEqual(unknownConfigurations.violations, []);
            assert.equal(unknownConfigurations.cannotRun, undefined);
            assert.deepEqual((await checkResource(shardCount, group(compliantPrimary({ replicasPerNodeGroup: UNKNOWN })), { minShards: 3 })).violations, []);
        });

        it("does not report 'could not verify' when no shard count could fail the minimum (minShards 1, the default)", async () => {
            const outcome = await checkResource(shardCount, group(compliantPrimary({ numNodeGroups: UNKNOWN })));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.cannotRun, undefined);
        });
    });
});
