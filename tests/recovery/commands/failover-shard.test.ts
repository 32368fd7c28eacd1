/** failover-shard against the fake control plane: preconditions, the quota, following the events, dry run, bad input, reruns. */
import * as assert from "node:assert/strict";
import { Harness, harness } from "./harness";
import { nodeGroup, pastTestFailovers, runWith } from "./failover-shard-harness";

const SHARD = ["failover-shard", "--stack", "prod", "--region", "us-east-1", "--shard", "0002"];
const HOUR = 60 * 60_000;

function roles(h: Harness, shard: string): Record<string, string> {
    return Object.fromEntries(nodeGroup(h.aws.model, shard).nodes.map((n) => [n.cacheClusterId, n.role]));
}

describe("failover-shard", function () {
    // The fake stack runs the real program under mocks; the control plane runs on virtual time.
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("fails the shard over with one TestFailover, follows the events to the recovery, and says writes were not verified without a data plane", async () => {
        h = await harness();
        const code = await h.run(...SHARD, "--yes");
        assert.equal(code, 3, h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls().map((c) => [c.region, c.command, c.input]),
            [["us-east-1", "TestFailover", { ReplicationGroupId: "prod-us-east-1", NodeGroupId: "0002" }]]);
        assert.deepEqual(roles(h, "0002"), { "prod-us-east-1-0002-001": "replica", "prod-us-east-1-0002-002": "primary", "prod-us-east-1-0002-003": "replica" });
        assert.equal(nodeGroup(h.aws.model, "0002").status, "available", "the fake's node replacement finished");
        // A real TestFailover's promotion event names only the replica that took over; the recovery events name the replaced node.
        assert.match(h.stdout.text, /\[follow\] found: promoted: prod-us-east-1-0002-002 took over \(the event does not name the replaced primary\)/);
        assert.match(h.stdout.text, /\[follow\] ok: recovered at .*"Finished recovery for cache nodes 0001"; prod-us-east-1-0002-002 took over from prod-us-east-1-0002-001/);
        assert.match(h.stdout.text, /new primary prod-us-east-1-0002-002 in us-east-1c; old primary prod-us-east-1-0002-001 \(us-east-1b\)/);
        assert.match(h.stdout.text, /WARNING: writes not verified: this run has no data-plane connection/);
        assert.match(h.stdout.text, /PARTIAL: .*writes NOT verified: this run has no data-plane connection/);

        const report = h.lastReport();
        assert.equal(report.outcome, "partial");
        assert.ok(typeof report.promotionTime === "object", `promotion time: ${JSON.stringify(report.promotionTime)}`);
        // The fake promotes 20 s after the call; the polling notices within max(2 s, 5 %).
        assert.ok(report.promotionTime.seconds >= 20 && report.promotionTime.seconds <= 23, `promotion time ${report.promotionTime.seconds} s`);
        const follow = report.steps.find((s) => s.name === "follow")!;
        assert.equal(follow.result, "ok");
        assert.match(follow.summary!, /Finished recovery for cache nodes/);
        assert.ok(follow.waits.some((w) => /^recovering the replaced node/.test(w.state)), `states: ${follow.waits.map((w) => w.state).join(" | ")}`);
    });

    it("refuses before calling TestFailover when the 24 h quota is used up, and says when the next one is allowed", async () => {
        h = await harness();
        const calls = pastTestFailovers(h.aws.model, Array.from({ length: 15 }, (_, i) => 23 * HOUR - i * HOUR));
        assert.equal(await h.run(...SHARD, "--yes"), 1);
        assert.match(h.stderr.text, /refusing before calling TestFailover: the TestFailover quota in us-east-1 is used up/);
        assert.match(h.stderr.text, /15 of 15 TestFailover node groups used in the last 24 h \(0 left\)/);
        const next = new Date(calls[0] + 24 * HOUR).toISOString();
        assert.ok(h.stderr.text.includes(`The next one is allowed at ${next}.`), h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls(), [], "TestFailover was not called");
        assert.ok(h.aws.log.calls({ command: "DescribeEvents" }).length > 0, "the quota was counted from the events");
    });

    it("counts only the last 24 hours: 15 calls 25 hours ago and 14 within the window leave room for one", async () => {
        h = await harness();
        pastTestFailovers(h.aws.model, [...Array.from({ length: 15 }, () => 25 * HOUR), ...Array.from({ length: 14 }, (_, i) => (i + 1) * HOUR)]);
        assert.equal(await h.run(...SHARD, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /14 of 15 TestFailover node groups used in the last 24 h \(1 left\)/);
    });

    it("refuses a shard without a replica, naming its node, and calls nothing that changes", async () => {
        h = await harness();
        const group = nodeGroup(h.aws.model, "0002");
        group.nodes = group.nodes.filter((n) => n.role === "primary");
        assert.equal(await h.run(...SHARD, "--yes"), 1);
        assert.match(h.stderr.text, /no healthy replica in another availability zone: shard 0002 has prod-us-east-1-0002-001 \(us-east-1b\): no replica to fail over to/);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    it("refuses a shard whose replicas are all in the primary's availability zone", async () => {
        h = await harness();
        nodeGroup(h.aws.model, "0002").nodes.forEach((n) => {
            n.availabilityZone = "us-east-1b";
        });
        assert.equal(await h.run(...SHARD, "--yes"), 1);
        assert.match(h.stderr.text, /no healthy replica in another availability zone: .*every node is in us-east-1b/);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    it("does not count a replica in another AZ that is still being replaced", async () => {
        h = await harness();
        const nodes = nodeGroup(h.aws.model, "0002").nodes;
        nodes[2].availabilityZone = nodes[0].availabilityZone;
        h.aws.model.emit("us-east-1", "cache-cluster", nodes[1].cacheClusterId, "Recovering cache nodes 0001", h.aws.clock.now() - 60_000);
        assert.equal(await h.run(...SHARD, "--yes"), 1);
        assert.match(h.stderr.text, /would have no healthy replica in another AZ; still being replaced \(not counted\): prod-us-east-1-0002-002/);
        assert.deepEqual(h.aws.mutatingCalls(), []);

        h.aws.model.emit("us-east-1", "cache-cluster", nodes[1].cacheClusterId, "Finished recovery for cache nodes 0001", h.aws.clock.now() - 1000);
        assert.equal(await h.run(...SHARD, "--dry-run"), 0, "once it has recovered, the shard can fail over");
    });

    it("refuses while the replication group is not available", async () => {
        h = await harness();
        h.aws.model.requireReplicationGroup("us-east-1", "prod-us-east-1").status = "modifying";
        assert.equal(await h.run(...SHARD, "--yes"), 1);
        assert.match(h.stderr.text, /replication group prod-us-east-1 in us-east-1 is modifying and its shard 0002 is available: TestFailover needs both available/);
        assert.match(h.stderr.text, /aws elasticache describe-replication-groups --replication-group-id prod-us-east-1 --region us-east-1/);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    it("times out on a failover whose events never report completion, names the last event and what to check; a rerun follows it without calling again", async () => {
        h = await harness();
        h.aws.faults.neverFinish("TestFailover");
        assert.equal(await h.run(...SHARD, "--wait-timeout", "2m", "--yes"), 1);
        assert.match(h.stderr.text, /did not finish within 2m 00s \(no "Finished recovery for cache nodes" event\)/);
        assert.match(h.stderr.text, /The last event seen: "Test Failover API called for node group 0002" \(prod-us-east-1\) at 2025-01-15T10:00:\d\d\.\d{3}Z/);
        assert.match(h.stderr.text, /AWS has not reported the promotion yet/);
        assert.match(h.stderr.text, /Check: the events \(aws elasticache describe-events --region us-east-1 --duration 60\)/);
        assert.equal(h.lastReport().recoveryTime, "not reached");

        assert.equal(await h.run(...SHARD, "--wait-timeout", "1m", "--yes"), 1);
        assert.match(h.stdout.text, /has not finished .*following it, without a new call/);
        assert.equal(h.aws.log.calls({ command: "TestFailover" }).length, 1, "no second TestFailover");
    });

    it("an interrupted run is finished by running it again, without a second TestFailover", async () => {
        h = await harness();
        const first = h.run(...SHARD, "--yes");
        while (h.aws.log.calls({ command: "TestFailover" }).length === 0) {
            await new Promise((resolve) => setImmediate(resolve));
        }
        h.abort.abort(new Error("interrupted (test)"));
        assert.equal(await first, 1);
        h.abort = new AbortController();
        assert.equal(await h.run(...SHARD, "--yes"), 3, h.stderr.text);
        assert.equal(h.aws.log.calls({ command: "TestFailover" }).length, 1);
        assert.equal(roles(h, "0002")["prod-us-east-1-0002-002"], "primary");
        assert.match(h.stdout.text, /following it, without a new call/);
    });

    it("another shard's failover under way blocks this one (AWS runs one at a time per group)", async () => {
        h = await harness();
        assert.equal(await runWith(h, {}, ...SHARD.slice(0, -1), "0001", "--wait-timeout", "10s", "--yes"), 1, "left under way");
        assert.equal(await h.run(...SHARD, "--yes"), 1);
        assert.match(h.stderr.text, /a TestFailover of shard 0001 of prod-us-east-1 is still under way .*one at a time per replication group/);
        assert.equal(h.aws.log.calls({ command: "TestFailover" }).length, 1);
    });

    it("a dry run reads only and prints the plan", async () => {
        h = await harness();
        assert.equal(await runWith(h, { env: { REDIS_PASSWORD: "a-password-of-16-chars" }, connectDataPlane: async () => { throw new Error("a dry run must not connect"); } },
            ...SHARD, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls(), []);
        assert.match(h.stdout.text, /plan: call TestFailover \{"ReplicationGroupId":"prod-us-east-1","NodeGroupId":"0002"\} in us-east-1 \(quota: 15 of 15 left\)/);
        assert.match(h.stdout.text, /write and read back one key per shard through tls:\/\/.* as user app/);
        assert.match(h.stdout.text, /Review the plan above, then run: npm run recovery -- failover-shard .*--yes/);
        assert.doesNotMatch(h.stdout.text + JSON.stringify(h.lastReport()), /a-password-of-16-chars/, "the password is never printed or reported");
    });

    it("without a terminal and without --yes refuses before any change", async () => {
        h = await harness();
        assert.equal(await h.run(...SHARD), 1);
        assert.match(h.stderr.text, /stdin is not a terminal and --yes was not given/);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    describe("bad input: the flag, the value and what is accepted; nothing asked of AWS", () => {
        const cases: Array<[string, string[], number, RegExp]> = [
            ["an unknown region", ["--region", "ap-south-1", "--shard", "0002"], 1,
                /--region "ap-south-1" is not a region of stack prod\. Accepted: us-east-1, us-west-2, eu-west-1\./],
            ["an unknown shard", ["--region", "us-east-1", "--shard", "0009"], 1,
                /--shard "0009" is not a shard of stack prod, which has 3 \(config shards\)\. Accepted: 0001, 0002, 0003\./],
            ["a malformed shard", ["--region", "us-east-1", "--shard", "2"], 2, /--shard "2" is not valid\. Accepted: a node group id of four digits/],
            ["a user the stack does not have", ["--region", "us-east-1", "--shard", "0002", "--redis-user", "bob"], 1,
                /--redis-user "bob" is not a password user of stack prod\. Accepted: app\./],
        ];
        for (const [what, flags, exit, message] of cases) {
            it(what, async () => {
                h = await harness();
                assert.equal(await h.run("failover-shard", "--stack", "prod", ...flags, "--yes"), exit);
                assert.match(h.stderr.text, message);
                assert.deepEqual(h.aws.log.calls(), [], "no AWS call at all");
            });
        }
    });

    it("says why writes are not verified when REDIS_PASSWORD is missing or the endpoint does not answer", async () => {
        h = await harness();
        const refused = async () => { throw new Error("connect ECONNREFUSED 10.0.0.1:6379"); };
        assert.equal(await runWith(h, { connectDataPlane: refused }, ...SHARD, "--yes"), 3, h.stderr.text);
        assert.match(h.stdout.text, /writes not verified: REDIS_PASSWORD is not set: export the password of user app/);

        h.aws.clock.advance(10 * 60_000);
        assert.equal(await runWith(h, { connectDataPlane: refused, env: { REDIS_PASSWORD: "a-password-of-16-chars" } }, ...SHARD.slice(0, -1), "0003", "--yes"), 3);
        assert.match(h.stdout.text, /writes not verified: could not connect to tls:\/\/.* as user app: connect ECONNREFUSED/);
        assert.match(h.lastReport().nextSteps.join("\n"), /Verify writes by hand/);
    });

    it("--help lists the flags and the exit codes", async () => {
        h = await harness();
        assert.equal(await h.run("failover-shard", "--help"), 0);
        assert.match(h.stdout.text, /--shard <shard>\s+The shard \(node group\) to fail over\. \(required\)/);
        assert.match(h.stdout.text, /3 {2}partial: the failover completed, but writes could not be verified/);
        assert.deepEqual(h.aws.log.calls(), []);
    });
});
