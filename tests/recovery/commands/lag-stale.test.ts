/**
 * retarget-primary when the lag metric went silent and its last datapoint, low, is still inside the
 * 5-minute window the lag check reads: that number describes the link before it stopped, not the
 * writes since, so the lag is unknown and only --force promotes.
 */
import * as assert from "node:assert/strict";
import { Harness, harness } from "./harness";

const MINUTE = 60_000;
const TO_WEST = ["retarget-primary", "--stack", "prod", "--to", "us-west-2"];
/** The harness's virtual clock starts at 10:00:00; the period of the last datapoint starts a minute before. */
const LAST_DATAPOINT_AT = "2025-01-15T09:59:00.000Z";
const UNKNOWN = new RegExp("refusing to promote: the data loss cannot be estimated\\. Estimated data loss: unknown; " +
    `last datapoint at ${LAST_DATAPOINT_AT.replace(/\./g, "\\.")} showed 0\\.2 s, none since`);

describe("retarget-primary with only an old, low lag datapoint", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    /**
     * The lag was 0.2 s until 10:00:00, when the metric stopped (`cause`); the run starts at 10:03:30, so
     * the 09:59 datapoint is 4.5 minutes old and inside the 5-minute window (09:58:30 to 10:03:30).
     */
    async function silentSinceTen(cause: "region down" | "metric stopped"): Promise<void> {
        h = await harness();
        const stoppedAt = h.aws.clock.now();
        if (cause === "region down") {
            h.aws.setReplicationLag("us-west-2", "prod-us-west-2", () => 0.2);
            h.aws.faults.regionDown("us-east-1");
        } else {
            // The primary's region answers, yet the secondary publishes nothing: the replication link itself may be broken.
            h.aws.setReplicationLag("us-west-2", "prod-us-west-2", (t) => (t < stoppedAt ? 0.2 : undefined));
        }
        h.aws.clock.advance(3.5 * MINUTE);
    }

    it("outage dry run: the lag is unknown, the last datapoint is named, and a real run would refuse without --force", async () => {
        await silentSinceTen("region down");
        assert.equal(await h.run(...TO_WEST, "--mode", "outage", "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /\[lag\] WARNING: a real run refuses without --force: /);
        assert.match(h.stdout.text, UNKNOWN);
        assert.doesNotMatch(h.stdout.text, /within --max-lag-seconds/);
        assert.deepEqual(h.changes(), []);
        const point = h.lastReport().recoveryPoint;
        assert.ok(point !== "unknown");
        assert.equal(point.estimatedDataLossSeconds, undefined, "no estimate goes into the report");
        assert.deepEqual(point.silentSince, { at: LAST_DATAPOINT_AT, seconds: 0.2 });
    });

    it("outage run with --yes and without --force refuses and makes no changing call", async () => {
        await silentSinceTen("region down");
        assert.equal(await h.run(...TO_WEST, "--mode", "outage", "--yes"), 1);
        assert.match(h.stderr.text, UNKNOWN);
        assert.match(h.stderr.text, /rerun with --force/);
        assert.deepEqual(h.aws.mutatingCalls().map((c) => `${c.region} ${c.command}`), []);
        assert.deepEqual(h.changes(), []);
    });

    it("planned run with --yes: the primary's region answers, the metric still stopped; refuses without --force, changes nothing", async () => {
        await silentSinceTen("metric stopped");
        assert.equal(await h.run(...TO_WEST, "--yes"), 1);
        assert.match(h.stderr.text, UNKNOWN);
        assert.deepEqual(h.aws.mutatingCalls().map((c) => `${c.region} ${c.command}`), []);
        assert.deepEqual(h.changes(), []);
    });

    it("with --force the same outage run goes ahead, saying it does so on an unknown lag", async () => {
        await silentSinceTen("region down");
        assert.equal(await h.run(...TO_WEST, "--mode", "outage", "--detach", "--force", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /the data loss cannot be estimated; proceeding because of --force\. Estimated data loss: unknown; last datapoint at 2025-01-15T09:59:00\.000Z/);
        assert.equal(h.aws.log.calls({ command: "DisassociateGlobalReplicationGroup" }).length, 1);
    });
});
