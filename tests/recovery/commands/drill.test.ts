/**
 * drill against the fake control plane, on the wall clock, with a real local Redis cluster as the data
 * plane and the canary measuring it (the setting: drill-scenario.ts): the events it measures, the
 * report it writes, and what it refuses before changing anything. The drill's waits are in
 * drill-waits.test.ts, so the two files run side by side in parallel mode.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { DataPlaneTarget, connectCluster } from "../../../recovery/dataplane/connect";
import { readMarkers } from "../../../recovery/dataplane/marker";
import { AUTH, DRILL, useDrillScenario } from "./drill-scenario";
import { WallClockHarness, nodeGroup, pastTestFailovers, runWith } from "./failover-shard-harness";

describe("drill: shard failovers measured by a canary on a real local cluster", function () {
    this.timeout(180_000);
    const scenario = useDrillScenario();
    const { fixture, dataPlane, unreadable0002, primaries } = scenario;
    let h: WallClockHarness;
    let asked: DataPlaneTarget[];
    let realFailovers: Promise<unknown>[];
    beforeEach(() => {
        ({ h, asked, realFailovers } = scenario.current());
    });

    it("fails every shard over in turn, measures each event, and writes the report with the SVG timeline embedded", async () => {
        const before = await primaries();
        const code = await runWith(h, dataPlane(), ...DRILL, "--shards", "all", "--yes");
        assert.equal(code, 0, `${h.stderr.text}\n${h.stdout.text.slice(-3000)}`);
        await Promise.all(realFailovers);

        // One TestFailover per shard, in order, each only after the previous one's node had recovered.
        const calls = h.aws.log.calls({ command: "TestFailover" });
        assert.deepEqual(calls.map((c) => c.input.NodeGroupId), ["0001", "0002", "0003"]);
        const recovered = h.aws.model.events.filter((e) => /^Finished recovery/.test(e.message)).map((e) => e.at);
        assert.ok(calls[1].at >= recovered[0] && calls[2].at >= recovered[1], "one failover at a time");
        assert.deepEqual(h.aws.mutatingCalls().map((c) => c.command), ["TestFailover", "TestFailover", "TestFailover"]);
        const after = await primaries();
        assert.equal(after.filter((id) => before.includes(id)).length, 0, "every real shard has a new primary");

        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        const results = report.steps.find((s) => s.name === "results")!;
        const events = results.findings.filter((f) => /^test-failover of /.test(f.what));
        assert.deepEqual(events.map((f) => f.what.slice(0, "test-failover of 0001".length)), ["test-failover of 0001", "test-failover of 0002", "test-failover of 0003"]);
        for (const f of events) {
            assert.match(f.what, /writes unavailable for \d+ ms \(RTO: last acknowledgement before the gap to the first after it\), 0 acknowledged writes lost \(RPO 0 ms\)/,
                "a coordinated failover loses nothing");
            const d = f.detail as { windowMs: number; recoveryAfterCallMs: number | null; firstFailureAfterCallMs: number | null; firstFailureAfterLastAckMs: number | null };
            assert.ok(d.windowMs >= 0 && d.windowMs < 10_000, `window ${d.windowMs} ms`);
            // Times from the API call are named so (AWS starts a TestFailover a minute or two after it); the RTO above is not one of them.
            assert.ok(d.recoveryAfterCallMs === null || d.recoveryAfterCallMs >= 0, JSON.stringify(d));
            assert.ok("firstFailureAfterCallMs" in d && "firstFailureAfterLastAckMs" in d, JSON.stringify(d));
            assert.doesNotMatch(f.what, /after \d+ ms/, "no time without what it is measured from");
            for (const [, from] of f.what.matchAll(/\d+ ms after ([^,;()]+)/g)) {
                assert.match(from, /^(the last acknowledgement|the TestFailover call)/, f.what);
            }
        }
        assert.ok(report.recoveryPoint !== "unknown" && report.recoveryPoint.estimatedDataLossSeconds === 0);
        // The drill leaves fresh recovery-point markers on every shard, for a later restore to read back.
        const reader = await connectCluster({ seeds: fixture.local.seeds, auth: AUTH });
        const markers = await readMarkers(reader).finally(() => reader.disconnect());
        assert.equal(markers.length, 3);
        assert.ok(markers.every((m) => m.marker !== undefined && m.marker !== "missing" && m.marker.writer === "drill"), JSON.stringify(markers.map((m) => m.marker)));
        const canary = results.findings.find((f) => /^canary: /.test(f.what))!;
        assert.ok((canary.detail as { writesAttempted: number }).writesAttempted > 300, "50 writes/s to 3 shards over several seconds");

        const svgName = fs.readdirSync(h.reportDir).find((f) => f.endsWith("-drill.svg"));
        assert.ok(svgName, `an SVG next to the report: ${fs.readdirSync(h.reportDir).join(", ")}`);
        const svg = fs.readFileSync(path.join(h.reportDir, svgName), "utf8");
        assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        assert.deepEqual([...svg.matchAll(/>(000\d)<\/text>/g)].map((m) => m[1]), ["0001", "0002", "0003"]);
        assert.match(svg, />\d+  [\d.]+ s  0002: test-failover started</, "the event is listed under the chart with its time");
        const markdown = fs.readFileSync(path.join(h.reportDir, svgName.replace(/\.svg$/, ".md")), "utf8");
        assert.ok(markdown.includes(`![canary write availability per shard](${svgName})`), "the Markdown report shows the timeline");
        assert.match(h.stdout.text, /drill: SUCCEEDED: 3 event\(s\) measured: writes unavailable for at most \d+ ms, 0 acknowledged write\(s\) lost/);
        assert.deepEqual(asked.map((t) => [t.tls, t.auth?.username]), [[true, "app"]], "one connection, to the primary region, with TLS and the stack's user");
    });

    it("when the reader cannot read a shard, reports that event's data loss as unknown, naming the shard, and ends partial (exit 3)", async () => {
        const code = await runWith(h, unreadable0002(), ...DRILL, "--shards", "0001", "--yes");
        assert.equal(code, 3, `${h.stderr.text}\n${h.stdout.text.slice(-3000)}`);
        const report = h.lastReport();
        assert.equal(report.outcome, "partial");
        assert.ok(report.recoveryPoint !== "unknown", "the report says why it is unknown");
        assert.equal(report.recoveryPoint.estimatedDataLossSeconds, undefined, "no data-loss figure: 0 would be a claim nobody checked");
        assert.match(report.recoveryPoint.source, /^unknown: the canary's reader could not read every shard after test-failover of 0001 \(0002 not read\)/);
        const results = report.steps.find((s) => s.name === "results")!;
        const event = results.findings.find((f) => /^test-failover of 0001/.test(f.what))!;
        assert.match(event.what, /acknowledged writes lost UNKNOWN: the reader could not read 0002 after the event/);
        assert.doesNotMatch(event.what, /\b0 acknowledged writes lost/);
        assert.deepEqual([(event.detail as { lostAckedWrites: unknown }).lostAckedWrites, (event.detail as { unverified: unknown }).unverified], [null, ["0002"]]);
        assert.match(h.stdout.text, /drill: PARTIAL: 1 event\(s\) measured: writes unavailable for at most \d+ ms; acknowledged writes lost UNKNOWN: .*test-failover of 0001 \(0002 not read\)/);
        await Promise.all(realFailovers);
    });

    it("a refusal after a shard has failed over says what the drill already changed, never \"Nothing was changed\"", async () => {
        const realFailover = h.aws.model.onShardPromoted!;
        h.aws.model.onShardPromoted = (p) => {
            realFailover(p);
            if (p.nodeGroupId === "0001") {
                nodeGroup(h.aws.model, "0002").nodes.forEach((n) => {
                    n.availabilityZone = "us-east-1a";
                });
            }
        };
        assert.equal(await runWith(h, dataPlane(), ...DRILL, "--shards", "0001,0002,0003", "--yes"), 1);
        await Promise.all(realFailovers);
        assert.deepEqual(h.aws.log.calls({ command: "TestFailover" }).map((c) => c.input.NodeGroupId), ["0001"]);
        assert.match(h.stderr.text, /no healthy replica in another availability zone: shard 0002 .*This run stops here, but it has already changed: shard\(s\) 0001 of prod-us-east-1 failed over/);
        assert.doesNotMatch(h.stdout.text + h.stderr.text, /Nothing was changed/);
        const report = h.lastReport();
        assert.equal(report.outcome, "failed");
        assert.match(report.nextSteps.join("\n"), /Already done by this drill: shard\(s\) 0001 of prod-us-east-1 failed over .*run the drill for the shards left: --shards 0002,0003/);
        assert.ok(report.steps.find((s) => s.name === "results")!.findings.some((f) => /^test-failover of 0001/.test(f.what)), "the event done is measured");
    });

    it("refuses up front when the chosen shards do not fit in the TestFailover quota, without connecting or failing anything over", async () => {
        const calls = pastTestFailovers(h.aws.model, Array.from({ length: 13 }, (_, i) => (i + 1) * 60 * 60_000));
        assert.equal(await runWith(h, dataPlane(), ...DRILL, "--yes"), 1);
        assert.match(h.stderr.text, /refusing the drill before any failover: the TestFailover quota in us-east-1 is used up for 3 TestFailover calls: 13 of 15/);
        assert.ok(h.stderr.text.includes(`3 fit in the quota again from ${new Date(calls[0] + 24 * 60 * 60_000).toISOString()}.`), h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls(), []);
        assert.deepEqual(asked, [], "no canary was started");
    });

    it("refuses before the first failover when one chosen shard cannot fail over", async () => {
        nodeGroup(h.aws.model, "0003").nodes.forEach((n) => {
            n.availabilityZone = "us-east-1a";
        });
        assert.equal(await runWith(h, dataPlane(), ...DRILL, "--yes"), 1);
        assert.match(h.stderr.text, /no healthy replica in another availability zone: shard 0003 .*every node is in us-east-1a/);
        assert.deepEqual(h.aws.mutatingCalls(), [], "not even shard 0001 was failed over");
    });

    it("refuses without a data plane to measure through, before any change", async () => {
        assert.equal(await runWith(h, { connectDataPlane: dataPlane().connectDataPlane }, ...DRILL, "--yes"), 1);
        assert.match(h.stderr.text, /the drill measures through the data plane, and this run has none: REDIS_PASSWORD is not set/);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    it("a dry run reads only, starts no canary and prints the plan", async () => {
        assert.equal(await runWith(h, dataPlane(), ...DRILL, "--shards", "0001,0003", "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls(), []);
        assert.deepEqual(asked, []);
        assert.match(h.stdout.text, /plan: canary: 50 writes and reads per second to every shard of prod-us-east-1/);
        assert.match(h.stdout.text, /call TestFailover \{"ReplicationGroupId":"prod-us-east-1","NodeGroupId":"0001"\}.*call TestFailover \{"ReplicationGroupId":"prod-us-east-1","NodeGroupId":"0003"\}/);
        assert.match(h.stdout.text, /room for the 2 this drill needs/);
    });

    it("rejects shards the stack does not have (exit 1) and a malformed list (exit 2), asking AWS nothing", async () => {
        assert.equal(await runWith(h, dataPlane(), ...DRILL, "--shards", "0001,0009", "--yes"), 1);
        assert.match(h.stderr.text, /--shards names "0009", which stack prod does not have \(config shards is 3\)\. Accepted: all, or some of 0001, 0002, 0003\./);
        assert.equal(await runWith(h, dataPlane(), ...DRILL, "--shards", "1,2", "--yes"), 2);
        assert.match(h.stderr.text, /--shards "1,2" is not valid\. Accepted: all, or node group ids of four digits separated by commas/);
        assert.deepEqual(h.aws.log.calls(), []);
    });
});
