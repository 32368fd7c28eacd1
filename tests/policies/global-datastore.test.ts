import * as assert from "node:assert/strict";
import {
    globalDatastoreEligibility, globalDatastoreLagAlarms, globalDatastorePrimaryCompliant, globalDatastoreRegions,
} from "../../policies/global-datastore";
import { TYPES } from "../../policies/lib/types";
import { checkStack, StackInput, UNKNOWN, urnOf } from "./helpers";
import { changeResource, compliantSecondary, compliantStack, lagAlarm } from "./fixtures";

const primaryName = "cache-us-east-1";

/** The stack as a first preview sees it: ids of the founder and the datastore are not known yet. */
function previewStack(): StackInput[] {
    let stack = changeResource(compliantStack(), "datastore", { primaryReplicationGroupId: UNKNOWN, globalReplicationGroupId: UNKNOWN },
        { feeds: { primaryReplicationGroupId: [primaryName] } });
    for (const region of ["us-west-2", "eu-west-1"]) {
        stack = changeResource(stack, `cache-${region}`, { globalReplicationGroupId: UNKNOWN }, { feeds: { globalReplicationGroupId: ["datastore"] } });
    }
    return stack;
}

describe("policies/global-datastore", () => {
    describe("global-datastore-eligibility", () => {
        it("passes an r7g.xlarge datastore on Valkey 8.0", async () => {
            assert.deepEqual((await checkStack(globalDatastoreEligibility, compliantStack())).violations, []);
        });

        it("fails a burstable node type, on the datastore", async () => {
            const outcome = await checkStack(globalDatastoreEligibility, changeResource(compliantStack(), "datastore", { cacheNodeType: "cache.t4g.medium" }));
            assert.match(outcome.violations.join("\n"), /^ElastiCache Global Datastore must use an eligible node type: "datastore" in us-east-1 uses node type cache\.t4g\.medium, which is a burstable t-family/);
            assert.deepEqual(outcome.urns, [urnOf(TYPES.globalDatastore, "datastore")]);
        });

        it("reads the node type from the primary when the datastore does not set it", async () => {
            let stack = changeResource(compliantStack(), "datastore", { cacheNodeType: undefined });
            stack = changeResource(stack, primaryName, { nodeType: "cache.m6g.medium" });
            assert.match((await checkStack(globalDatastoreEligibility, stack)).violations.join("\n"), /cache\.m6g\.medium, which is of size medium/);
        });

        it("fails Valkey below 7.2 and Redis OSS below 5.0.6", async () => {
            const valkey = changeResource(compliantStack(), "datastore", { engineVersion: "7.1" });
            assert.match((await checkStack(globalDatastoreEligibility, valkey)).violations.join("\n"), /runs valkey 7\.1; Global Datastore needs 7\.2 or later/);
            let redis = changeResource(compliantStack(), primaryName, { engine: "redis" });
            redis = changeResource(redis, "datastore", { engineVersion: "5.0.5" });
            assert.match((await checkStack(globalDatastoreEligibility, redis)).violations.join("\n"), /runs redis 5\.0\.5; Global Datastore needs 5\.0\.6/);
        });

        it("is not applicable without a datastore", async () => {
            const outcome = await checkStack(globalDatastoreEligibility, compliantStack().filter((r) => r.type !== TYPES.globalDatastore));
            assert.match(outcome.notApplicable ?? "", /no aws\.elasticache\.GlobalReplicationGroup/);
        });
    });

    describe("global-datastore-regions", () => {
        it("passes a primary and two secondaries in three regions", async () => {
            assert.deepEqual((await checkStack(globalDatastoreRegions, compliantStack())).violations, []);
        });

        it("fails a secondary in the primary's region, on that secondary", async () => {
            const outcome = await checkStack(globalDatastoreRegions, changeResource(compliantStack(), "cache-eu-west-1", { region: "us-east-1" }));
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /must be the datastore's only member in its region: "cache-eu-west-1" in us-east-1 is in us-east-1, like "cache-us-east-1"/);
            assert.deepEqual(outcome.urns, [urnOf(TYPES.replicationGroup, "cache-eu-west-1")]);
        });

        it("fails two secondaries in one region", async () => {
            const outcome = await checkStack(globalDatastoreRegions, changeResource(compliantStack(), "cache-eu-west-1", { region: "us-west-2" }));
            assert.match(outcome.violations.join("\n"), /like "cache-us-west-2"/);
        });

        it("fails a third secondary", async () => {
            const stack = [...compliantStack(), { type: TYPES.replicationGroup, name: "cache-ap-south-1", props: compliantSecondary("ap-south-1"), protect: true }];
            assert.match((await checkStack(globalDatastoreRegions, stack)).violations.join("\n"),
                /must have at most 2 secondaries: "datastore" in us-east-1 has 3: cache-us-west-2, cache-eu-west-1, cache-ap-south-1/);
        });

        it("takes the region from an explicit provider when the resource has none", async () => {
            const stack = changeResource(compliantStack(), "cache-eu-west-1", { region: undefined }, { provider: { region: "us-east-1" } });
            assert.match((await checkStack(globalDatastoreRegions, stack)).violations.join("\n"), /"cache-eu-west-1" in us-east-1 is in us-east-1/);
        });

        it("fails a member whose region cannot be told", async () => {
            const stack = changeResource(compliantStack(), "cache-eu-west-1", { region: undefined });
            assert.match((await checkStack(globalDatastoreRegions, stack)).violations.join("\n"), /must declare its region: "cache-eu-west-1" in unknown/);
        });

        it("finds members through property dependencies during a preview", async () => {
            const outcome = await checkStack(globalDatastoreRegions, changeResource(previewStack(), "cache-eu-west-1", { region: "us-west-2" }));
            assert.equal(outcome.cannotRun, undefined);
            assert.match(outcome.violations.join("\n"), /"cache-eu-west-1" in us-west-2 is in us-west-2, like "cache-us-west-2"/);
        });
    });

    describe("global-datastore-primary-compliant", () => {
        it("passes a primary of the stack with every inherited setting", async () => {
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, compliantStack())).violations, []);
        });

        it("finds the primary through property dependencies when its id is unknown", async () => {
            const outcome = await checkStack(globalDatastorePrimaryCompliant, changeResource(previewStack(), primaryName, { multiAzEnabled: false }));
            assert.match(outcome.violations.join("\n"), /^ElastiCache replication group must carry the settings its Global Datastore secondaries inherit: "cache-us-east-1" .* lacks multiAzEnabled: true/);
        });

        it("lists every missing inherited setting on the primary", async () => {
            const stack = changeResource(compliantStack(), primaryName, { transitEncryptionMode: "preferred", clusterMode: "disabled", automaticFailoverEnabled: false });
            const outcome = await checkStack(globalDatastorePrimaryCompliant, stack);
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /lacks transitEncryptionMode: "required", automaticFailoverEnabled: true, clusterMode: "enabled"/);
            assert.deepEqual(outcome.urns, [urnOf(TYPES.replicationGroup, primaryName)]);
        });

        it("accepts Valkey's default at-rest encryption on the primary, not Redis's", async () => {
            const valkey = changeResource(compliantStack(), primaryName, { atRestEncryptionEnabled: undefined });
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, valkey)).violations, []);
            const redis = changeResource(compliantStack(), primaryName, { atRestEncryptionEnabled: undefined, engine: "redis", engineVersion: "7.1" });
            assert.match((await checkStack(globalDatastorePrimaryCompliant, redis)).violations.join("\n"), /lacks atRestEncryptionEnabled: true/);
        });

        it("fails a primary id that names no replication group of the stack", async () => {
            const outcome = await checkStack(globalDatastorePrimaryCompliant, changeResource(compliantStack(), "datastore", { primaryReplicationGroupId: "someone-else" }));
            assert.match(outcome.violations.join("\n"), /must have its primary replication group in this stack: "datastore" .* names primaryReplicationGroupId "someone-else", which is not a replication group in this stack/);
        });

        it("reports 'could not verify' when the primary id is unknown and nothing feeds it", async () => {
            const outcome = await checkStack(globalDatastorePrimaryCompliant, changeResource(compliantStack(), "datastore", { primaryReplicationGroupId: UNKNOWN }));
            assert.equal(outcome.cannotRun, undefined);
            assert.match(outcome.violations.join("\n"), /^could not verify global-datastore-primary-compliant on ElastiCache Global Datastore "datastore" in us-east-1: primaryReplicationGroupId is unknown during preview/);
        });
    });

    describe("global-datastore-lag-alarms", () => {
        it("passes a lag alarm on each secondary's nodes in its region", async () => {
            assert.deepEqual((await checkStack(globalDatastoreLagAlarms, compliantStack())).violations, []);
        });

        it("fails a secondary without one, on that secondary", async () => {
            const outcome = await checkStack(globalDatastoreLagAlarms, compliantStack().filter((r) => r.name !== "lag-eu-west-1"));
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /^ElastiCache replication group must have a GlobalDatastoreReplicationLag alarm in its region: "cache-eu-west-1" in eu-west-1 has no alarm/);
            assert.deepEqual(outcome.urns, [urnOf(TYPES.replicationGroup, "cache-eu-west-1")]);
        });

        it("does not count an alarm in another region", async () => {
            const stack = changeResource(compliantStack(), "lag-eu-west-1", { region: "us-east-1" });
            assert.equal((await checkStack(globalDatastoreLagAlarms, stack)).violations.length, 1);
        });

        it("does not count an alarm on another group's nodes", async () => {
            const stack = changeResource(compliantStack(), "lag-eu-west-1", lagAlarm("eu-west-1", { metricQueries: (lagAlarm("us-west-2").metricQueries) }));
            assert.match((await checkStack(globalDatastoreLagAlarms, stack)).violations.join("\n"), /"cache-eu-west-1"/);
        });

        it("counts a plain metric alarm with a ReplicationGroupId dimension", async () => {
            const plain = { region: "eu-west-1", metricName: "GlobalDatastoreReplicationLag", namespace: "AWS/ElastiCache", threshold: 10, dimensions: { ReplicationGroupId: "prod-eu-west-1" } };
            const stack = changeResource(compliantStack(), "lag-eu-west-1", { ...plain, metricQueries: undefined });
            assert.deepEqual((await checkStack(globalDatastoreLagAlarms, stack)).violations, []);
        });

        it("does not count a threshold above maxThresholdSeconds", async () => {
            const outcome = await checkStack(globalDatastoreLagAlarms, compliantStack(), { maxThresholdSeconds: 20 });
            assert.equal(outcome.violations.length, 2);
            assert.match(outcome.violations[0], /whose threshold 30s is above maxThresholdSeconds \(20s\)/);
        });

        it("does not ask the primary for a lag alarm", async () => {
            const outcome = await checkStack(globalDatastoreLagAlarms, compliantStack());
            assert.ok(!outcome.violations.join("\n").includes(primaryName));
        });

        it("works during a preview, with ids unknown", async () => {
            const outcome = await checkStack(globalDatastoreLagAlarms, previewStack().filter((r) => r.name !== "lag-us-west-2"));
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /"cache-us-west-2"/);
        });

        it("reports 'could not verify' when the only candidate alarm is unreadable, and passes when another alarm watches", async () => {
            const unreadable = changeResource(compliantStack(), "lag-eu-west-1", { metricQueries: UNKNOWN });
            assert.match((await checkStack(globalDatastoreLagAlarms, unreadable)).violations.join("\n"),
                /^could not verify global-datastore-lag-alarms on ElastiCache replication group "cache-eu-west-1" in eu-west-1: metricQueries of alarm "lag-eu-west-1" is unknown/);
            const withAnother = [...unreadable, { type: TYPES.metricAlarm, name: "lag-eu-west-1-b", props: lagAlarm("eu-west-1") }];
            assert.deepEqual((await checkStack(globalDatastoreLagAlarms, withAnother)).violations, []);
        });
    });
});
