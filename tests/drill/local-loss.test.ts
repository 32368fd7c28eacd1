/**
 * The local drill's data-loss path, on a real local cluster: kill-unreplicated cuts replication to the
 * shard's replica, lets the primary acknowledge writes alone, then kills it. The promoted replica lacks
 * those writes, and the drill measures and shows them.
 */
import * as assert from "node:assert/strict";
import { LocalDrillResult, UNREPLICATED_MS, runLocalDrill } from "../../recovery/drill/local";
import { summaryLines } from "../../recovery/drill/local-cli";
import { RecoveryEvent } from "../../recovery/lib/events";
import { leftoverServers } from "../dataplane/leftovers";
import { requireRedisServer } from "../helpers/redis-server";

describe("local drill: kill-unreplicated, the data-loss path", function () {
    before(async function () {
        await requireRedisServer(this);
    });
    this.timeout(60_000);
    let result: LocalDrillResult;
    const events: RecoveryEvent[] = [];
    const pids: number[] = [];

    before(async () => {
        result = await runLocalDrill({
            kinds: ["kill-unreplicated"], ratePerShard: 100, nodeTimeoutMs: 1000, settleMs: 500, emit: (e) => events.push(e),
            observer: { beforeEvent: async ({ cluster }) => { pids.push(...(await cluster.nodes()).map((n) => n.pid)); } },
        });
    });

    after(() => assert.deepEqual(leftoverServers(pids), [], "every redis-server of the drill is stopped"));

    it("measures the acknowledged writes the promoted replica never received, with their RPO, and every shard verified", () => {
        const [event] = result.runs[0].events;
        assert.equal(event.kind, "kill-unreplicated");
        assert.deepEqual(event.unverified, []);
        assert.equal(event.recovered, true);
        // At 100 writes/s the primary alone acknowledges about UNREPLICATED_MS / 10 writes before it is killed.
        assert.ok(event.lostAckedWrites !== null && event.lostAckedWrites >= (UNREPLICATED_MS / 10) / 2, `lost ${event.lostAckedWrites}`);
        assert.ok(event.rpoMs !== null && event.rpoMs >= UNREPLICATED_MS / 2, `RPO ${event.rpoMs} ms`);
        const others = event.shards.filter((s) => s.shard !== event.shard);
        assert.deepEqual(others.map((s) => s.lostSeqs), others.map(() => []), "no other shard lost a write");
    });

    it("says so on the step line and in the summary, with the window from the same measurement", () => {
        const [event] = result.runs[0].events;
        const cut = events.find((e) => e.type === "found" && e.step === "run-1-kill-unreplicated" && /^replication to \d+ cut at /.test(e.what));
        assert.ok(cut, "the cut is reported before the kill");
        const line = events.find((e) => e.type === "step-finished" && e.step === "run-1-kill-unreplicated");
        assert.ok(line?.type === "step-finished");
        assert.match(line.summary, new RegExp(`^writes unavailable for ${event.windowMs} ms .*; ${event.lostAckedWrites} acknowledged writes lost \\(RPO ${event.rpoMs} ms\\)`));
        assert.match(summaryLines(result).join("\n"), new RegExp(`run 1 kill-unreplicated on ${event.shard}: .*${event.lostAckedWrites} acknowledged writes lost`));
    });

    it("names each shard's canary key after the shard", () => {
        const warmUp = events.find((e) => e.type === "step-finished" && e.step === "run-1-warm-up");
        assert.ok(warmUp?.type === "step-finished");
        const keys = [...warmUp.summary.matchAll(/canary:\{(shard-\d+)-\d+\}/g)].map((m) => m[1]);
        assert.deepEqual(keys, ["shard-1", "shard-2", "shard-3"]);
    });
});
