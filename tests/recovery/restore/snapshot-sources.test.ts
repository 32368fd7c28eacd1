/**
 * Where restore-from-snapshot looks for the snapshot: every member of the current generation in every
 * member region and the founder's own group wherever it stands, the newest good one winning wherever it
 * is, the new generation founded in its region. Snapshots are regional in the fake as in AWS (a group
 * is created only from a snapshot of its own region: SnapshotNotFoundFault otherwise, snapshot-ops.ts).
 */
import * as assert from "node:assert/strict";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";
import { Harness, writerDocument } from "../commands/harness";
import { HOUR, PASSWORD, addSnapshots, restoreHarness, seedRestoredData, seedingConnection, writeMarkers } from "./restore-scenario";

const BEFORE = "2025-01-15T08:00:00Z";
const KEY = (k: string) => `elasticache-global:${k}`;
/** The stack after retarget-primary made us-west-2 the primary: us-east-1 founded the datastore and is a secondary now. */
const PROMOTED = {
    [KEY("primaryRegion")]: "us-west-2",
    [KEY("secondaryRegions")]: JSON.stringify(["eu-west-1", "us-east-1"]),
    [KEY("foundingRegion")]: "us-east-1",
};

describe("restore-from-snapshot: the snapshot, wherever it is", function () {
    this.timeout(180_000);
    const fixture = useLocalCluster({ acl: { username: "app", password: PASSWORD } });
    let h: Harness;
    afterEach(() => h?.cleanup());

    describe("after a promotion moved the primary away from the founder", () => {
        beforeEach(async () => {
            h = await restoreHarness(fixture, {}, { overrides: PROMOTED });
            h.aws.promoteByHand("us-west-2");
            addSnapshots(h);
        });

        it("finds the good snapshots with the founder, now a secondary, says where it looked, and founds the new generation there", async () => {
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--dry-run"), 0, h.stdout.text + h.stderr.text);
            assert.match(h.stdout.text, /us-west-2: prod-us-west-2 \(PRIMARY\): no snapshot/);
            assert.match(h.stdout.text, /eu-west-1: prod-eu-west-1 \(SECONDARY\): no snapshot/);
            assert.match(h.stdout.text, /us-east-1: prod-us-east-1 \(founder, now SECONDARY\): 7 snapshots, the newest available captured by 2025-01-15T09:00:14Z/);
            assert.match(h.stdout.text, /chosen: automatic\.prod-us-east-1-2025-01-15-03-00 in us-east-1 \(automated, of prod-us-east-1, founder, now SECONDARY\)/);
            assert.match(h.stdout.text, /the new generation is founded in us-east-1, where the snapshot is \(no copy across regions\), so the writer moves to us-east-1/);
            assert.match(h.stdout.text, /config elasticache-global:inactiveGenerations: \(unset\) -> \{"2":\{"foundingRegion":"us-east-1","seedSnapshot":"automatic\.prod-us-east-1-2025-01-15-03-00","founderOnly":true\}\}/);
            assert.match(h.stdout.text, /config elasticache-global:primaryRegion: us-west-2 -> us-east-1/);
            assert.deepEqual(h.changes(), []);
        });

        it("says which regions had no snapshot and why, when none qualifies", async () => {
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2025-01-01T00:00:00Z", "--yes"), 1);
            assert.match(h.stderr.text, /no snapshot of replication groups prod-us-west-2, prod-eu-west-1, prod-us-east-1 with every node group taken before --before 2025-01-01T00:00:00Z is available \(7 considered\)/);
            assert.match(h.stderr.text, /Where there was nothing to choose from:/);
            assert.match(h.stderr.text, /us-west-2: prod-us-west-2 \(PRIMARY\): no snapshot: it became the primary through a promotion: the backups taken while another region was primary stay in that region with that region's group, and its own automated backups begin in its next backup window \(snapshotWindow 03:00-05:00 UTC\)/);
            assert.match(h.stderr.text, /eu-west-1: prod-eu-west-1 \(SECONDARY\): no snapshot/);
            assert.deepEqual(h.changes(), []);
        });

        it("finds the founder's snapshots also when it is no longer a member of the datastore", async () => {
            const ds = h.aws.datastore();
            // Detached in an outage (retarget-primary --detach): DisassociateGlobalReplicationGroup leaves the
            // group standalone, outside the datastore's Members (API reference, DisassociateGlobalReplicationGroup).
            ds.members = ds.members.filter((m) => m.region !== "us-east-1");
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--dry-run"), 0, h.stdout.text + h.stderr.text);
            assert.match(h.stdout.text, /us-east-1: prod-us-east-1 \(founder, not a member of the datastore \(detached or deleted\)\): 7 snapshots/);
            assert.match(h.stdout.text, /chosen: automatic\.prod-us-east-1-2025-01-15-03-00 in us-east-1/);
        });
    });

    it("takes the newest good snapshot in any member region, founds the generation there and moves the writer to it", async () => {
        h = await restoreHarness(fixture);
        addSnapshots(h);
        // Someone took a manual snapshot of the eu-west-1 secondary at 07:00, the newest before the corruption.
        const newest = h.aws.addSnapshot("eu-west-1", { replicationGroupId: "prod-eu-west-1", takenAt: Date.parse("2025-01-15T07:00:00Z"), source: "manual", name: "prod-eu-west-1-before-migration" });
        h.aws.addSnapshot("us-west-2", { replicationGroupId: "prod-us-west-2", takenAt: Date.parse(BEFORE) + HOUR, source: "manual", name: "prod-us-west-2-too-late" });
        const cluster = await seedingConnection(fixture);
        await seedRestoredData(h, cluster, { region: "eu-west-1", replicationGroupId: "prod-eu-west-1" });
        await writeMarkers(cluster, "heartbeat", Date.parse("2025-01-15T06:58:00Z"));

        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--redis-user", "app", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /rejected prod-us-west-2-too-late: .*after --before/);
        assert.equal(h.aws.model.replicationGroup("eu-west-1", "prod-g2-eu-west-1")?.restoredFrom, newest.name);
        const config = Object.fromEntries(Object.entries(await h.driver.getConfig()).map(([k, v]) => [k, v.value]));
        assert.equal(config[KEY("primaryRegion")], "eu-west-1");
        assert.equal(config[KEY("foundingRegion")], "eu-west-1");
        assert.deepEqual(JSON.parse(config[KEY("secondaryRegions")]), ["us-east-1", "us-west-2"]);
        assert.equal(writerDocument(h.driver, "us-east-1").replicationGroupId, "prod-g2-eu-west-1");
        assert.ok(["us-east-1", "us-west-2"].every((r) => h.aws.model.replicationGroup(r, `prod-g2-${r}`)), "its secondaries joined in the other regions");
    });
});
