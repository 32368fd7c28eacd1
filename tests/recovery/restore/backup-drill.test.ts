import * as assert from "node:assert/strict";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";
import { Harness, harness } from "../commands/harness";
import { PASSWORD, SOURCE, addSnapshots, seedRestoredData, seedingConnection, writeMarkers } from "./restore-scenario";
import { FakeTemporaryStacks } from "./temporary-stacks-fake";

describe("backup-drill: restore the newest snapshot into a temporary stack, verify, destroy", function () {
    this.timeout(60_000);
    const fixture = useLocalCluster({ acl: { username: "app", password: PASSWORD } });
    let h: Harness;
    let stacks: FakeTemporaryStacks;
    let snapshots: { daily: string[]; manual: string };

    beforeEach(async () => {
        h = await harness({
            connectDataPlane: async () => fixture.connect(),
            env: { REDIS_PASSWORD: PASSWORD },
            temporaryStacks: (aws) => (stacks = new FakeTemporaryStacks(aws)),
        });
        snapshots = addSnapshots(h);
        const cluster = await seedingConnection(fixture);
        await seedRestoredData(h, cluster);
        await writeMarkers(cluster, "heartbeat", Date.parse("2025-01-15T08:59:00Z"));
    });
    afterEach(() => h.cleanup());

    it("restores the newest available snapshot into the deployment's network, verifies it, reports the times and destroys the stack", async () => {
        const code = await h.run("backup-drill", "--stack", "prod", "--yes");
        assert.equal(code, 0, h.stdout.text + h.stderr.text);
        assert.equal(stacks.created.length, 1);
        const [drill] = stacks.created;
        assert.equal(drill.target.snapshotName, snapshots.manual, "the 09:00 manual one: the 09:50 one is still being taken");
        assert.equal(drill.target.region, "us-east-1");
        assert.match(drill.target.subnetGroupName, /.+/);
        assert.equal(drill.target.userGroupId, "prod-users");
        assert.ok(drill.destroyed && drill.removed, "the temporary stack is gone");
        assert.equal(h.aws.model.replicationGroup("us-east-1", drill.target.replicationGroupId)?.status ?? "gone", h.aws.model.replicationGroup("us-east-1", drill.target.replicationGroupId) ? "deleting" : "gone");
        const report = h.lastReport();
        assert.equal(report.recoveryPoint !== "unknown" && report.recoveryPoint.recoveryPointAt, "2025-01-15T09:00:14.000Z");
        assert.match(h.stdout.text, /restored and verified in/);
        const restore = report.steps.find((s) => s.name === "restore")!;
        assert.equal(restore.result, "ok");
        assert.ok(restore.durationSeconds! >= 25 * 60, `the restore took the fake's 25 minutes, not ${restore.durationSeconds} s`);
        assert.deepEqual(h.driver.calls.filter((c) => c.op === "setConfig" || c.op === "up"), [], "the deployment itself is not touched");
    });

    it("destroys the temporary stack also when verification fails, and fails with the evidence", async () => {
        const cluster = await fixture.connect();
        await cluster.flushall();
        assert.equal(await h.run("backup-drill", "--stack", "prod", "--yes"), 1);
        assert.match(h.stderr.text, /failed verification/);
        assert.ok(stacks.created[0].destroyed && stacks.created[0].removed);
    });

    it("destroys the temporary stack when AWS cannot create the group from the snapshot", async () => {
        h.aws.faults.restoreFails({ region: "us-east-1" });
        assert.equal(await h.run("backup-drill", "--stack", "prod", "--yes"), 1);
        assert.match(h.stderr.text, /create-failed/, h.stdout.text);
        assert.ok(stacks.created[0].destroyed, h.stdout.text);
    });

    it("dry run names the snapshot and the temporary stack and creates nothing", async () => {
        assert.equal(await h.run("backup-drill", "--stack", "prod", "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, new RegExp(`restored from ${snapshots.manual}`));
        assert.equal(stacks?.created.length ?? 0, 0);
        assert.deepEqual(h.changes(), []);
    });

    it("refuses a snapshot of another cluster without creating anything", async () => {
        assert.equal(await h.run("backup-drill", "--stack", "prod", "--snapshot", "automatic.staging-eu-central-1-2025-01-14-03-00", "--yes"), 1);
        assert.match(h.stderr.text, new RegExp(`not a snapshot of replication groups ${SOURCE}, prod-us-west-2, prod-eu-west-1`));
        assert.equal(stacks?.created.length ?? 0, 0);
    });
});
