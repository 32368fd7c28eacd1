/**
 * retarget-primary --mode outage when a promotion is already moving, when AWS keeps refusing the
 * detach, and when the state backend hangs; and what the report keeps for rejoin and the incident
 * review (when the detach was accepted, the data loss when the lag metric went silent).
 */
import * as assert from "node:assert/strict";
import { Harness, harness, ssmWriter } from "./harness";

const OUTAGE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "outage"];
const SERVING = "prod-us-west-2";
const MINUTE = 60_000;

describe("retarget-primary --mode outage: promotions under way, refused detaches, a hanging backend", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    const calls = (command: string) => h.aws.log.calls({ command });

    it("a rerun that finds a promotion under way waits for it (--promotion-timeout) and takes it when it completes: no detach", async () => {
        h = await harness();
        h.aws.promoteByHand("us-west-2", 2 * MINUTE);
        assert.equal(await h.run(...OUTAGE, "--yes"), 0, h.stderr.text);
        assert.equal(calls("DisassociateGlobalReplicationGroup").length, 0, "a promotion two minutes from done is not cut off");
        assert.equal(h.aws.datastore().members.find((m) => m.region === "us-west-2")?.role, "PRIMARY");
        assert.equal(ssmWriter(h.aws, "eu-west-1").replicationGroupId, SERVING);
        assert.equal(ssmWriter(h.aws, "eu-west-1").globalDatastoreId, "ldgnf-prod", "promoted: still a member");
        const report = h.lastReport();
        assert.ok(report.recoveryTime !== "not reached" && report.recoveryTime.detail === "prod-us-west-2 PRIMARY of an available ldgnf-prod");
    });

    it("a promotion that completes while AWS refuses the detach ends the run as promoted, not failed", async () => {
        h = await harness();
        h.aws.promoteByHand("us-west-2", 2 * MINUTE);
        assert.equal(await h.run(...OUTAGE, "--promotion-timeout", "30s", "--yes"), 0, h.stderr.text);
        const detaches = calls("DisassociateGlobalReplicationGroup");
        assert.ok(detaches.length >= 1 && detaches.every((c) => c.outcome === "InvalidGlobalReplicationGroupStateFault"), detaches.map((c) => c.outcome).join(", "));
        assert.match(h.stdout.text, /\[detach\] found: prod-us-west-2 is PRIMARY of ldgnf-prod, which is available: the promotion completed/);
        const detach = h.lastReport().steps.find((s) => s.name === "detach")!;
        assert.deepEqual([detach.result, detach.summary], ["ok", "no detach: prod-us-west-2 became PRIMARY (promotion completed)"]);
        assert.match(h.stdout.text, /SUCCEEDED: us-west-2 promoted; writer parameter updated in us-west-2, us-east-1, eu-west-1/);
        assert.equal(h.lastReport().detachAcceptedAt, undefined, "no detach was accepted");
    });

    it("asks again for a refused detach every 15 to 30 s, while reading the membership every few seconds", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
        assert.equal(await h.run(...OUTAGE, "--force", "--promotion-timeout", "30s", "--wait-timeout", "3m", "--yes"), 1);
        const detaches = calls("DisassociateGlobalReplicationGroup").map((c) => c.at);
        assert.ok(detaches.length >= 5, `asked ${detaches.length} times in 3 minutes`);
        const gaps = detaches.slice(1).map((at, i) => (at - detaches[i]) / 1000);
        // 15 to 30 s, plus at most one poll interval (max(2 s, 5 % of the 3 minutes waited)) before the request goes out.
        assert.ok(gaps.every((g) => g >= 15 && g <= 30 + 9), `seconds between detach requests: ${gaps.join(", ")}`);
        const reads = h.aws.log.calls({ command: "DescribeGlobalReplicationGroups" }).filter((c) => c.at > detaches[0] && c.at < detaches.at(-1)!);
        assert.ok(reads.length >= 3 * gaps.length, `${reads.length} membership reads between ${detaches.length} detach requests`);
        assert.match(h.stderr.text, /AWS refused DisassociateGlobalReplicationGroup of prod-us-west-2 in us-west-2 \d+ time\(s\) over 3m 00s/);
    });

    it("--detach: the report records when AWS accepted the detach, and the data loss from the last lag datapoint before the metric went silent", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        const accepted = calls("DisassociateGlobalReplicationGroup").find((c) => c.outcome === "ok")!;
        const report = h.lastReport();
        assert.equal(report.detachAcceptedAt, new Date(accepted.at).toISOString());
        assert.ok(report.recoveryPoint !== "unknown");
        assert.equal(report.recoveryPoint.estimatedDataLossSeconds, undefined);
        assert.deepEqual(report.recoveryPoint.silentSince, { at: "2025-01-15T09:59:00.000Z", seconds: 0.4 });
        assert.match(h.stdout.text, /estimated data loss: unknown: metric silent since 2025-01-15T09:59:00\.000Z \(last 0\.4 s\); writes after 2025-01-15T09:59:00\.000Z, and up to 0\.4 s before it, may be lost \(CloudWatch/);
        assert.doesNotMatch(h.stdout.text, /not measured/);
    });

    it("a state backend that hangs: opening the stack is given up after 20 s and the run goes on from the stack file", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.openStackHangs = true;
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        const open = h.lastReport().steps.find((s) => s.name === "open-stack")!;
        // The run goes on from the stack file, so opening the stack did not fail the run: skipped, with why.
        assert.deepEqual([open.result, open.durationSeconds], ["skipped", 20]);
        assert.match(open.summary!, /selecting stack prod did not finish within 20\.0s: the state backend hangs\); going on with its stack file/);
        assert.doesNotMatch(h.stdout.text, /\[open-stack\] FAILED/);
        assert.equal(h.lastReport().steps.find((s) => s.name === "stack-file")?.result, "ok");
        assert.equal(ssmWriter(h.aws, "us-west-2").replicationGroupId, SERVING);
    });

    it("stack outputs that hang: the ids come from the configuration after 20 s", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.driver.outputs = () => new Promise(() => undefined);
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /WARNING: the stack outputs could not be read \(reading the outputs of stack prod did not finish within 20\.0s\); looking for the ids the configuration derives instead/);
        assert.equal(ssmWriter(h.aws, "us-west-2").replicationGroupId, SERVING);
    });
});
