import * as assert from "node:assert/strict";
import { encryptionAtRest, encryptionAtRestCmk, encryptionInTransit } from "../../policies/encryption";
import { TYPES } from "../../policies/lib/types";
import { checkResource, UNKNOWN } from "./helpers";
import { compliantCluster, compliantPrimary, compliantRedisPrimary, compliantSecondary } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });

describe("policies/encryption", () => {
    describe("elasticache-encryption-at-rest", () => {
        it("passes a primary encrypted at rest", async () => {
            assert.deepEqual((await checkResource(encryptionAtRest, group(compliantPrimary()))).violations, []);
        });

        it("fails atRestEncryptionEnabled false, naming the resource, region and fix", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantPrimary({ atRestEncryptionEnabled: false })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /^ElastiCache replication group must encrypt data at rest: "cache-us-east-1" in us-east-1 sets atRestEncryptionEnabled: false\. Fix: set atRestEncryptionEnabled: true/);
        });

        it("accepts Valkey's default (encrypted) when atRestEncryptionEnabled is unset", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantPrimary({ atRestEncryptionEnabled: undefined })));
            assert.deepEqual(violations, []);
        });

        it("fails Redis OSS with atRestEncryptionEnabled unset, since Redis does not encrypt by default", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantRedisPrimary({ atRestEncryptionEnabled: undefined })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /redis does not encrypt at rest by default/);
        });

        it("fails Valkey's default too when requireExplicit is set", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantPrimary({ atRestEncryptionEnabled: undefined })), { requireExplicit: true });
            assert.equal(violations.length, 1);
            assert.match(violations[0], /must set atRestEncryptionEnabled explicitly/);
        });

        it("treats an unset engine as the provider's default, redis", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantPrimary({ engine: undefined, atRestEncryptionEnabled: undefined })));
            assert.match(violations.join("\n"), /redis does not encrypt at rest by default/);
        });

        it("reports 'could not verify' when atRestEncryptionEnabled itself is unknown", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantPrimary({ atRestEncryptionEnabled: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify .*atRestEncryptionEnabled is unknown during preview/);
        });

        it("passes encryption with the AWS managed key (no kmsKeyId): the key is elasticache-encryption-at-rest-cmk's to judge", async () => {
            assert.deepEqual((await checkResource(encryptionAtRest, group(compliantPrimary({ kmsKeyId: undefined })))).violations, []);
        });

        it("is not applicable to a secondary, which inherits the at-rest flag", async () => {
            const outcome = await checkResource(encryptionAtRest, group(compliantSecondary(undefined, { kmsKeyId: undefined })));
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.notApplicable ?? "", /inherits this setting from the datastore's primary/);
        });

        it("treats a secondary whose globalReplicationGroupId is unknown as a secondary", async () => {
            const { violations } = await checkResource(encryptionAtRest, group(compliantSecondary(undefined, { globalReplicationGroupId: UNKNOWN })));
            assert.deepEqual(violations, []);
        });

        it("is not applicable to other types", async () => {
            const outcome = await checkResource(encryptionAtRest, { type: TYPES.cluster, props: compliantCluster() });
            assert.match(outcome.notApplicable ?? "", /applies to aws:elasticache\/replicationGroup:ReplicationGroup/);
        });
    });

    describe("elasticache-encryption-at-rest-cmk", () => {
        it("passes a customer-managed key", async () => {
            assert.deepEqual((await checkResource(encryptionAtRestCmk, group(compliantPrimary()))).violations, []);
        });

        it("fails without kmsKeyId (AWS managed key)", async () => {
            const { violations } = await checkResource(encryptionAtRestCmk, group(compliantPrimary({ kmsKeyId: undefined })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /must use a customer-managed KMS key: .* sets no kmsKeyId/);
        });

        it("fails the AWS managed key named by its alias", async () => {
            const { violations } = await checkResource(encryptionAtRestCmk, group(compliantPrimary({ kmsKeyId: "alias/aws/elasticache" })));
            assert.match(violations.join("\n"), /an AWS managed key/);
        });

        it("counts a kmsKeyId unknown during preview as set when no allow-list is configured", async () => {
            const outcome = await checkResource(encryptionAtRestCmk, group(compliantPrimary({ kmsKeyId: UNKNOWN })));
            assert.deepEqual(outcome.violations, []);
            assert.equal(outcome.cannotRun, undefined);
        });

        it("reports 'could not verify' when an allow-list must be checked against an unknown kmsKeyId", async () => {
            const outcome = await checkResource(encryptionAtRestCmk, group(compliantPrimary({ kmsKeyId: UNKNOWN })), { allowedKmsKeys: ["alias/cache"] });
            assert.equal(outcome.cannotRun, undefined, "the unknown must not escape to the engine's advisory");
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0], /^could not verify elasticache-encryption-at-rest-cmk on ElastiCache replication group "cache-us-east-1" in us-east-1: kmsKeyId is unknown during preview\. /);
            // An unknown input always comes from another resource's output, so setting it directly is a real remedy.
            assert.match(outcome.violations[0], /Fix: the rule checks it once the value is known, in a later preview or update; to make it verifiable now, set kmsKeyId from a literal or stack config instead of another resource's output\.$/);
        });

        it("accepts a key on the allow-list by full ARN or by its key/<id> tail, and rejects others", async () => {
            const arn = compliantPrimary().kmsKeyId as string;
            const tail = arn.slice(arn.indexOf("key/"));
            assert.deepEqual((await checkResource(encryptionAtRestCmk, group(compliantPrimary()), { allowedKmsKeys: [arn] })).violations, []);
            assert.deepEqual((await checkResource(encryptionAtRestCmk, group(compliantPrimary()), { allowedKmsKeys: [tail] })).violations, []);
            const other = await checkResource(encryptionAtRestCmk, group(compliantPrimary()), { allowedKmsKeys: ["alias/other"] });
            assert.match(other.violations.join("\n"), /not in allowedKmsKeys \(alias\/other\)/);
        });

        it("checks a secondary's own key: members choose theirs", async () => {
            assert.deepEqual((await checkResource(encryptionAtRestCmk, group(compliantSecondary()))).violations, []);
            const noKey = await checkResource(encryptionAtRestCmk, group(compliantSecondary(undefined, { kmsKeyId: undefined })));
            assert.match(noKey.violations.join("\n"), /sets no kmsKeyId/);
        });
    });

    describe("elasticache-encryption-in-transit", () => {
        it("passes a primary with TLS required", async () => {
            assert.deepEqual((await checkResource(encryptionInTransit, group(compliantPrimary()))).violations, []);
        });

        it("fails transitEncryptionEnabled false", async () => {
            const { violations } = await checkResource(encryptionInTransit, group(compliantPrimary({ transitEncryptionEnabled: false })));
            assert.match(violations.join("\n"), /^ElastiCache replication group must encrypt traffic in transit: .* sets transitEncryptionEnabled: false/);
        });

        it("fails transitEncryptionEnabled unset", async () => {
            const { violations } = await checkResource(encryptionInTransit, group(compliantPrimary({ transitEncryptionEnabled: undefined })));
            assert.match(violations.join("\n"), /leaves transitEncryptionEnabled unset/);
        });

        it("fails transitEncryptionMode preferred", async () => {
            const { violations } = await checkResource(encryptionInTransit, group(compliantPrimary({ transitEncryptionMode: "preferred" })));
            assert.match(violations.join("\n"), /must require TLS from every client: .* "preferred"/);
        });

        it("accepts transitEncryptionMode preferred, or an unknown mode, with allowPreferredMode (the switch still counts)", async () => {
            const preferred = group(compliantPrimary({ transitEncryptionMode: "preferred" }));
            assert.deepEqual((await checkResource(encryptionInTransit, preferred, { allowPreferredMode: true })).violations, []);
            assert.deepEqual((await checkResource(encryptionInTransit, group(compliantPrimary({ transitEncryptionMode: UNKNOWN })), { allowPreferredMode: true })).violations, []);
            const off = await checkResource(encryptionInTransit, group(compliantPrimary({ transitEncryptionEnabled: false })), { allowPreferredMode: true });
            assert.match(off.violations.join("\n"), /sets transitEncryptionEnabled: false/);
        });

        it("accepts an unset mode (required by default) unless requireExplicit", async () => {
            const props = compliantPrimary({ transitEncryptionMode: undefined });
            assert.deepEqual((await checkResource(encryptionInTransit, group(props))).violations, []);
            const strict = await checkResource(encryptionInTransit, group(props), { requireExplicit: true });
            assert.match(strict.violations.join("\n"), /set transitEncryptionMode explicitly/);
        });

        it("is not applicable to a secondary, which inherits TLS from the primary", async () => {
            const outcome = await checkResource(encryptionInTransit, group(compliantSecondary()));
            assert.deepEqual(outcome.violations, []);
            assert.match(outcome.notApplicable ?? "", /inherits this setting from the datastore's primary/);
        });

        it("checks a standalone cluster's switch (clusters have no mode)", async () => {
            assert.deepEqual((await checkResource(encryptionInTransit, { type: TYPES.cluster, props: compliantCluster() })).violations, []);
            const off = await checkResource(encryptionInTransit, { type: TYPES.cluster, props: compliantCluster({ transitEncryptionEnabled: false }) });
            assert.match(off.violations.join("\n"), /^ElastiCache cluster must encrypt traffic in transit/);
        });

        it("is not applicable to a cluster that is a node of a replication group", async () => {
            const outcome = await checkResource(encryptionInTransit, { type: TYPES.cluster, props: compliantCluster({ replicationGroupId: "prod-us-east-1", transitEncryptionEnabled: undefined }) });
            assert.match(outcome.notApplicable ?? "", /node of a replication group/);
        });

        it("reports 'could not verify' for an unknown transitEncryptionEnabled", async () => {
            const { violations } = await checkResource(encryptionInTransit, group(compliantPrimary({ transitEncryptionEnabled: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-encryption-in-transit .*transitEncryptionEnabled is unknown/);
        });
    });
});
