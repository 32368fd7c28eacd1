/**
 * How retarget-primary reads a failover AWS did not accept: a definite refusal is a refusal (planned
 * stops, outage detaches), only an unclear failure may be a promotion under way, and a login problem
 * is never answered with a detach.
 */
import * as assert from "node:assert/strict";
import { Harness, harness, ssmWriter } from "./harness";

const PLANNED = ["retarget-primary", "--stack", "prod", "--to", "us-west-2"];
const OUTAGE = [...PLANNED, "--mode", "outage"];
const MINUTE = 60_000;

describe("retarget-primary: a failover AWS does not accept", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    const count = (command: string) => h.aws.log.calls({ command }).length;
    const role = (region: string) => h.aws.datastore().members.find((m) => m.region === region)?.role;

    /** Runs `action` once, right before the first `command` call reaches the fake control plane (after the run's preflight). */
    function rightBefore(command: string, action: () => void): void {
        const check = h.aws.faults.check.bind(h.aws.faults);
        let done = false;
        h.aws.faults.check = async (service, region, name) => {
            if (name === command && !done) {
                done = true;
                action();
            }
            return check(service, region, name);
        };
    }

    it("planned: a refusal because someone else's change started stops the run at once, saying so; nothing is waited for", async () => {
        h = await harness();
        rightBefore("FailoverGlobalReplicationGroup", () => h.aws.modifyOutOfBand(h.aws.clock.now(), 20 * MINUTE));
        const start = h.aws.clock.now();
        assert.equal(await h.run(...PLANNED, "--yes"), 1);
        assert.ok(h.aws.clock.now() - start < MINUTE, `waited ${(h.aws.clock.now() - start) / 1000} s`);
        assert.match(h.stderr.text, /AWS refused FailoverGlobalReplicationGroup of prod-us-west-2 in us-west-2 \(InvalidGlobalReplicationGroupStateFault: .*\): someone else is changing the datastore ldgnf-prod \(it shows datastore modifying, us-west-2 SECONDARY\)/);
        assert.match(h.stderr.text, /This run changed nothing\. Wait until it is available .*then run the same command again/);
        assert.doesNotMatch(h.stdout.text, /under way/);
        assert.deepEqual(h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" }).map((c) => c.outcome), ["InvalidGlobalReplicationGroupStateFault"]);
        assert.equal(role("us-west-2"), "SECONDARY");
        assert.deepEqual(h.driver.operations.filter((op) => ["setConfig", "refresh", "up"].includes(op)), [], "the stack is not touched");
        assert.equal(h.lastReport().outcome, "failed");
    });

    it("outage: the same refusal goes straight to the detach, which AWS accepts once the other change ends", async () => {
        h = await harness();
        rightBefore("FailoverGlobalReplicationGroup", () => h.aws.modifyOutOfBand(h.aws.clock.now(), 2 * MINUTE));
        assert.equal(await h.run(...OUTAGE, "--yes"), 0, h.stderr.text);
        assert.doesNotMatch(h.stdout.text, /under way/);
        assert.match(h.stdout.text, /\[promote\] WARNING: the promotion did not complete: FailoverGlobalReplicationGroup in us-west-2 was refused/);
        const failoverAt = h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" })[0].at;
        const detaches = h.aws.log.calls({ command: "DisassociateGlobalReplicationGroup" });
        assert.equal(detaches[0].at, failoverAt, "no --promotion-timeout spent waiting for a promotion that was refused");
        assert.equal(detaches.at(-1)!.outcome, "ok");
        assert.equal(ssmWriter(h.aws, "eu-west-1").replicationGroupId, "prod-us-west-2");
        assert.equal(ssmWriter(h.aws, "eu-west-1").globalDatastoreId, "", "detached");
    });

    it("planned: after an unclear failure while another change runs, the wait stops when the datastore is available again with the target SECONDARY", async () => {
        h = await harness();
        h.aws.faults.serverError({ command: "FailoverGlobalReplicationGroup", times: 1 });
        rightBefore("FailoverGlobalReplicationGroup", () => h.aws.modifyOutOfBand(h.aws.clock.now(), 2 * MINUTE));
        const start = h.aws.clock.now();
        assert.equal(await h.run(...PLANNED, "--yes"), 1);
        const waited = h.aws.clock.now() - start;
        assert.ok(waited >= 2 * MINUTE && waited < 3 * MINUTE, `waited ${waited / 1000} s: until the other change ended, not --wait-timeout`);
        assert.match(h.stdout.text, /answered ServiceUnavailable \(server-error\), but the datastore now shows datastore modifying.*may be under way/);
        assert.match(h.stderr.text, /ldgnf-prod is available again and prod-us-west-2 is still SECONDARY: the change the datastore went through was not this promotion/);
        assert.equal(count("FailoverGlobalReplicationGroup"), 1, "a maybe-started promotion is never asked for again");
        assert.equal(role("us-west-2"), "SECONDARY");
    });

    it("outage: access denied while polling the promotion stops the run with that message; it is not answered with a detach", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
        rightBefore("FailoverGlobalReplicationGroup", () => h.aws.faults.denied({ command: "DescribeGlobalReplicationGroups" }));
        assert.equal(await h.run(...OUTAGE, "--force", "--yes"), 1);
        assert.match(h.stderr.text, /DescribeGlobalReplicationGroups in us-west-2 was denied \(AccessDenied/);
        const steps = h.lastReport().steps.map((s) => `${s.name} ${s.result}`);
        assert.ok(steps.includes("promote failed") && !steps.some((s) => s.startsWith("detach")), steps.join(", "));
        assert.equal(count("DisassociateGlobalReplicationGroup"), 0);
    });
});
