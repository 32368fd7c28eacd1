/**
 * drill against the fake control plane, on the wall clock, with a real local Redis cluster as the data
 * plane and the canary measuring it (the setting: drill-scenario.ts): what the drill waits for. Between
 * shards, until the group is available again; before the first failover, for the canary's first
 * acknowledgements; before promoting back in a global round trip, for the old primary's replication lag.
 */
import * as assert from "node:assert/strict";
import { DataPlaneTarget } from "../../../recovery/dataplane/connect";
import { LAG_SAMPLE_MS } from "../fake/cloudwatch-handlers";
import { DRILL, useDrillScenario } from "./drill-scenario";
import { SkippingWallClock, WallClockHarness, runWith } from "./failover-shard-harness";

describe("drill: shard failovers measured by a canary on a real local cluster", function () {
    this.timeout(180_000);
    const scenario = useDrillScenario();
    const { dataPlane, setUserAcl } = scenario;
    let h: WallClockHarness;
    let clock: SkippingWallClock;
    let asked: DataPlaneTarget[];
    let realFailovers: Promise<unknown>[];
    beforeEach(() => {
        ({ h, clock, asked, realFailovers } = scenario.current());
    });

    it("waits between shards until the group and the next node group are available again, instead of refusing mid-drill", async () => {
        let availableAgainAt = 0;
        const realFailover = h.aws.model.onShardPromoted!;
        h.aws.model.onShardPromoted = (p) => {
            realFailover(p);
            if (p.nodeGroupId === "0001") {
                // AWS may keep the group modifying for a while after "Finished recovery" (FAST: 900 ms after the promotion).
                const rg = h.aws.model.requireReplicationGroup("us-east-1", "prod-us-east-1");
                h.aws.model.schedule(p.at + 900, "still modifying after the recovery (test)", () => {
                    rg.status = "modifying";
                });
                availableAgainAt = p.at + 3500;
                h.aws.model.schedule(availableAgainAt, "available again (test)", () => {
                    rg.status = "available";
                });
            }
        };
        const code = await runWith(h, dataPlane(), ...DRILL, "--shards", "0001,0002", "--yes");
        assert.equal(code, 0, `${h.stderr.text}\n${h.stdout.text.slice(-3000)}`);
        await Promise.all(realFailovers);
        const calls = h.aws.log.calls({ command: "TestFailover" });
        assert.deepEqual(calls.map((c) => c.input.NodeGroupId), ["0001", "0002"]);
        assert.ok(calls[1].at >= availableAgainAt, "the second TestFailover only once the group was available again");
        const waited = h.lastReport().steps.find((s) => s.name === "available-0002")!;
        assert.ok(waited.waits.some((w) => /^group modifying/.test(w.state)), `states: ${waited.waits.map((w) => w.state).join(" | ")}`);
        assert.doesNotMatch(h.stdout.text + h.stderr.text, /Nothing was changed/);
    });

    it("names the write error when the shards refuse the canary's user, stops without waiting out the timeout, and changes nothing", async () => {
        await setUserAcl("-@write");
        try {
            assert.equal(await runWith(h, dataPlane(), ...DRILL, "--shards", "0001", "--yes"), 1);
        } finally {
            await setUserAcl("+@all");
        }
        // Every shard's last error, not its first: on a loaded machine a shard's first write can time out while the client connects.
        const silent = "no write acknowledged, \\d+ refused or unanswered; last error: NOPERM [^)]*";
        assert.match(h.stderr.text, new RegExp(`the canary got no acknowledgement from 0001 \\(${silent}\\), 0002 \\(${silent}\\), 0003 \\(${silent}\\), ` +
            "which refuse its user the writes:"));
        assert.match(h.stderr.text, /Nothing was changed\./);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    // The promotion back waits, as it must, until the old primary, now a secondary, publishes its replication lag, which the fake
    // (like CloudWatch) does per whole minute, once the minute has ended, from samples every LAG_SAMPLE_MS: up to two minutes of
    // the wall clock. Once the first promotion has swapped the roles, the fake control plane's clock skips to one second before
    // the end of the minute holding the first sample after the swap (the next minute, when the swap came after the last sample
    // of its own), as if the promotion had finished late in that minute. The drill still waits for the datapoint; the canary
    // measures in real time.
    it("with --global-round-trip, promotes the first secondary and then the primary back, moving the canary each time, and measures both", async () => {
        let swappedAt: number | undefined;
        const watcher = setInterval(() => {
            h.aws.model.settle();
            if (swappedAt === undefined && h.aws.datastore().members.find((m) => m.role === "PRIMARY")?.region === "us-west-2") {
                swappedAt = clock.now();
                const firstSample = Math.ceil(swappedAt / LAG_SAMPLE_MS) * LAG_SAMPLE_MS;
                clock.skipTo((Math.floor(firstSample / 60_000) + 1) * 60_000 - 1000);
            }
        }, 50);
        let code: number;
        try {
            code = await runWith(h, dataPlane(), ...DRILL, "--shards", "0001", "--global-round-trip", "--yes");
        } finally {
            clearInterval(watcher);
        }
        assert.equal(code, 0, `${h.stderr.text}\n${h.stdout.text.slice(-3000)}`);
        assert.ok(swappedAt !== undefined, "us-west-2 was promoted");
        const lagWait = h.lastReport().steps.find((s) => s.name === "lag-us-east-1");
        assert.equal(lagWait?.result, "ok", "the promotion back waited for us-east-1's replication lag");
        assert.deepEqual(h.aws.mutatingCalls().map((c) => [c.region, c.command]),
            [["us-east-1", "TestFailover"], ["us-west-2", "FailoverGlobalReplicationGroup"], ["us-east-1", "FailoverGlobalReplicationGroup"]]);
        assert.deepEqual(Object.fromEntries(h.aws.datastore().members.map((m) => [m.region, m.role])),
            { "us-east-1": "PRIMARY", "us-west-2": "SECONDARY", "eu-west-1": "SECONDARY" }, "the primary is back where it was");
        const outputs = (await h.driver.outputs()).regions.value as Record<string, { configurationEndpoint: string }>;
        assert.deepEqual(asked.map((t) => t.seeds[0].host),
            [outputs["us-east-1"].configurationEndpoint, outputs["us-west-2"].configurationEndpoint, outputs["us-east-1"].configurationEndpoint],
            "the canary followed the writer to us-west-2 and back");
        const measured = h.lastReport().steps.find((s) => s.name === "results")!.findings.map((f) => f.what.split(":")[0]);
        assert.deepEqual(measured.filter((m) => !/^(canary|timeline)$/.test(m)).map((m) => m.replace(/ of 000\d$/, "")),
            ["test-failover", "promotion-us-west-2", "promotion-us-east-1"]);
    });
});
