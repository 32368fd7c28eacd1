import * as assert from "node:assert/strict";
import { TYPES } from "../../policies/lib/types";
import { autoMinorVersionUpgrade, engineVersion, eventNotifications, logDelivery, statefulResourcesProtected } from "../../policies/operations";
import { checkResource, checkStack, StackInput, UNKNOWN, urnOf, withProps } from "./helpers";
import {
    PRIMARY_REGION, SECONDARY_REGIONS, changeResource, compliantCluster, compliantPrimary, compliantRedisPrimary, compliantSecondary, compliantStack,
    firstPreviewStack, lagAlarmName,
} from "./fixtures";

/** The engine's type token of an SNS topic. */
const SNS_TOPIC = "aws:sns/topic:Topic";

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

        // @pulumi/aws v7 declares Cluster.autoMinorVersionUpgrade as a string ("true"/"false"; ClusterArgs in
        // node_modules/@pulumi/aws/elasticache/cluster.d.ts) and ReplicationGroup's as a boolean: the only value a
        // typed program can write to turn it off on a cluster is the string "false".
        it("fails a cluster's string \"false\", the form @pulumi/aws v7 declares, and passes \"true\"", async () => {
            const off = await checkResource(autoMinorVersionUpgrade, { type: TYPES.cluster, name: "single", props: compliantCluster({ autoMinorVersionUpgrade: "false" }) });
            assert.equal(off.violations.length, 1);
            assert.match(off.violations[0], /^ElastiCache cluster must upgrade minor versions automatically: "single" in us-east-1 sets autoMinorVersionUpgrade: "false"/);
            assert.deepEqual((await checkResource(autoMinorVersionUpgrade, { type: TYPES.cluster, props: compliantCluster({ autoMinorVersionUpgrade: "true" }) })).violations, []);
            assert.deepEqual((await checkResource(autoMinorVersionUpgrade, { type: TYPES.cluster, props: compliantCluster({ autoMinorVersionUpgrade: "TRUE" }) })).violations, []);
        });

        it("fails a cluster's string that is not a boolean at all, naming the accepted values", async () => {
            const { violations } = await checkResource(autoMinorVersionUpgrade, { type: TYPES.cluster, props: compliantCluster({ autoMinorVersionUpgrade: "yes" }) });
            assert.equal(violations.length, 1);
            assert.match(violations[0], /sets autoMinorVersionUpgrade: "yes", which is not "true" or "false"/);
        });

        it("is not applicable to memcached, which has no minor version upgrades of this kind", async () => {
            const outcome = await checkResource(autoMinorVersionUpgrade, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached", autoMinorVersionUpgrade: "false" }) });
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.notApplicable ?? "", /runs memcached/);
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

        // ElastiCache guide, "Event Notifications and Amazon SNS": the topic cannot be encrypted; an
        // encrypted one shows as inactive, which disassociates it. Only the stack shows what a topic is.
        describe("on the stack: the topic a group names", () => {
            const primary = `cache-${PRIMARY_REGION}`;
            const topicIn = (region: string, changes: Record<string, unknown> = {}, extra: Partial<StackInput> = {}): StackInput => ({
                type: SNS_TOPIC, name: `events-${region}`, ...extra,
                props: withProps({ region, name: "prod-elasticache-events", arn: String(compliantPrimary().notificationTopicArn).replace(PRIMARY_REGION, region) }, changes),
            });
            const withTopics = (changes: Record<string, unknown> = {}, extra: Partial<StackInput> = {}) =>
                [...compliantStack(), ...[PRIMARY_REGION, ...SECONDARY_REGIONS].map((r) => topicIn(r, r === PRIMARY_REGION ? changes : {}, r === PRIMARY_REGION ? extra : {}))];

            it("passes groups whose topic is unencrypted, and groups whose topic is not in the stack", async () => {
                assert.deepEqual((await checkStack(eventNotifications, withTopics())).violations, []);
                assert.deepEqual((await checkStack(eventNotifications, compliantStack())).violations, []);
            });

            it("fails a group whose notificationTopicArn is an encrypted topic of the stack, on that group", async () => {
                const outcome = await checkStack(eventNotifications, withTopics({ kmsMasterKeyId: "arn:aws:kms:us-east-1:123456789012:key/alarms" }));
                assert.equal(outcome.violations.length, 1);
                assert.match(outcome.violations[0], new RegExp(`^ElastiCache replication group must send events to an unencrypted SNS topic: "${primary}" in us-east-1 ` +
                    `sends them to "events-us-east-1", which is encrypted \\(kmsMasterKeyId is set\\)`));
                assert.match(outcome.violations[0], /Fix: .*without kmsMasterKeyId.*aws:SourceOwner/);
                assert.deepEqual(outcome.urns, [urnOf(TYPES.replicationGroup, primary)]);
            });

            it("sees it in a first preview, where both ARNs are unknown, through the engine's property dependencies", async () => {
                const unknownArn = (kms: Record<string, unknown>, kmsFeeds: Record<string, string[]>) => changeResource(
                    [...firstPreviewStack(), topicIn(PRIMARY_REGION, { arn: UNKNOWN, ...kms }, { feeds: kmsFeeds })],
                    primary, { notificationTopicArn: UNKNOWN }, { feeds: { kmsKeyId: [`key-${PRIMARY_REGION}`], notificationTopicArn: [`events-${PRIMARY_REGION}`] } });
                const encrypted = await checkStack(eventNotifications, unknownArn({ kmsMasterKeyId: UNKNOWN }, { kmsMasterKeyId: [`key-${PRIMARY_REGION}`] }));
                assert.equal(encrypted.cannotRun, undefined);
                assert.equal(encrypted.violations.length, 1);
                assert.match(encrypted.violations[0], /sends them to "events-us-east-1", which is encrypted/);
                assert.deepEqual((await checkStack(eventNotifications, unknownArn({}, {}))).violations, []);
            });
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
