/** Listing and taking snapshots against the fake control plane: paging, a running backup, lost answers, failures and timeouts. */
import * as assert from "node:assert/strict";
import { CreateSnapshotCommand } from "@aws-sdk/client-elasticache";
import { createRegionClients } from "../../recovery/lib/clients";
import { RecoveryEvent } from "../../recovery/lib/events";
import { Progress } from "../../recovery/lib/progress";
import { RefusedError } from "../../recovery/lib/retarget/preflight";
import { chooseSnapshot } from "../../recovery/lib/snapshots/choose";
import { checkCompatibility } from "../../recovery/lib/snapshots/compatible";
import { findSnapshot, listSnapshots } from "../../recovery/lib/snapshots/list";
import { SnapshotNotTakenError, TakeSnapshotRequest, manualSnapshotName, takeSnapshot } from "../../recovery/lib/snapshots/take";
import { tagValueProblem } from "../../recovery/lib/snapshots/tag-value";
import { FakeAws, NODE_SNAPSHOT_SPACING_MS, PROD_SEED } from "./fake";
import { elastiCacheIn, rejection } from "./fake/clients";

const RG = "prod-us-east-1";
const REGION = "us-east-1";
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

describe("snapshot library against the fake control plane", function () {
    this.timeout(30_000);
    let aws: FakeAws;
    let events: RecoveryEvent[];
    const clients = () => createRegionClients();
    const read = (region: string) => elastiCacheIn(region);
    const deps = () => {
        events = [];
        return { clients: clients(), progress: new Progress({ clock: aws.clock, sinks: [(e: RecoveryEvent) => events.push(e)] }) };
    };
    const request = (extra: Partial<TakeSnapshotRequest> = {}): TakeSnapshotRequest =>
        ({ region: REGION, replicationGroupId: RG, reason: "deploy 1a2b3c: engine version change", requestedBy: "deploy workflow run 77", waitTimeoutMs: HOUR, ...extra });
    beforeEach(() => {
        aws = FakeAws.seed(PROD_SEED).install();
    });
    afterEach(() => aws.restore());

    describe("listSnapshots and findSnapshot", () => {
        it("follows Marker through every page, automated and manual, only of the group, with the node group configuration", async () => {
            for (let i = 0; i < 110; i++) {
                aws.addSnapshot(REGION, { replicationGroupId: RG, takenAt: aws.clock.now() - (i + 1) * HOUR });
            }
            aws.addSnapshot(REGION, { replicationGroupId: RG, source: "manual", name: "by-hand", takenAt: aws.clock.now() - 30 * MINUTE });
            aws.addSnapshot(REGION, { replicationGroupId: "other", takenAt: aws.clock.now() - HOUR });
            const listed = await listSnapshots(read, REGION, RG);
            assert.equal(listed.length, 111);
            assert.equal(new Set(listed.map((s) => s.SnapshotName)).size, 111, "no page read twice");
            assert.equal(aws.log.calls({ command: "DescribeSnapshots" }).length, 3, "50 + 50 + 11");
            assert.ok(listed.every((s) => s.ReplicationGroupId === RG && s.NodeSnapshots![0].NodeGroupConfiguration?.Slots));
            assert.equal((await findSnapshot(read, REGION, "BY-HAND"))?.SnapshotSource, "manual");
            assert.equal(await findSnapshot(read, REGION, "missing"), undefined);
        });

        it("feeds chooseSnapshot and checkCompatibility with what AWS reports", async () => {
            const corruptionAt = aws.clock.now() - 90 * MINUTE;
            for (let i = 0; i < 60; i++) {
                aws.addSnapshot(REGION, { replicationGroupId: RG, takenAt: aws.clock.now() - i * 20 * MINUTE - 5 * MINUTE });
            }
            const choice = chooseSnapshot({ snapshots: await listSnapshots(read, REGION, RG), replicationGroupId: RG, beforeMs: corruptionAt });
            const newestBefore = aws.clock.now() - 5 * 20 * MINUTE - 5 * MINUTE;
            assert.equal(choice.recoveryPoint, newestBefore + 2 * NODE_SNAPSHOT_SPACING_MS);
            assert.equal(choice.rejected.length, 5, "the five taken after the corruption began");
            assert.deepEqual(checkCompatibility(choice.chosen, { engine: "valkey", engineVersion: "8.0", nodeType: "cache.r7g.xlarge", shards: 3 }).problems, []);
        });
    });

    describe("takeSnapshot", () => {
        it("takes a tagged manual snapshot named after the group and the time, once, and resolves when it is available", async () => {
            const startedAt = aws.clock.now();
            const taken = await takeSnapshot(request(), deps());
            assert.equal(taken.name, "prod-us-east-1-manual-20250115-100000");
            assert.deepEqual(taken.tags, { reason: "deploy 1a2b3c: engine version change", "requested-by": "deploy workflow run 77" });
            const stored = aws.snapshot(REGION, taken.name);
            assert.deepEqual([stored.status, stored.source, stored.tags], ["available", "manual", taken.tags]);
            assert.equal(taken.recoveryPoint, Math.max(...stored.nodeSnapshots!.map((n) => n.takenAt)));
            assert.deepEqual(taken.nodeSnapshots.map((n) => n.nodeGroupId), ["0001", "0002", "0003"]);
            assert.ok(aws.clock.now() - startedAt >= aws.durations.snapshot, "not before AWS says available");
            assert.deepEqual(aws.mutatingCalls().map((c) => [c.command, c.input.SnapshotName]), [["CreateSnapshot", taken.name]]);
            assert.ok(events.some((e) => e.type === "waiting" && e.state === "creating"), "the wait is reported");
        });

        it("waits out a backup already running on the group, then takes its own", async () => {
            await elastiCacheIn(REGION).send(new CreateSnapshotCommand({ ReplicationGroupId: RG, SnapshotName: "someone-elses" }));
            const taken = await takeSnapshot(request(), deps());
            const calls = aws.log.calls({ command: "CreateSnapshot" });
            assert.deepEqual(calls.map((c) => c.outcome), ["ok", "ok"], "ours is sent only once the other is done, so it is never refused");
            assert.ok(calls[1].at >= calls[0].at + aws.durations.snapshot);
            assert.equal(taken.name, manualSnapshotName(RG, calls[1].at), "named when it was asked for");
            assert.deepEqual(aws.snapshotsIn(REGION).map((s) => s.status), ["available", "available"]);
            assert.ok(events.some((e) => e.type === "found" && /already taking a backup .*waiting for it to finish/.test(e.what)));
        });

        it("refuses, changing nothing, when the running backup outlasts the wait, or the group is in another state", async () => {
            aws.faults.neverFinish("CreateSnapshot");
            await elastiCacheIn(REGION).send(new CreateSnapshotCommand({ ReplicationGroupId: RG, SnapshotName: "endless" }));
            const busy = await rejection(takeSnapshot(request({ waitTimeoutMs: 10 * MINUTE }), deps()));
            assert.ok(busy instanceof RefusedError);
            assert.match(busy.message, /prod-us-east-1 in us-east-1 was still taking another backup when --wait-timeout ran out .*Nothing was changed/);
            aws.faults.clear();
            aws.model.requireReplicationGroup(REGION, RG).status = "modifying";
            const modifying = await rejection(takeSnapshot(request(), deps()));
            assert.match(modifying.message, /^replication group prod-us-east-1 in us-east-1 is modifying; a snapshot can start only when it is available\. Nothing was changed/);
            assert.deepEqual(aws.log.calls({ command: "CreateSnapshot" }).length, 1, "only the test's own");
        });

        it("goes on with the snapshot it asked for when the answer to CreateSnapshot is lost, without asking twice", async () => {
            aws.faults.loseResponse({ command: "CreateSnapshot", times: 1 });
            const taken = await takeSnapshot(request(), deps());
            assert.equal(aws.log.calls({ command: "CreateSnapshot" }).length, 1);
            assert.equal(aws.snapshot(REGION, taken.name).status, "available");
        });

        it("fails with next steps, not a rerun, when the snapshot fails or is not available in time", async () => {
            aws.faults.snapshotFails({ replicationGroupId: RG });
            const failed = await rejection(takeSnapshot(request(), deps()));
            assert.ok(failed instanceof SnapshotNotTakenError);
            assert.match(failed.message, /^prod-us-east-1-manual-\S+ did not become available: .*is failed/);
            assert.match(failed.nextSteps.join(" "), /delete it \(aws elasticache delete-snapshot --snapshot-name prod-us-east-1-manual-\S+ --region us-east-1\) and run the command again/);
            aws.faults.clear();
            aws.clock.advance(HOUR);
            aws.faults.neverFinish("CreateSnapshot");
            const slow = await rejection(takeSnapshot(request({ waitTimeoutMs: 20 * MINUTE }), deps()));
            assert.ok(slow instanceof SnapshotNotTakenError);
            assert.match(slow.message, /is not available within --wait-timeout: Timed out after 20m 00s .*Last state: creating/);
            assert.match(slow.nextSteps.join(" "), /Do not run the command again just to wait: that takes a second snapshot/);
        });

        it("checks what it is given: tag values AWS accepts, a positive wait, a replication group id", async () => {
            assert.equal(tagValueProblem("deploy 1a2b3c: engine version change"), undefined);
            assert.equal(tagValueProblem("  "), "it is empty");
            assert.equal(tagValueProblem("x".repeat(257)), "it is 257 characters long");
            assert.equal(tagValueProblem("why; because!"), "it contains \";\", \"!\", which ElastiCache tags do not accept");
            assert.equal(tagValueProblem("aws:reason"), "it starts with aws:, which AWS keeps for itself");
            await assert.rejects(takeSnapshot(request({ reason: "a;b" }), deps()), /takeSnapshot: reason "a;b" is not valid: it contains ";"/);
            await assert.rejects(takeSnapshot(request({ waitTimeoutMs: 0 }), deps()), /waitTimeoutMs is 0\. Accepted: a positive number/);
            assert.throws(() => manualSnapshotName("Prod_1", 0), /replication group id "Prod_1" is not valid/);
            assert.equal(manualSnapshotName("prod-g2-us-east-1", Date.UTC(2025, 11, 31, 23, 59, 58)), "prod-g2-us-east-1-manual-20251231-235958");
            assert.equal(aws.mutatingCalls().length, 0);
        });
    });
});
