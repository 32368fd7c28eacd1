/**
 * The promotion event of a shard failover in both wordings AWS uses, and a failover whose events name
 * no new primary at all: "Finished recovery" on the shard is the end, and the new primary comes from
 * the event when there is one, or is reported unknown (without a data plane; with one, see
 * failover-shard-dataplane.test.ts). Also the member role the write check depends on.
 */
import * as assert from "node:assert/strict";
import { latestFailover, parseFailoverEvent, shardFailoverEvents } from "../../../recovery/lib/shard-failover/events";
import { usePromotionEventForm } from "../fake/test-failover";
import { Harness, harness } from "./harness";

const SHARD = ["failover-shard", "--stack", "prod", "--region", "us-east-1", "--shard", "0002"];
const NODES = ["prod-us-east-1-0002-001", "prod-us-east-1-0002-002", "prod-us-east-1-0002-003"];
const T = Date.UTC(2025, 0, 15, 10, 0, 0);

function event(offsetS: number, source: string, message: string) {
    return { Date: new Date(T + offsetS * 1000), SourceIdentifier: source, Message: message };
}

describe("failover-shard: the events of a TestFailover", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("parses the short promotion event a real TestFailover emits (only the new primary) and the long one (both nodes)", () => {
        assert.deepEqual(parseFailoverEvent(event(20, "prod-us-east-1", "Failover to replica node prod-us-east-1-0002-002 completed")),
            { kind: "promoted", at: T + 20_000, source: "prod-us-east-1", message: "Failover to replica node prod-us-east-1-0002-002 completed", to: NODES[1] });
        const long = parseFailoverEvent(event(20, NODES[1], `Failover from primary node ${NODES[0]} to replica node ${NODES[1]} completed`));
        assert.deepEqual([long?.kind, long?.from, long?.to], ["promoted", NODES[0], NODES[1]]);
        assert.equal(parseFailoverEvent(event(20, "prod-us-east-1", "Failover to replica node is scheduled")), undefined, "no node, no promotion");
    });

    it("follows the short form to the end: the new primary from the promotion event, the replaced node from the recovery events", () => {
        const events = shardFailoverEvents([
            event(0, "prod-us-east-1", "Test Failover API called for node group 0002"),
            event(20, "prod-us-east-1", `Failover to replica node ${NODES[1]} completed`),
            event(60, NODES[0], "Recovering cache nodes 0001"),
            event(480, NODES[0], "Finished recovery for cache nodes 0001"),
        ], "prod-us-east-1", "0002", NODES);
        const progress = latestFailover(events)!;
        assert.equal(progress.recovered?.message, "Finished recovery for cache nodes 0001");
        assert.deepEqual([progress.newPrimary, progress.replaced], [NODES[1], NODES[0]]);
    });

    it("with the long form, names both nodes from the event", async () => {
        h = await harness();
        usePromotionEventForm(h.aws.model, "long");
        assert.equal(await h.run(...SHARD, "--yes"), 3, h.stderr.text);
        assert.match(h.stdout.text, /\[follow\] found: promoted: prod-us-east-1-0002-002 took over from prod-us-east-1-0002-001 at /);
        assert.match(h.stdout.text, /PARTIAL: shard 0002 of prod-us-east-1 in us-east-1 failed over \(new primary prod-us-east-1-0002-002, from AWS's event\), and the replaced node prod-us-east-1-0002-001 has recovered/);
        assert.ok(h.aws.model.events.some((e) => /^Failover from primary node/.test(e.message)), "the fake emitted the long form");
    });

    it("with the short form (the default, as real TestFailovers word it), ends at the recovery and names the new primary", async () => {
        h = await harness();
        assert.equal(await h.run(...SHARD, "--yes"), 3, h.stderr.text);
        assert.ok(h.aws.model.events.some((e) => e.message === "Failover to replica node prod-us-east-1-0002-002 completed"), "the fake emitted the short form");
        assert.ok(!h.aws.model.events.some((e) => /^Failover from/.test(e.message)));
        assert.match(h.stdout.text, /failed over \(new primary prod-us-east-1-0002-002, from AWS's event\), and the replaced node prod-us-east-1-0002-001 has recovered/);
        assert.equal(h.lastReport().steps.find((s) => s.name === "follow")?.result, "ok");
    });

    it("when no event reports the promotion, still ends at \"Finished recovery\" and says the new primary is unknown without a data plane", async () => {
        h = await harness();
        h.aws.model.onShardPromoted = () => {
            // Called right after the fake emitted the promotion: take it back, as if AWS never reported it.
            const index = h.aws.model.events.findIndex((e) => /^Failover to replica node/.test(e.message));
            h.aws.model.events.splice(index, 1);
        };
        assert.equal(await h.run(...SHARD, "--yes"), 3, h.stderr.text);
        assert.match(h.stdout.text, /WARNING: AWS reported the recovery of shard 0002 without an event naming the new primary/);
        assert.match(h.stdout.text, /failed over \(new primary unknown: AWS's events do not name it, and the data plane was not read \(this run has no data-plane connection\)\), and the replaced node prod-us-east-1-0002-001 has recovered/);
        const report = h.lastReport();
        assert.equal(report.outcome, "partial");
        assert.ok(typeof report.recoveryTime === "object" && /recovered \("Finished recovery for cache nodes 0001"\); no event reported the promotion/.test(report.recoveryTime.detail),
            JSON.stringify(report.recoveryTime));
    });

    it("says when the member's role cannot be read, and then verifies writes as on a primary", async () => {
        h = await harness();
        h.aws.faults.denied({ command: "DescribeGlobalReplicationGroups" });
        assert.equal(await h.run(...SHARD, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /\[role\] WARNING: the role of prod-us-east-1 is not known: the Global Datastore could not be read in us-east-1: .*the check after the failover writes/);
    });
});
