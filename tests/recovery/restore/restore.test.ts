import * as assert from "node:assert/strict";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";
import { Harness, writerDocument } from "../commands/harness";
import { PASSWORD, SOURCE, addSnapshots, restoreHarness, seedRestoredData, seedingConnection, upCreatesSeededGroups, writeMarkers } from "./restore-scenario";

const BEFORE = "2025-01-15T08:00:00Z";
const KEY = (k: string) => `elasticache-global:${k}`;

describe("restore-from-snapshot: rebuild from a snapshot, verify, cut over", function () {
    this.timeout(120_000);
    const fixture = useLocalCluster({ acl: { username: "app", password: PASSWORD } });
    let h: Harness;
    let snapshots: { daily: string[]; manual: string };

    beforeEach(async () => {
        h = await restoreHarness(fixture);
        snapshots = addSnapshots(h);
        const cluster = await seedingConnection(fixture);
        await seedRestoredData(h, cluster);
        // The markers the last drill or heartbeat wrote before the 03:00 snapshot.
        await writeMarkers(cluster, "heartbeat", Date.parse("2025-01-15T02:58:00Z"));
    });
    afterEach(() => h.cleanup());

    const config = async () => Object.fromEntries(Object.entries(await h.driver.getConfig()).map(([k, v]) => [k, v.value]));

    it("chooses the newest snapshot taken wholly before --before, builds generation 2 from it, verifies it and cuts over", async () => {
        const code = await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--redis-user", "app", "--yes");
        assert.equal(code, 0, h.stdout.text + h.stderr.text);
        const chosen = snapshots.daily[4];
        const c = await config();
        assert.equal(c[KEY("generation")], "2");
        assert.equal(c[KEY("seedSnapshot")], chosen);
        assert.deepEqual(JSON.parse(c[KEY("inactiveGenerations")]), { 1: { foundingRegion: "us-east-1" } });
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(writerDocument(h.driver, region).replicationGroupId, "prod-g2-us-east-1", `writer in ${region}`);
        }
        assert.equal(h.aws.model.replicationGroup("us-east-1", "prod-g2-us-east-1")?.restoredFrom, chosen);
        assert.ok(h.aws.model.replicationGroup("us-east-1", SOURCE), "generation 1 is untouched");
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        assert.equal(report.recoveryPoint !== "unknown" && report.recoveryPoint.recoveryPointAt, "2025-01-15T03:00:14.000Z", "the third node group's capture time");
        assert.ok(report.recoveryPoint !== "unknown" && report.recoveryPoint.estimatedDataLossSeconds === (Date.parse(BEFORE) - Date.parse("2025-01-15T02:58:00Z")) / 1000,
            "data loss measured from the markers read back");
        assert.match(h.stdout.text, /rejected prod-us-east-1-before-release: .*after --before/);
        assert.match(h.stdout.text, /rejected prod-us-east-1-still-running: .*creating/);
        assert.ok(["read-config", "choose-snapshot", "declare-generation", "build-generation", "wait-generation", "verify", "cutover", "cutover-update"]
            .every((s) => report.steps.some((r) => r.name === s && r.result === "ok")), JSON.stringify(report.steps.map((s) => [s.name, s.result])));
    });

    it("runs again after success without building anything: the active generation was restored from that snapshot", async () => {
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 0, h.stderr.text);
        const ups = h.driver.calls.filter((c) => c.op === "up").length;
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /already restored from automatic\.prod-us-east-1-2025-01-15-03-00/);
        assert.equal(h.driver.calls.filter((c) => c.op === "up").length, ups);
    });

    it("dry run shows the snapshot and the config change and changes nothing", async () => {
        const code = await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--dry-run");
        assert.equal(code, 0, h.stderr.text);
        assert.match(h.stdout.text, new RegExp(`chosen: ${snapshots.daily[4]}`));
        assert.match(h.stdout.text, /config elasticache-global:inactiveGenerations: \(unset\) -> \{"2":\{"foundingRegion":"us-east-1","seedSnapshot":/);
        assert.deepEqual(h.changes(), []);
    });

    it("resumes an interrupted restore without declaring the generation again", async () => {
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1 });
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.equal((await config())[KEY("generation")], undefined, "not cut over");
        const writes = h.driver.calls.filter((c) => c.op === "setConfig").length;
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--yes", "--before", BEFORE), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /resuming the restore of generation 2/);
        assert.equal(h.driver.calls.filter((c) => c.op === "setConfig").length, writes + 2, "only the cutover and the secondaries' declaration wrote the configuration");
        assert.equal((await config())[KEY("generation")], "2");
    });

    it("stops before cutover when a shard of the restored data is missing, with the evidence", async () => {
        const cluster = await fixture.connect();
        const nodes = (await fixture.local.nodes()).filter((n) => n.role === "primary");
        await cluster.nodes("master").find((n) => n.options.port === nodes[1].port)!.flushall();
        await new Promise((r) => setTimeout(r, 200));
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.match(h.stderr.text, /failed verification, so nothing was cut over/);
        assert.match(h.stderr.text, /shard-2/);
        assert.equal((await config())[KEY("generation")], undefined);
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, SOURCE);
    });

    it("stops before cutover when the recovery-point markers are stale", async () => {
        await writeMarkers(await fixture.connect(), "heartbeat", Date.parse("2025-01-14T20:00:00Z"));
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.match(h.stderr.text, /marker/i);
        assert.equal((await config())[KEY("generation")], undefined);
    });

    it("stops with what to do when AWS cannot create the group from the snapshot", async () => {
        h.aws.faults.restoreFails({ replicationGroupId: "prod-g2-us-east-1" });
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.match(h.stderr.text, /create-failed/);
        assert.match(h.stdout.text, /retire-generation --stack prod --generation 2 --yes/);
        assert.equal((await config())[KEY("generation")], undefined);
        // A rerun must not try to update: the failed group could only be replaced, which the guard refuses.
        const ups = h.driver.calls.filter((c) => c.op === "up" || c.op === "preview").length;
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.match(h.stderr.text, /prod-g2-us-east-1 of generation 2 in us-east-1 is create-failed/);
        assert.equal(h.driver.calls.filter((c) => c.op === "up" || c.op === "preview").length, ups);
    });

    it("refuses the cutover when its preview would replace a cache, and says how to put the configuration back", async () => {
        const other = await restoreHarness(fixture);
        addSnapshots(other);
        const cluster = await seedingConnection(fixture);
        await seedRestoredData(other, cluster);
        await writeMarkers(cluster, "heartbeat", Date.parse("2025-01-15T02:58:00Z"));
        upCreatesSeededGroups(other, (n) => {
            if (n === 1) {
                other.driver.driftRealWorld("aws:elasticache/replicationGroup:ReplicationGroup", "cache-g2-us-east-1", { port: 6380 });
            }
        });
        try {
            assert.equal(await other.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
            assert.match(other.stderr.text, /refusing to update: the preview would replace or delete/);
            assert.match(other.stdout.text, /pulumi config (set|rm) --stack prod elasticache-global:generation/);
            assert.equal(writerDocument(other.driver, "us-west-2").replicationGroupId, SOURCE, "the writer did not move");
        } finally {
            other.cleanup();
        }
    });

    it("finishes an interrupted cutover on a rerun instead of calling the restore done", async () => {
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1, after: 1 });
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.equal((await config())[KEY("generation")], "2", "the cutover configuration was written");
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, SOURCE, "but the writer did not move");
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /finish the cutover to generation 2/);
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, "prod-g2-us-east-1");
    });

    it("checks a resumed restore's seed against the --before given now, and refuses one taken after it", async () => {
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1 });
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
        assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2025-01-13T00:00:00Z", "--yes"), 1);
        assert.match(h.stderr.text, /generation 2, declared by an earlier run, is seeded from automatic\.prod-us-east-1-2025-01-15-03-00, which cannot be used now/);
        assert.match(h.stdout.text, /retire-generation --stack prod --generation 2 --yes/);
        assert.equal((await config())[KEY("generation")], undefined);
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, SOURCE);
    });

    it("refuses before building anything when this machine cannot reach the data plane", async () => {
        const unreachable = await restoreHarness(fixture, { connect: async () => { throw new Error("connect ETIMEDOUT 10.100.1.20:6379"); } });
        addSnapshots(unreachable);
        try {
            const code = await unreachable.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes");
            assert.equal(code, 1);
            assert.match(unreachable.stderr.text, /cannot use the data plane of generation 1 .*ETIMEDOUT.*Nothing was changed/);
            assert.deepEqual(unreachable.changes(), []);
        } finally {
            unreachable.cleanup();
        }
    });

    describe("bad input changes nothing", () => {
        const refusals: [string, string[], RegExp][] = [
            ["a time with no snapshot before it", ["--before", "2025-01-01T00:00:00Z"],
                /no snapshot of replication groups prod-us-east-1, prod-us-west-2, prod-eu-west-1 with every node group taken before --before 2025-01-01T00:00:00Z is available \(7 considered\)/],
            ["a snapshot of another cluster", ["--snapshot", "another-cluster-manual"], /--snapshot "another-cluster-manual" is not a snapshot of replication groups prod-us-east-1, prod-us-west-2, prod-eu-west-1/],
            ["a snapshot still being taken", ["--snapshot", "prod-us-east-1-still-running"], /creating/],
        ];
        for (const [what, args, message] of refusals) {
            it(`refuses ${what}`, async () => {
                h.aws.addSnapshot("us-east-1", { replicationGroupId: "another-cluster", takenAt: Date.parse("2025-01-15T05:00:00Z"), source: "manual", name: "another-cluster-manual", shape: { shards: 3 } });
                assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", ...args, "--yes"), 1);
                assert.match(h.stderr.text, message);
                assert.deepEqual(h.changes(), []);
            });
        }

        it("refuses an incompatible snapshot (other shard count), naming the field and what fits", async () => {
            h.aws.addSnapshot("us-east-1", { replicationGroupId: SOURCE, takenAt: Date.parse("2025-01-15T05:00:00Z"), source: "manual", name: "prod-us-east-1-two-shards", shape: { shards: 2 } });
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--snapshot", "prod-us-east-1-two-shards", "--yes"), 1);
            assert.match(h.stderr.text, /cannot seed this deployment/);
            assert.match(h.stderr.text, /2 .*3|3 .*2/);
            assert.deepEqual(h.changes(), []);
        });

        it("refuses a --before in the future or without a time zone as usage errors", async () => {
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2030-01-01T00:00:00Z", "--yes"), 2);
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2025-01-15 08:00", "--yes"), 2);
            assert.match(h.stderr.text, /--before "2025-01-15 08:00" is not valid/);
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--yes"), 2);
            assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--expected-keys", "many", "--yes"), 2);
            assert.match(h.stderr.text, /--expected-keys "many" is not valid\. Accepted: a whole number of keys/);
            assert.deepEqual(h.changes(), []);
        });

        it("refuses to go ahead without the data-plane password, before changing anything", async () => {
            const nopw = await restoreHarness(fixture, { password: "" });
            addSnapshots(nopw);
            try {
                assert.equal(await nopw.run("restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--yes"), 1);
                assert.match(nopw.stderr.text, /REDIS_PASSWORD is not set/);
                assert.deepEqual(nopw.changes(), []);
            } finally {
                nopw.cleanup();
            }
        });
    });

});
