import * as assert from "node:assert/strict";
import { Policy } from "@pulumi/policy";
import { automaticFailover, clusterModeEnabled, multiAz } from "../../policies/availability";
import { encryptionAtRest, encryptionInTransit } from "../../policies/encryption";
import {
    globalDatastoreEligibility, globalDatastorePrimaryCompliant, globalDatastoreRegions,
} from "../../policies/global-datastore";
import { TYPES } from "../../policies/lib/types";
import { checkResource, checkStack, StackInput, UNKNOWN, urnOf } from "./helpers";
import {
    changeResource, compliantPrimary, compliantSecondary, compliantStack, DATASTORE_ID, firstPreviewStack, PRIMARY_REGION, standaloneGroupInFirstPreview,
} from "./fixtures";

const primaryName = `cache-${PRIMARY_REGION}`;

/** What a member's state records once AWS reports it: the settings it inherits, known. */
const INHERITED_AS_REPORTED = {
    engine: "valkey", engineVersion: "8.0", nodeType: "cache.r7g.xlarge", numNodeGroups: 3, clusterMode: "enabled",
    automaticFailoverEnabled: true, multiAzEnabled: true, atRestEncryptionEnabled: true, transitEncryptionEnabled: true, transitEncryptionMode: "required",
};

/** The stack after a promotion of us-west-2 and a refresh: AWS names the promoted member as primary. */
function afterFailover(): StackInput[] {
    let stack = changeResource(compliantStack(), "datastore", { primaryReplicationGroupId: "prod-us-west-2" });
    stack = changeResource(stack, "cache-us-west-2", INHERITED_AS_REPORTED);
    return changeResource(stack, primaryName, { globalReplicationGroupId: DATASTORE_ID });
}

describe("policies/global-datastore", () => {
    describe("global-datastore-eligibility", () => {
        it("passes an r7g.xlarge datastore on Valkey 8.0", async () => {
            assert.deepEqual((await checkStack(globalDatastoreEligibility, compliantStack())).violations, []);
        });

        it("passes the stack's first preview, where the datastore's engine is not known yet", async () => {
            const outcome = await checkStack(globalDatastoreEligibility, firstPreviewStack());
            assert.equal(outcome.cannotRun, undefined);
            assert.deepEqual(outcome.violations, []);
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
            const redis = changeResource(compliantStack(), "datastore", { engine: "redis", engineVersion: "5.0.5" });
            assert.match((await checkStack(globalDatastoreEligibility, redis)).violations.join("\n"), /runs redis 5\.0\.5; Global Datastore needs 5\.0\.6/);
        });

        it("takes the primary's engine when the datastore's is unknown, and its version when the datastore sets none", async () => {
            let stack = changeResource(firstPreviewStack(), primaryName, { engine: "redis", engineVersion: "5.0.5" });
            stack = changeResource(stack, "datastore", { engineVersion: undefined });
            const outcome = await checkStack(globalDatastoreEligibility, stack);
            assert.deepEqual(outcome.violations.map((v) => v.replace(/\. Fix:.*/, "")),
                ["ElastiCache Global Datastore must run an engine version Global Datastore supports: \"datastore\" in us-east-1 runs redis 5.0.5; Global Datastore needs 5.0.6 or later"]);
        });

        it("reports 'could not verify' only when neither the datastore nor its primary knows the engine, naming the input to set", async () => {
            const stack = changeResource(firstPreviewStack(), primaryName, { engine: UNKNOWN }, { feeds: { engine: [`key-${PRIMARY_REGION}`] } });
            const outcome = await checkStack(globalDatastoreEligibility, stack);
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /^could not verify global-datastore-eligibility on ElastiCache Global Datastore "datastore" in us-east-1: engine of the datastore and of its primary "cache-us-east-1" is unknown during preview\. Fix: .*checks it once the value is known.*set engine on the aws\.elasticache\.GlobalReplicationGroup/);
        });

        it("does not need the engine when no version is set anywhere: AWS then picks a current, eligible one", async () => {
            let stack = changeResource(firstPreviewStack(), primaryName, { engine: UNKNOWN, engineVersion: UNKNOWN }, { feeds: { engine: [`key-${PRIMARY_REGION}`] } });
            stack = changeResource(stack, "datastore", { engineVersion: undefined });
            assert.deepEqual((await checkStack(globalDatastoreEligibility, stack)).violations, []);
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

        it("takes the region from the provider when the resource sets none (the default provider's inputs carry aws:region)", async () => {
            const stack = changeResource(compliantStack(), "cache-eu-west-1", { region: undefined }, { provider: { region: "us-east-1" } });
            assert.match((await checkStack(globalDatastoreRegions, stack)).violations.join("\n"), /"cache-eu-west-1" in us-east-1 is in us-east-1/);
        });

        it("fails a member whose region cannot be told", async () => {
            const stack = changeResource(compliantStack(), "cache-eu-west-1", { region: undefined });
            assert.match((await checkStack(globalDatastoreRegions, stack)).violations.join("\n"), /must declare its region: "cache-eu-west-1" in unknown/);
        });

        it("finds members through property dependencies in the first preview", async () => {
            const outcome = await checkStack(globalDatastoreRegions, changeResource(firstPreviewStack(), "cache-eu-west-1", { region: "us-west-2" }));
            assert.equal(outcome.cannotRun, undefined);
            assert.match(outcome.violations.join("\n"), /"cache-eu-west-1" in us-west-2 is in us-west-2, like "cache-us-west-2"/);
        });

        it("does not count a replication group whose unknown globalReplicationGroupId no datastore feeds", async () => {
            const beside = await checkStack(globalDatastoreRegions, [...firstPreviewStack(), standaloneGroupInFirstPreview("us-west-2")]);
            const third = await checkStack(globalDatastoreRegions, [...firstPreviewStack(), standaloneGroupInFirstPreview("ap-south-1")]);
            assert.deepEqual([...beside.violations, ...third.violations], []);
        });
    });

    describe("global-datastore-primary-compliant", () => {
        it("passes a primary of the stack with every inherited setting", async () => {
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, compliantStack())).violations, []);
        });

        it("passes the stack's first preview", async () => {
            const outcome = await checkStack(globalDatastorePrimaryCompliant, firstPreviewStack());
            assert.equal(outcome.cannotRun, undefined);
            assert.deepEqual(outcome.violations, []);
        });

        it("judges settings AWS computes at creation by their defaults, never as 'could not verify'", async () => {
            const computed = { atRestEncryptionEnabled: UNKNOWN, clusterMode: UNKNOWN, transitEncryptionMode: UNKNOWN };
            const valkey = changeResource(firstPreviewStack(), primaryName, computed);
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, valkey)).violations, []);
            const redis = changeResource(firstPreviewStack(), primaryName, { ...computed, engine: "redis", engineVersion: "7.1", parameterGroupName: "default.redis7.cluster.on" });
            const outcome = await checkStack(globalDatastorePrimaryCompliant, redis);
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /^ElastiCache replication group must carry the settings its Global Datastore secondaries inherit: "cache-us-east-1" in us-east-1 .*lacks atRestEncryptionEnabled: true\. Fix:/);
        });

        it("reports 'could not verify' for an inherited setting fed by another resource's output", async () => {
            const stack = changeResource(firstPreviewStack(), primaryName, { multiAzEnabled: UNKNOWN }, { feeds: { multiAzEnabled: [`key-${PRIMARY_REGION}`] } });
            const outcome = await checkStack(globalDatastorePrimaryCompliant, stack);
            assert.equal(outcome.cannotRun, undefined);
            assert.deepEqual(outcome.violations.map((v) => v.replace(/ is unknown during preview.*/, "")),
                ["could not verify global-datastore-primary-compliant on ElastiCache replication group \"cache-us-east-1\" in us-east-1: multiAzEnabled"]);
        });

        it("finds the primary through property dependencies when its id is unknown", async () => {
            const outcome = await checkStack(globalDatastorePrimaryCompliant, changeResource(firstPreviewStack(), primaryName, { multiAzEnabled: false }));
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

        it("infers cluster mode when clusterMode is unset: from a *.cluster.on parameter group or more than one shard", async () => {
            const byGroup = changeResource(compliantStack(), primaryName, { clusterMode: undefined, numNodeGroups: 1 });
            const byShards = changeResource(compliantStack(), primaryName, { clusterMode: undefined, parameterGroupName: "prod-valkey8" });
            const neither = changeResource(compliantStack(), primaryName, { clusterMode: undefined, parameterGroupName: "prod-valkey8", numNodeGroups: 1 });
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, byGroup)).violations, []);
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, byShards)).violations, []);
            assert.match((await checkStack(globalDatastorePrimaryCompliant, neither)).violations.join("\n"), /lacks clusterMode: "enabled"/);
        });

        it("judges each inherited setting exactly as the resource rule for that setting does", async () => {
            const cases: { changes: Record<string, unknown>; rule: Policy; setting: string }[] = [
                { changes: { atRestEncryptionEnabled: undefined }, rule: encryptionAtRest, setting: "atRestEncryptionEnabled" },
                { changes: { atRestEncryptionEnabled: undefined, engine: "redis", engineVersion: "7.1" }, rule: encryptionAtRest, setting: "atRestEncryptionEnabled" },
                { changes: { transitEncryptionMode: undefined }, rule: encryptionInTransit, setting: "transitEncryptionMode" },
                { changes: { transitEncryptionMode: "preferred" }, rule: encryptionInTransit, setting: "transitEncryptionMode" },
                { changes: { clusterMode: undefined }, rule: clusterModeEnabled, setting: "clusterMode" },
                { changes: { clusterMode: undefined, parameterGroupName: "default.valkey8", numNodeGroups: 1 }, rule: clusterModeEnabled, setting: "clusterMode" },
                { changes: { multiAzEnabled: undefined }, rule: multiAz, setting: "multiAzEnabled" },
                { changes: { automaticFailoverEnabled: undefined }, rule: automaticFailover, setting: "automaticFailoverEnabled" },
            ];
            for (const { changes, rule, setting } of cases) {
                const byResourceRule = (await checkResource(rule, { type: TYPES.replicationGroup, props: compliantPrimary(changes) })).violations.length > 0;
                const byPrimaryRule = (await checkStack(globalDatastorePrimaryCompliant, changeResource(compliantStack(), primaryName, changes))).violations.join("\n").includes(`${setting}:`);
                assert.equal(byPrimaryRule, byResourceRule, `${JSON.stringify(changes)}: ${rule.name} says ${byResourceRule ? "fail" : "pass"}`);
            }
        });

        it("fails a primary that itself joins another Global Datastore, which no resource rule checks", async () => {
            const outcome = await checkStack(globalDatastorePrimaryCompliant, changeResource(compliantStack(), primaryName, { globalReplicationGroupId: "ldgnf-other" }));
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /^ElastiCache replication group must not be a secondary itself: "cache-us-east-1" in us-east-1 is the primary of "datastore" but joins Global Datastore "ldgnf-other"/);
        });

        it("accepts the promoted member as primary after a failover, with the settings AWS reports for it", async () => {
            assert.deepEqual((await checkStack(globalDatastorePrimaryCompliant, afterFailover())).violations, []);
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
});
