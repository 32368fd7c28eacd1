import * as assert from "node:assert/strict";
import { TYPES } from "../../policies/lib/types";
import { autoMinorVersionUpgrade, engineVersion, eventNotifications, logDelivery, statefulResourcesProtected } from "../../policies/operations";
import { checkResource, checkStack, UNKNOWN, urnOf } from "./helpers";
import { changeResource, compliantCluster, compliantPrimary, compliantRedisPrimary, compliantSecondary, compliantStack, lagAlarmName } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });

describe("policies/operations", () => {
    describe("elasticache-auto-minor-version-upgrade", () => {
        it("passes true, and the provider default unless requireExplicit", async () => {
            assert.deepEqual((await checkResource(autoMinorVersionUpgrade, group(compliantPrimary()))).violations, []);
            const unset = group(compliantPrimary({ autoMinorVersionUpgrade: undefined }));
            assert.deepEqual((await checkResource(autoMinorVersionUpgrade, unset)).violations, []);
            assert.match((await checkResource(autoMinorVersionUpgrade, unset, { requireExplicit: true })).violations.join("\n"), /set autoMinorVersionUpgrade explicitly/);
        });

        it("fails false on groups and clusters", async () => {
            assert.match((await checkResource(autoMinorVersionUpgrade, group(compliantPrimary({ autoMinorVersionUpgrade: false })))).violations.join("\n"),
                /^ElastiCache replication group must upgrade minor versions automatically/);
            assert.equal((await checkResource(autoMinorVersionUpgrade, { type: TYPES.cluster, props: compliantCluster({ autoMinorVersionUpgrade: false }) })).violations.length, 1);
        });

        it("reports 'could not verify' for an unknown autoMinorVersionUpgrade, but not on a node whose group id is unknown", async () => {
            const outcome = await checkResource(autoMinorVersionUpgrade, group(compliantPrimary({ autoMinorVersionUpgrade: UNKNOWN })));
            assert.equal(outcome.cannotRun, undefined, "the unknown must not escape to the engine's advisory");
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0],
                /^could not verify elasticache-auto-minor-version-upgrade on ElastiCache replication group "cache-us-east-1" in us-east-1: autoMinorVersionUpgrade is unknown during preview\. /);
            assert.deepEqual((await checkResource(autoMinorVersionUpgrade, group(compliantPrimary({ engineVersion: UNKNOWN })))).violations, []);
            // A node's replicationGroupId is usually the group's output, unknown in preview: it is still a node, and the group carries the setting.
            const node = await checkResource(autoMinorVersionUpgrade,
                { type: TYPES.cluster, props: compliantCluster({ replicationGroupId: UNKNOWN, autoMinorVersionUpgrade: UNKNOWN }) });
            assert.deepEqual(node.violations, []);
            assert.match(node.notApplicable ?? "", /node of a replication group/);
        });
    });

    describe("elasticache-engine-version", () => {
        it("passes Valkey 8.0 and Redis OSS 7.1 with the default floors", async () => {
            assert.deepEqual((await checkResource(engineVersion, group(compliantPrimary()))).violations, []);
            assert.deepEqual((await checkResource(engineVersion, group(compliantRedisPrimary()))).violations, []);
        });

        it("fails Redis OSS 6.0 below the default floor 6.2", async () => {
            const { violations } = await checkResource(engineVersion, group(compliantRedisPrimary({ engineVersion: "6.0" })));
            assert.match(violations.join("\n"), /must run redis 6\.2 or later: .* runs redis 6\.0/);
        });

        it("uses the configured floor per engine", async () => {
            const { violations } = await checkResource(engineVersion, group(compliantPrimary()), { minValkeyVersion: "8.1" });
            assert.match(violations.join("\n"), /must run valkey 8\.1 or later/);
            assert.deepEqual((await checkResource(engineVersion, group(compliantPrimary()), { minRedisVersion: "9.0" })).violations, []);
        });

        it("reads the 6.x form as the latest 6 minor", async () => {
            assert.deepEqual((await checkResource(engineVersion, group(compliantRedisPrimary({ engineVersion: "6.x" })))).violations, []);
            assert.equal((await checkResource(engineVersion, group(compliantRedisPrimary({ engineVersion: "6.x" })), { minRedisVersion: "7.0" })).violations.length, 1);
        });

        it("fails a version that is not one", async () => {
            const { violations } = await checkResource(engineVersion, group(compliantPrimary({ engineVersion: "latest" })));
            assert.match(violations.join("\n"), /sets engineVersion "latest", which is not a version/);
        });

        it("accepts an unset version (AWS default) unless requireExplicit", async () => {
            const unset = group(compliantPrimary({ engineVersion: undefined }));
            assert.deepEqual((await checkResource(engineVersion, unset)).violations, []);
            assert.match((await checkResource(engineVersion, unset, { requireExplicit: true })).violations.join("\n"), /pin engineVersion/);
        });

        it("does not flag a secondary, which takes the datastore's version", async () => {
            assert.deepEqual((await checkResource(engineVersion, group(compliantSecondary()), { minValkeyVersion: "9.0" })).violations, []);
        });

        it("reports 'could not verify' for an unknown engineVersion, but not on a secondary, which does not need it", async () => {
            const outcome = await checkResource(engineVersion, group(compliantPrimary({ engineVersion: UNKNOWN })));
            assert.equal(outcome.cannotRun, undefined, "the unknown must not escape to the engine's advisory");
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0],
                /^could not verify elasticache-engine-version on ElastiCache replication group "cache-us-east-1" in us-east-1: engineVersion is unknown during preview\. /);
            assert.deepEqual((await checkResource(engineVersion, group(compliantPrimary({ autoMinorVersionUpgrade: UNKNOWN })))).violations, []);
            // A secondary's globalReplicationGroupId is the datastore's computed id, unknown in preview.
            const secondary = await checkResource(engineVersion, group(compliantSecondary(undefined, { globalReplicationGroupId: UNKNOWN, engineVersion: UNKNOWN })));
            assert.deepEqual(secondary.violations, []);
            assert.match(secondary.notApplicable ?? "", /joins a Global Datastore/);
        });

        it("rejects a floor that is not a version, naming the option", async () => {
            await assert.rejects(checkResource(engineVersion, group(compliantPrimary()), { minValkeyVersion: "eight" }),
                /policy elasticache-engine-version: option minValkeyVersion is "eight"; expected a string matching/);
        });
    });

    describe("elasticache-log-delivery", () => {
        it("passes slow-log and engine-log delivery", async () => {
            assert.deepEqual((await checkResource(logDelivery, group(compliantPrimary()))).violations, []);
        });

        it("names the missing log type", async () => {
            const logs = (compliantPrimary().logDeliveryConfigurations as Record<string, unknown>[]).filter((l) => l.logType === "slow-log");
            const { violations } = await checkResource(logDelivery, group(compliantPrimary({ logDeliveryConfigurations: logs })));
            assert.match(violations.join("\n"), /must deliver slow-log and engine-log: .* does not deliver engine-log/);
        });

        it("needs only the configured log types", async () => {
            const logs = (compliantPrimary().logDeliveryConfigurations as Record<string, unknown>[]).filter((l) => l.logType === "slow-log");
            assert.deepEqual((await checkResource(logDelivery, group(compliantPrimary({ logDeliveryConfigurations: logs })), { requiredLogTypes: ["slow-log"] })).violations, []);
        });

        it("reads the log type past an unknown destination", async () => {
            const logs = (compliantPrimary().logDeliveryConfigurations as Record<string, unknown>[]).map((l) => ({ ...l, destination: UNKNOWN }));
            assert.deepEqual((await checkResource(logDelivery, group(compliantPrimary({ logDeliveryConfigurations: logs })))).violations, []);
        });
    });

    describe("elasticache-event-notifications", () => {
        it("passes a topic, known or not", async () => {
            assert.deepEqual((await checkResource(eventNotifications, group(compliantPrimary()))).violations, []);
            assert.deepEqual((await checkResource(eventNotifications, group(compliantPrimary({ notificationTopicArn: UNKNOWN })))).violations, []);
        });

        it("fails without notificationTopicArn", async () => {
            const { violations } = await checkResource(eventNotifications, group(compliantPrimary({ notificationTopicArn: undefined })));
            assert.match(violations.join("\n"), /must send events to an SNS topic/);
        });
    });

    describe("stateful-resources-protected", () => {
        it("passes a stack whose groups, datastore and keys are protected", async () => {
            assert.deepEqual((await checkStack(statefulResourcesProtected, compliantStack())).violations, []);
        });

        it("fails each unprotected stateful resource, on that resource", async () => {
            const stack = changeResource(changeResource(compliantStack(), "datastore", {}, { protect: false }), "key-eu-west-1", {}, { protect: false });
            const outcome = await checkStack(statefulResourcesProtected, stack);
            assert.equal(outcome.violations.length, 2);
            assert.match(outcome.violations[0], /^ElastiCache Global Datastore must be protected from deletion: "datastore"/);
            assert.match(outcome.violations[1], /^KMS key must be protected from deletion: "key-eu-west-1" in eu-west-1/);
            assert.deepEqual(outcome.urns, [urnOf(TYPES.globalDatastore, "datastore"), urnOf(TYPES.kmsKey, "key-eu-west-1")]);
        });

        it("asks for protection only on replication groups, datastores and KMS keys", async () => {
            const unprotected = compliantStack().map((r) => ({ ...r, protect: false }));
            const outcome = await checkStack(statefulResourcesProtected, unprotected);
            const stateful = unprotected.filter((r) => [TYPES.replicationGroup, TYPES.globalDatastore, TYPES.kmsKey].includes(r.type as never));
            assert.ok(unprotected.some((r) => r.name === lagAlarmName("us-west-2", 1)), "the stack holds stateless resources too");
            assert.deepEqual(outcome.urns, stateful.map((r) => urnOf(r.type, r.name)));
        });
    });
});
