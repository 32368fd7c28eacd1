/**
 * Generation numbers are never used twice, and every final snapshot name is unique and looked up
 * (DescribeSnapshots by name) before AWS is asked for it. Against the control-plane fake, which refuses
 * a snapshot name already taken in the region as AWS does (SnapshotAlreadyExistsFault, delete-ops.ts
 * and snapshot-ops.ts).
 */
import * as assert from "node:assert/strict";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";
import { Harness, harness, writerDocument } from "../commands/harness";
import { finalSnapshotName as rejoinFinalSnapshotName } from "../../../recovery/lib/rejoin/snapshots";
import { OLD_PRIMARY, REJOIN, detachedThenBack } from "../commands/rejoin-scenario";
import { PASSWORD, addSnapshots, restoreHarness, seedRestoredData, seedingConnection, writeMarkers } from "./restore-scenario";

const BEFORE = "2025-01-15T08:00:00Z";
const RESTORE = ["restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--redis-user", "app", "--yes"];
const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const KEY = (k: string) => `elasticache-global:${k}`;
const SEED = "automatic.prod-us-east-1-2025-01-15-03-00";
/** After a restore: generation 2 active, generation 1 kept for investigation. */
const AFTER_RESTORE = {
    [KEY("generation")]: "2",
    [KEY("seedSnapshot")]: SEED,
    [KEY("inactiveGenerations")]: JSON.stringify({ 1: { foundingRegion: "us-east-1" } }),
};

describe("generation numbers are never used twice", function () {
    this.timeout(240_000);
    const fixture = useLocalCluster({ acl: { username: "app", password: PASSWORD } });
    let h: Harness;
    afterEach(() => h?.cleanup());

    const config = async () => Object.fromEntries(Object.entries(await h.driver.getConfig()).map(([k, v]) => [k, v.value]));

    it("declares generation 3 after generation 2 failed to build and was retired", async () => {
        h = await restoreHarness(fixture);
        addSnapshots(h);
        const cluster = await seedingConnection(fixture);
        await seedRestoredData(h, cluster);
        await writeMarkers(cluster, "heartbeat", Date.parse("2025-01-15T02:58:00Z"));
        h.aws.faults.restoreFails({ replicationGroupId: "prod-g2-us-east-1" });
        assert.equal(await h.run(...RESTORE), 1);
        assert.match(h.stderr.text, /prod-g2-us-east-1 of generation 2 in us-east-1 is create-failed/);
        assert.equal((await config())[KEY("highestGeneration")], "2", "declared together with generation 2");

        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "2", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.equal((await config())[KEY("inactiveGenerations")], "{}");
        assert.equal((await config())[KEY("highestGeneration")], "2", "a retire leaves it");

        assert.equal(await h.run(...RESTORE), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /config elasticache-global:highestGeneration: 2 -> 3/);
        const c = await config();
        assert.equal(c[KEY("generation")], "3");
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, "prod-g3-us-east-1");
        assert.equal(h.aws.model.replicationGroup("us-east-1", "prod-g3-us-east-1")?.restoredFrom, SEED);
    });

    it("refuses, before changing anything, a highestGeneration lowered by hand below what the last update deployed", async () => {
        h = await harness({ overrides: { ...AFTER_RESTORE, [KEY("highestGeneration")]: "2" }, deployedWith: { [KEY("highestGeneration")]: "3" } });
        addSnapshots(h);
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--dry-run"), 1);
        assert.match(h.stderr.text, /elasticache-global:highestGeneration is 2, but the last update deployed 3: it only grows.*Accepted: 3 or more/s);
        assert.deepEqual(h.changes(), []);
    });

    it("refuses a retired generation's number declared again by hand", async () => {
        const retired = { ...AFTER_RESTORE, [KEY("highestGeneration")]: "3" };
        h = await harness({
            overrides: { ...retired, [KEY("inactiveGenerations")]: JSON.stringify({ 1: { foundingRegion: "us-east-1" }, 3: { foundingRegion: "us-east-1", seedSnapshot: SEED } }) },
            deployedWith: retired,
        });
        addSnapshots(h);
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--dry-run"), 1);
        assert.match(h.stderr.text, /generation 3 is declared, but the last update deployed no generation 3 although it had numbered up to 3: generation 3 was retired/);
        assert.deepEqual(h.changes(), []);
    });
});

describe("final snapshot names are unique and checked before they are asked for", function () {
    this.timeout(120_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    const GENERATION_1 = ["prod-us-east-1", "prod-us-west-2", "prod-eu-west-1"];
    const finalIdentifiers = () => h.driver.deployedResources.filter((r) => r.type === RG && GENERATION_1.includes(String(r.inputs.replicationGroupId)))
        .map((r) => String(r.inputs.finalSnapshotIdentifier)).sort();

    it("gives a retirement's final snapshots names of their own, skipping one that is taken, and looks each up first", async () => {
        h = await harness({ overrides: AFTER_RESTORE });
        // A snapshot already holds the name this retirement would give first (virtual now is 10:00:00 UTC).
        h.aws.addSnapshot("us-east-1", { replicationGroupId: "prod-us-east-1", takenAt: Date.parse("2025-01-14T10:00:00Z"), source: "manual", name: "prod-us-east-1-final-20250115-100000" });
        // Stop at the update that deletes, so the names the deletion would use can be read from the stack.
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1, after: 1 });
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1);
        assert.match(h.stdout.text, /taken already: prod-us-east-1-final-20250115-100000 in us-east-1 \(of prod-us-east-1, available\); using suffix 20250115-100001/);
        assert.deepEqual(finalIdentifiers(), ["prod-eu-west-1-final-20250115-100001", "prod-us-east-1-final-20250115-100001", "prod-us-west-2-final-20250115-100001"]);
        const looked = h.aws.log.calls({ command: "DescribeSnapshots" }).map((c) => c.input.SnapshotName).filter(Boolean);
        for (const name of ["prod-us-east-1-final-20250115-100001", "prod-us-west-2-final-20250115-100001", "prod-eu-west-1-final-20250115-100001"]) {
            assert.ok(looked.includes(name), `${name} was looked up before the update that uses it: ${looked.join(", ")}`);
        }
        // The rerun finishes the removal and looks the names up again before its update.
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /\[final-snapshot-names\] ok: free: prod-us-east-1-final-20250115-100001 \(us-east-1\), prod-us-west-2-final-20250115-100001 \(us-west-2\)/);
    });

    it("refuses the deleting update when a final snapshot name was taken after the generation was marked", async () => {
        // An earlier run marked generation 1 and removed it from the configuration; its update did not run.
        const marked = JSON.stringify({ 1: { foundingRegion: "us-east-1", retiring: true, finalSnapshotSuffix: "20250115-093000" } });
        h = await harness({ overrides: { ...AFTER_RESTORE, [KEY("inactiveGenerations")]: "{}" }, deployedWith: { [KEY("inactiveGenerations")]: marked } });
        h.aws.addSnapshot("us-west-2", { replicationGroupId: "prod-us-west-2", takenAt: Date.parse("2025-01-15T09:40:00Z"), source: "manual", name: "prod-us-west-2-final-20250115-093000" });
        const ups = h.driver.calls.filter((c) => c.op === "up").length;
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1);
        assert.match(h.stderr.text, /the final snapshot names of generation 1 are taken: prod-us-west-2-final-20250115-093000 in us-west-2 .*Nothing was deleted/);
        assert.equal(h.driver.calls.filter((c) => c.op === "up").length, ups, "no update was run");
    });

    it("rejoin looks its final snapshot name up before deleting a stale group, and deletes nothing under a taken name", async () => {
        ({ h } = await detachedThenBack("published"));
        const name = rejoinFinalSnapshotName(OLD_PRIMARY, h.aws.clock.now());
        h.aws.addSnapshot("us-east-1", { replicationGroupId: OLD_PRIMARY, takenAt: h.aws.clock.now() - 60_000, source: "manual", name });
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, new RegExp(`the final snapshot of ${OLD_PRIMARY}: a snapshot named ${name} already exists in us-east-1`));
        assert.deepEqual(h.aws.log.calls({ command: "DeleteReplicationGroup" }).filter((c) => c.input.ReplicationGroupId === OLD_PRIMARY), []);
        assert.ok(h.aws.model.replicationGroup("us-east-1", OLD_PRIMARY), "the old primary is still there");
    });

    it("takes a manual snapshot under the next second's name when this second's is taken", async () => {
        h = await harness();
        h.aws.addSnapshot("us-east-1", { replicationGroupId: "prod-us-east-1", takenAt: Date.parse("2025-01-15T09:00:00Z"), source: "manual", name: "prod-us-east-1-manual-20250115-100000" });
        assert.equal(await h.run("snapshot", "--stack", "prod", "--reason", "before the upgrade", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /a snapshot named prod-us-east-1-manual-20250115-100000 exists already in us-east-1; taking the next second's name/);
        assert.equal(h.aws.snapshot("us-east-1", "prod-us-east-1-manual-20250115-100001").status, "available");
        assert.ok(h.aws.log.calls({ command: "CreateSnapshot" }).every((c) => c.outcome === "ok"), "AWS was never asked for the taken name");
    });
});
