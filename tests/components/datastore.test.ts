import * as assert from "node:assert/strict";
import { ProgramRun, isSecret } from "../../offline/run";
import { T, inRegion, memberIn, ofType, only, runWith } from "../helpers/program";

// What AWS answers InvalidParameterCombination to when a joining member sends it.
const FORBIDDEN_ON_JOINERS = [
    // Inherited from the datastore, which owns failover once a group is a member.
    "automaticFailoverEnabled", "multiAzEnabled",
    "numNodeGroups", "parameterGroupName", "engine", "engineVersion", "nodeType", "securityGroupNames",
    "transitEncryptionEnabled", "transitEncryptionMode", "atRestEncryptionEnabled", "snapshotArns", "snapshotName",
];

describe("GlobalDatastore (prod stack under mocks)", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runWith();
    });

    it("creates the founding replication group in the founding region with cluster mode, Multi-AZ and failover", () => {
        const founder = memberIn(run, "us-east-1").inputs;
        assert.equal(founder.clusterMode, "enabled");
        assert.equal(founder.numNodeGroups, 3);
        assert.equal(founder.replicasPerNodeGroup, 2);
        assert.equal(founder.automaticFailoverEnabled, true);
        assert.equal(founder.multiAzEnabled, true);
        assert.equal(founder.engine, "valkey");
        assert.equal(founder.engineVersion, "8.0");
        assert.equal(founder.nodeType, "cache.r7g.xlarge");
        assert.equal(founder.parameterGroupName, "default.valkey8.cluster.on");
        assert.equal(founder.globalReplicationGroupId, undefined);
    });

    it("encrypts the founder at rest with its region's customer-managed key and requires TLS", () => {
        const founder = memberIn(run, "us-east-1");
        const key = only(inRegion(run, T.kmsKey, "us-east-1"), "KMS key in us-east-1");
        assert.equal(founder.inputs.atRestEncryptionEnabled, true);
        assert.equal(founder.inputs.kmsKeyId, key.state.arn);
        assert.equal(founder.inputs.transitEncryptionEnabled, true);
        assert.equal(founder.inputs.transitEncryptionMode, "required");
    });

    it("sets backups, windows, final snapshot, logs, events, minor upgrades and tags on every member", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const m = memberIn(run, region).inputs as Record<string, any>;
            const topic = only(inRegion(run, T.topic, region).filter((t) => t.inputs.name === "test-elasticache-events"), "event topic");
            assert.equal(m.snapshotRetentionLimit, 14, region);
            assert.equal(m.snapshotWindow, "03:00-05:00");
            assert.equal(m.maintenanceWindow, "sun:06:00-sun:07:00");
            assert.equal(m.finalSnapshotIdentifier, `test-${region}-final`);
            assert.equal(m.autoMinorVersionUpgrade, true);
            assert.equal(m.notificationTopicArn, topic.state.arn);
            assert.deepEqual(m.logDeliveryConfigurations.map((l: any) => [l.logType, l.destination, l.destinationType]), [
                ["slow-log", "/elasticache-global/test/slow-log", "cloudwatch-logs"],
                ["engine-log", "/elasticache-global/test/engine-log", "cloudwatch-logs"],
            ]);
            assert.equal(m.tags.team, "platform");
            assert.equal(m.tags["elasticache-global:stack"], "test");
        }
    });

    it("declares one Global Datastore whose primary is the founder and which carries node type, version and shards", () => {
        const datastore = only(ofType(run, T.globalDatastore), "Global Datastore");
        const founder = memberIn(run, "us-east-1");
        assert.equal(datastore.inputs.primaryReplicationGroupId, founder.id);
        assert.equal(datastore.inputs.region, "us-east-1");
        assert.equal(datastore.inputs.globalReplicationGroupIdSuffix, "test");
        assert.equal(datastore.inputs.cacheNodeType, "cache.r7g.xlarge");
        assert.equal(datastore.inputs.engineVersion, "8.0");
        assert.equal(datastore.inputs.numNodeGroups, 3);
        assert.deepEqual(datastore.ignoreChanges, ["primaryReplicationGroupId"]);
    });

    it("joins the other regions through the datastore's id and sends nothing a secondary may not set", () => {
        const datastore = only(ofType(run, T.globalDatastore), "Global Datastore");
        for (const region of ["us-west-2", "eu-west-1"]) {
            const joiner = memberIn(run, region);
            assert.equal(joiner.inputs.globalReplicationGroupId, datastore.state.globalReplicationGroupId);
            for (const key of FORBIDDEN_ON_JOINERS) {
                assert.equal(joiner.inputs[key], undefined, `${region} member sets ${key}`);
            }
            const key = only(inRegion(run, T.kmsKey, region), "KMS key");
            assert.equal(joiner.inputs.kmsKeyId, key.state.arn, "each member uses its own region's key");
            assert.equal(joiner.inputs.replicasPerNodeGroup, 2);
            for (const managed of ["engineVersion", "nodeType", "numNodeGroups", "parameterGroupName", "engine", "automaticFailoverEnabled", "multiAzEnabled"]) {
                assert.ok(joiner.ignoreChanges.includes(managed), `${region} member must ignore ${managed}`);
            }
        }
    });

    it("adds secondaries one at a time, since a join leaves the datastore modifying", () => {
        const datastore = only(ofType(run, T.globalDatastore), "Global Datastore");
        const [first, second] = [memberIn(run, "eu-west-1"), memberIn(run, "us-west-2")];
        assert.ok(first.dependencies.includes(datastore.urn));
        assert.ok(second.dependencies.includes(first.urn), "the second join waits for the first");
    });

    it("makes the founder ignore what the datastore manages", () => {
        const founder = memberIn(run, "us-east-1");
        for (const managed of ["engineVersion", "nodeType", "numNodeGroups", "parameterGroupName", "automaticFailoverEnabled"]) {
            assert.ok(founder.ignoreChanges.includes(managed), `founder must ignore ${managed}`);
        }
    });

    it("protects every replication group, the datastore and the KMS keys from deletion", () => {
        const stateful = [...ofType(run, T.replicationGroup), ...ofType(run, T.globalDatastore), ...ofType(run, T.kmsKey)];
        assert.equal(stateful.length, 3 + 1 + 3);
        for (const r of stateful) {
            assert.equal(r.protect, true, `${r.name} is not protected`);
        }
    });

    it("authenticates with an RBAC user group per region whose default user is disabled", () => {
        const founderGroups = memberIn(run, "us-east-1").inputs.userGroupIds;
        assert.deepEqual(founderGroups, ["test-users"]);
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const group = only(inRegion(run, T.userGroup, region), "user group");
            assert.equal(group.inputs.engine, "valkey");
            const users = inRegion(run, T.user, region);
            const byId = new Map(users.map((u) => [u.inputs.userId, u.inputs]));
            const members = (group.inputs.userIds as string[]).map((id) => byId.get(id));
            const defaults = members.filter((u) => u?.userName === "default");
            assert.equal(defaults.length, 1, "the group must hold exactly one user named default");
            assert.match(String(defaults[0]!.accessString), /^off\b/);
            assert.deepEqual(memberIn(run, region).inputs.userGroupIds, ["test-users"]);
        }
    });

    it("keeps user passwords secret and makes IAM users' names equal their ids", () => {
        const users = inRegion(run, T.user, "us-east-1");
        const app = users.find((u) => u.inputs.userName === "app")!;
        assert.ok(isSecret(app.inputs.authenticationMode), "the app user's password must be a secret");
        const reporting = users.find((u) => u.inputs.userId === "test-reporting")!;
        assert.deepEqual(reporting.inputs.authenticationMode, { type: "iam" });
        assert.equal(reporting.inputs.userName, "test-reporting");
    });

    it("uses an AUTH token, secret and with an explicit update strategy, for Redis OSS before 6.0", async () => {
        const old = await runWith({
            engine: "redis", engineVersion: "5.0.6", users: undefined, userPasswords: undefined,
            authToken: "an-auth-token-of-24-chars",
        });
        const founder = memberIn(old, "us-east-1").inputs;
        assert.ok(isSecret(founder.authToken));
        assert.equal((founder.authToken as { value: unknown }).value, "an-auth-token-of-24-chars");
        // The provider accepts SET, ROTATE or DELETE, case-sensitively (tests/components/enums.test.ts).
        assert.equal(founder.authTokenUpdateStrategy, "ROTATE");
        assert.equal(founder.userGroupIds, undefined);
        assert.equal(founder.parameterGroupName, "default.redis5.0.cluster.on");
        assert.equal(ofType(old, T.userGroup).length, 0);
        assert.equal(ofType(old, T.user).length, 0);
    });

    it("refuses r6gd (data tiering) node types before declaring anything, and sets no data tiering", async () => {
        assert.equal(memberIn(run, "us-east-1").inputs.dataTieringEnabled, undefined);
        await assert.rejects(runWith({ nodeType: "cache.r6gd.xlarge" }),
            /elasticache-global:nodeType is "cache\.r6gd\.xlarge": .*Accepted: cache\.<m5\|m6g\|m7g\|r5\|r6g\|r7g\|c7gn>\./s);
    });

    // GlobalReplicationGroup type docs: "engine ... Default is `redis` if `engineVersion` is specified."
    // The datastore carries engineVersion, so without engine an upgrade of a Valkey datastore goes out as Redis OSS.
    it("names the engine on the datastore beside its engine version", async () => {
        assert.equal(only(ofType(run, T.globalDatastore), "Global Datastore").inputs.engine, "valkey");
        const staging = await runWith({}, "staging");
        const datastore = only(ofType(staging, T.globalDatastore), "Global Datastore").inputs;
        assert.deepEqual([datastore.engine, datastore.engineVersion], ["redis", "7.1"]);
    });
});
