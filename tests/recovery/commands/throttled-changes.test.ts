/**
 * A changing call AWS answers with a throttling error was not processed, so nothing happened: the run
 * asks again after a jittered backoff (checking first that the change is not already there) for a
 * bounded time, instead of giving up. Throttled twice, then accepted: exactly one call takes effect.
 * The fake throttles before a call reaches its model, so a throttled call changes nothing, which is
 * what the throttling answer means (faults.ts throttle()).
 */
import * as assert from "node:assert/strict";
import { Harness, harness, key, ssmWriter } from "./harness";
import { MINUTE, OUTAGE, REJOIN, SERVING, detachedThenBack, okCallsSince } from "./rejoin-scenario";

const SNAPSHOT = ["snapshot", "--stack", "prod", "--reason", "before an engine upgrade", "--yes"];

/** Every call of `command` so far, as its outcome: "ok" or the error it ended with. */
function outcomes(h: Harness, command: string, region?: string): string[] {
    return h.aws.log.calls({ command, region }).map((c) => c.outcome);
}

describe("a throttled change is asked again, once the run has checked it is not already done", function () {
    this.timeout(120_000);
    let h: Harness | undefined;
    afterEach(() => {
        h?.cleanup();
        h = undefined;
    });

    it("snapshot: CreateSnapshot throttled twice, then accepted: one snapshot, exit 0", async () => {
        h = await harness();
        h.aws.faults.throttle({ command: "CreateSnapshot", times: 2 });
        assert.equal(await h.run(...SNAPSHOT), 0, h.stdout.text + h.stderr.text);
        assert.deepEqual(outcomes(h, "CreateSnapshot"), ["Throttling", "Throttling", "ok"]);
        const manual = h.aws.snapshotsIn("us-east-1").filter((s) => s.source === "manual");
        assert.equal(manual.length, 1, "exactly one snapshot");
        assert.equal(manual[0].status, "available");
        assert.match(h.stdout.text, /CreateSnapshot in us-east-1 answered Throttling \(Rate exceeded\): AWS did not process it, so nothing changed; .*asking again in \d/);
        assert.equal(h.lastReport().outcome, "succeeded");
    });

    it("snapshot: a throttle that outlasts the bound fails clearly, saying nothing was changed", async () => {
        h = await harness();
        h.aws.faults.throttle({ command: "CreateSnapshot" });
        assert.equal(await h.run(...SNAPSHOT), 1);
        assert.match(h.stderr.text, /AWS throttled CreateSnapshot in us-east-1 \d+ times over \d+m \d+s \(last answer: Throttling: Rate exceeded\)\. A throttled request is not processed, so nothing was changed/);
        assert.deepEqual(h.aws.snapshotsIn("us-east-1").filter((s) => s.source === "manual"), []);
        const attempts = outcomes(h, "CreateSnapshot");
        assert.ok(attempts.length > 3 && attempts.every((o) => o === "Throttling"), attempts.join(", "));
        const spread = h.aws.log.calls({ command: "CreateSnapshot" }).map((c) => c.at);
        assert.ok(spread[spread.length - 1] - spread[0] <= 2 * MINUTE, "bounded: about two minutes of asking, not --wait-timeout's hour");
    });

    it("retire-generation: its final snapshot throttled twice, then accepted: one snapshot, the generation retired", async () => {
        h = await harness({ overrides: {
            [key("generation")]: "2", [key("seedSnapshot")]: "automatic.prod-us-east-1-2025-01-15-03-00",
            [key("inactiveGenerations")]: JSON.stringify({ 1: { foundingRegion: "us-east-1" } }),
        } });
        h.aws.faults.throttle({ command: "CreateSnapshot", times: 2 });
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.deepEqual(outcomes(h, "CreateSnapshot"), ["Throttling", "Throttling", "ok"]);
        const final = h.aws.snapshotsIn("us-east-1").filter((s) => s.replicationGroupId === "prod-us-east-1" && s.source === "manual");
        assert.deepEqual(final.map((s) => s.status), ["available"]);
    });

    it("rejoin: the deletion that takes a final snapshot throttled twice, then accepted: each stale group deleted once, its final snapshot kept", async () => {
        const scene = await detachedThenBack("published");
        h = scene.h;
        const before = h.aws.mutatingCalls().length;
        h.aws.faults.throttle({ command: "DeleteReplicationGroup", times: 2 });
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.deepEqual(outcomes(h, "DeleteReplicationGroup"), ["Throttling", "Throttling", "ok", "ok"]);
        assert.deepEqual(okCallsSince(h, before).filter((c) => c.endsWith("DeleteReplicationGroup")),
            ["us-east-1 DeleteReplicationGroup", "eu-west-1 DeleteReplicationGroup"]);
        const snapshots = ["us-east-1", "eu-west-1"].flatMap((r) => h!.aws.snapshotsIn(r));
        assert.deepEqual(snapshots.map((s) => s.status), ["available", "available"]);
    });

    it("failover-shard: TestFailover throttled twice, then accepted: one failover", async () => {
        h = await harness();
        h.aws.faults.throttle({ command: "TestFailover", times: 2 });
        // 3: failed over, writes not verified (this run has no data plane), as without the throttling.
        assert.equal(await h.run("failover-shard", "--stack", "prod", "--region", "us-east-1", "--shard", "0002", "--yes"), 3, h.stdout.text + h.stderr.text);
        assert.deepEqual(outcomes(h, "TestFailover"), ["Throttling", "Throttling", "ok"]);
        assert.match(h.stdout.text, /TestFailover in us-east-1 answered Throttling .*nothing changed/);
        assert.match(h.stdout.text, /\[follow\] ok: recovered at/);
    });

    it("retarget-primary --mode outage: a writer parameter write throttled twice, then accepted, written once", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
        // SSM's throttling answer is ThrottlingException (the fake's default for SSM).
        h.aws.faults.throttle({ command: "PutParameter", region: "eu-west-1", times: 2 });
        assert.equal(await h.run(...OUTAGE), 0, h.stdout.text + h.stderr.text);
        assert.deepEqual(outcomes(h, "PutParameter", "eu-west-1"), ["ThrottlingException", "ThrottlingException", "ok"]);
        assert.equal(ssmWriter(h.aws, "eu-west-1").replicationGroupId, SERVING);
    });
});
