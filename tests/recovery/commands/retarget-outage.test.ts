/** retarget-primary --mode outage against the fake control plane: promote or detach, move the writer parameter, never run Pulumi. */
import * as assert from "node:assert/strict";
import { isMutating } from "../fake/call-log";
import { Harness, HarnessOptions, harness, ssmWriter } from "./harness";

const OUTAGE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "outage"];
const SERVING = "prod-us-west-2";
const MINUTE = 60_000;

describe("retarget-primary --mode outage", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    /** us-east-1 stops answering, and the operator takes five minutes to confirm it. */
    async function outage(opts: HarnessOptions = {}): Promise<void> {
        h = await harness(opts);
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
    }

    const okCalls = () => h.aws.mutatingCalls().filter((c) => c.outcome === "ok").map((c) => `${c.region} ${c.command}`);
    const count = (command: string) => h.aws.log.calls({ command }).length;
    const pulumiOps = () => h.driver.calls.filter((c) => ["preview", "up", "refresh"].includes(c.op));

    it("refuses without --force: the lag metric stopped with the outage, so the loss is unknown; names the last datapoint", async () => {
        await outage();
        assert.equal(await h.run(...OUTAGE, "--detach", "--yes"), 1);
        assert.match(h.stderr.text, /the data loss cannot be estimated\. Estimated data loss: unknown; last datapoint at 2025-01-15T09:59:00\.000Z showed 0\.4 s, none since/);
        assert.deepEqual(h.changes(), []);
    });

    it("--detach: detaches at once, writes the writer parameter in every region that answers, reports the unreachable one, runs no Pulumi", async () => {
        await outage();
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        assert.deepEqual(okCalls(), ["us-west-2 DisassociateGlobalReplicationGroup", "us-west-2 PutParameter", "eu-west-1 PutParameter"]);
        assert.equal(count("FailoverGlobalReplicationGroup"), 0);
        assert.deepEqual(h.aws.log.calls({ command: "PutParameter" }).map((c) => c.region), ["us-west-2", "us-east-1", "eu-west-1"], "the target first");
        for (const region of ["us-west-2", "eu-west-1"]) {
            const writer = ssmWriter(h.aws, region);
            assert.deepEqual({ ...writer, configurationEndpoint: "" }, { role: "writer", region: "us-west-2", replicationGroupId: SERVING, configurationEndpoint: "", port: 6379, globalDatastoreId: "" });
            assert.match(writer.configurationEndpoint, /^clustercfg\.prod-us-west-2\./);
        }
        assert.equal(ssmWriter(h.aws, "us-east-1").replicationGroupId, "prod-us-east-1", "the failed region could not be written");
        assert.deepEqual(pulumiOps(), [], "outage mode never previews, updates or refreshes");

        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        const next = report.nextSteps.join("\n");
        assert.match(next, /NOT updated in us-east-1 \(unreachable: us-east-1 did not answer PutParameter/);
        assert.match(next, /aws ssm put-parameter --region us-east-1 --name \/elasticache-global\/prod\/writer --type String --overwrite --value '\{"role":"writer","region":"us-west-2"/);
        assert.match(next, /must be rebuilt.*rejoin --stack prod --dry-run/);
        assert.match(next, /Do NOT run pulumi up on stack prod.*would point the writer parameters back at us-east-1/);
        assert.doesNotMatch(next, /protect/);
    });

    it("a rerun after the detach rewrites the writer parameter and makes no control-plane call", async () => {
        await outage();
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        assert.equal(await h.run(...OUTAGE, "--force", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /already detached \(standalone\) and available/);
        assert.equal(count("DisassociateGlobalReplicationGroup"), 1);
    });

    it("default fake: a stuck promotion keeps the datastore modifying, the detach is refused, asked again until --wait-timeout, then a clear failure", async () => {
        await outage();
        assert.equal(await h.run(...OUTAGE, "--force", "--promotion-timeout", "30s", "--wait-timeout", "2m", "--yes"), 1);
        assert.match(h.stderr.text, /AWS refused DisassociateGlobalReplicationGroup of prod-us-west-2 in us-west-2 \d+ time\(s\) over 2m 00s \(--wait-timeout\); last answer: InvalidGlobalReplicationGroupStateFault/);
        assert.match(h.stderr.text, /whether AWS ever lets a detach through then is not documented/);
        assert.ok(count("DisassociateGlobalReplicationGroup") > 3, `asked ${count("DisassociateGlobalReplicationGroup")} times`);
        assert.equal(ssmWriter(h.aws, "us-west-2").replicationGroupId, "prod-us-east-1", "the writer must not move to a cluster that does not accept writes");
    });

    it("permissive fake: the promotion times out, then the detach goes through", async () => {
        await outage({ detachDuringStuckPromotion: true });
        assert.equal(await h.run(...OUTAGE, "--force", "--yes"), 0, h.stderr.text);
        assert.deepEqual(okCalls(), ["us-west-2 FailoverGlobalReplicationGroup", "us-west-2 DisassociateGlobalReplicationGroup", "us-west-2 PutParameter", "eu-west-1 PutParameter"]);
        assert.match(h.stdout.text, /the promotion did not complete: Timed out after 3m 00s/);
    });

    it("interrupted during the promotion: the rerun finds the datastore modifying, waits --promotion-timeout for it, then detaches instead of refusing", async () => {
        await outage({ detachDuringStuckPromotion: true });
        const first = h.run(...OUTAGE, "--force", "--yes");
        while (count("FailoverGlobalReplicationGroup") === 0) {
            await new Promise((resolve) => setImmediate(resolve));
        }
        h.abort.abort(new Error("interrupted (test)"));
        assert.equal(await first, 1);
        h.abort = new AbortController();
        const rerunAt = h.aws.clock.now();
        assert.equal(await h.run(...OUTAGE, "--force", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /is modifying \(a promotion under way, perhaps one that cannot complete, or another change\): outage mode waits for it up to --promotion-timeout/);
        assert.deepEqual([count("FailoverGlobalReplicationGroup"), count("DisassociateGlobalReplicationGroup")], [1, 1]);
        const detachAt = h.aws.log.calls({ command: "DisassociateGlobalReplicationGroup" })[0].at;
        assert.equal(detachAt - rerunAt, 3 * MINUTE, "the promotion under way got the default --promotion-timeout before the detach");
        assert.equal(ssmWriter(h.aws, "eu-west-1").replicationGroupId, SERVING);
    });

    it("a transient error on the failover call is retried, not answered with a detach", async () => {
        h = await harness();
        h.aws.faults.serverError({ command: "FailoverGlobalReplicationGroup", times: 1 });
        assert.equal(await h.run(...OUTAGE, "--yes"), 0, h.stderr.text);
        assert.equal(count("DisassociateGlobalReplicationGroup"), 0);
        assert.deepEqual(h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" }).map((c) => c.outcome), ["ServiceUnavailable", "ok"]);
        assert.match(h.stdout.text, /FailoverGlobalReplicationGroup failed .*the promotion did not start: asking again/);
        assert.deepEqual(ssmWriter(h.aws, "us-east-1"), { ...ssmWriter(h.aws, "us-west-2") }, "every region answers: all point at the new primary");
        assert.equal(ssmWriter(h.aws, "us-west-2").globalDatastoreId, "ldgnf-prod", "promoted, so still a member of the datastore");
        assert.match(h.lastReport().nextSteps.join("\n"), /--mode planned --reconcile-only --dry-run/);
    });

    for (const mode of ["outage", "planned"]) {
        it(`${mode}: a lost answer to the failover (the promotion started) is waited for, never asked again nor detached`, async () => {
            h = await harness();
            h.aws.faults.loseResponse({ command: "FailoverGlobalReplicationGroup", times: 1 });
            const argv = mode === "outage" ? OUTAGE : OUTAGE.slice(0, -2);
            assert.equal(await h.run(...argv, "--yes"), 0, h.stderr.text);
            assert.deepEqual([count("FailoverGlobalReplicationGroup"), count("DisassociateGlobalReplicationGroup")], [1, 0]);
            assert.match(h.stdout.text, /answered TimeoutError \(unreachable\), but the datastore now shows datastore modifying.*not asked again/);
            assert.equal(h.aws.datastore().members.find((m) => m.region === "us-west-2")!.role, "PRIMARY");
        });
    }

    it("access denied on the failover stops the run with the message, and nothing is detached", async () => {
        await outage();
        h.aws.faults.denied({ command: "FailoverGlobalReplicationGroup" });
        assert.equal(await h.run(...OUTAGE, "--force", "--yes"), 1);
        assert.match(h.stderr.text, /FailoverGlobalReplicationGroup in us-west-2 was denied .*retarget-primary --mode outage and failover-shard run under the stack's recovery role/);
        assert.equal(count("DisassociateGlobalReplicationGroup"), 0);
    });

    it("a rerun that finds the target PRIMARY of a datastore stuck modifying waits --promotion-timeout, then moves the writer and reports the datastore", async () => {
        h = await harness();
        h.aws.promoteByHand("us-west-2");
        h.aws.modifyOutOfBand(h.aws.clock.now(), 60 * MINUTE);
        const start = h.aws.clock.now();
        assert.equal(await h.run(...OUTAGE, "--promotion-timeout", "1m", "--yes"), 0, h.stderr.text);
        assert.ok(h.aws.clock.now() - start < 3 * MINUTE, "bounded by --promotion-timeout, not --wait-timeout");
        assert.equal(count("DisassociateGlobalReplicationGroup"), 0, "a primary is never detached");
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(ssmWriter(h.aws, region).replicationGroupId, SERVING, `writer parameter in ${region}`);
        }
        assert.equal(ssmWriter(h.aws, "us-west-2").globalDatastoreId, "ldgnf-prod", "still a member of the datastore");
        assert.match(h.stdout.text, /prod-us-west-2 is PRIMARY and us-west-2 reports it available, so it accepts writes; ldgnf-prod is still modifying/);
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        assert.ok(report.recoveryTime !== "not reached" && /PRIMARY and available as us-west-2 reports it, while ldgnf-prod is modifying/.test(report.recoveryTime.detail));
        assert.match(h.stdout.text, /SUCCEEDED: us-west-2 is PRIMARY and accepts writes \(its own region reports it available\) while the datastore is still changing \(datastore modifying, us-west-2 PRIMARY\)/);
        assert.match(report.nextSteps[0], /^Global Datastore ldgnf-prod has not settled: datastore modifying, us-west-2 PRIMARY\..*ask AWS Support to end the stuck operation/);
    });

    it("a dry run reads only, and a PutParameter counts as a change", async () => {
        await outage();
        assert.ok(isMutating("PutParameter") && !isMutating("GetParameter"));
        assert.equal(await h.run(...OUTAGE, "--force", "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls(), []);
        assert.deepEqual(pulumiOps(), []);
        assert.match(h.stdout.text, /write the SSM parameter \/elasticache-global\/prod\/writer \(Type String, Overwrite\) .* in us-west-2, then us-east-1, then eu-west-1/);
        assert.match(h.stdout.text, /Review the plan above, then run: npm run recovery -- retarget-primary --stack prod --to us-west-2 --mode outage --force --yes/);
    });

    it("a dry run without --force (the RUNBOOK's: the real command with --dry-run instead of --yes) prints the plan and the lag verdict, exit 0", async () => {
        await outage();
        assert.equal(await h.run(...OUTAGE, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.aws.mutatingCalls(), []);
        assert.match(h.stdout.text, /\[lag\] WARNING: a real run refuses without --force: refusing to promote: the data loss cannot be estimated/);
        assert.match(h.stdout.text, /plan: call FailoverGlobalReplicationGroup .*write the SSM parameter \/elasticache-global\/prod\/writer/);
        assert.match(h.lastReport().nextSteps.join("\n"), /To accept that loss: npm run recovery -- retarget-primary --stack prod --to us-west-2 --mode outage --force --yes/);
    });

    it("--help says outage mode writes the writer SSM parameter in every region that answers, not only --to", async () => {
        h = await harness();
        assert.equal(await h.run("retarget-primary", "--help"), 0);
        const help = h.stdout.text.replace(/\s+/g, " ");
        assert.match(help, /outage: the primary's region is down; control-plane calls go only to --to \(promote, or else detach it\), then the writer SSM parameter is written in every region that answers/);
        assert.doesNotMatch(help, /talk only to --to/);
    });

    it("refuses --reconcile-only with outage, and --detach outside outage (a usage error)", async () => {
        h = await harness();
        assert.equal(await h.run(...OUTAGE, "--reconcile-only", "--yes"), 1);
        assert.match(h.stderr.text, /--reconcile-only cannot be combined with --mode outage/);
        assert.equal(await h.run(...OUTAGE.slice(0, -2), "--detach", "--yes"), 2);
        assert.match(h.stderr.text, /--detach is given with --mode planned\. Accepted: --detach only with --mode outage/);
        assert.deepEqual(h.changes(), []);
    });

    it("with a Route 53 record configured, reports it as not updated and gives the exact command", async () => {
        await outage({ overrides: { "elasticache-global:route53": JSON.stringify({ zoneId: "Z123EXAMPLE", recordName: "cache.internal.example.com" }) } });
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /the Route 53 record cache\.internal\.example\.com is NOT changed/);
        assert.match(h.lastReport().nextSteps.join("\n"), /aws route53 change-resource-record-sets --hosted-zone-id Z123EXAMPLE --change-batch '\{"Changes":\[\{"Action":"UPSERT","ResourceRecordSet":\{"Name":"cache\.internal\.example\.com","Type":"CNAME","TTL":30,"ResourceRecords":\[\{"Value":"clustercfg\.prod-us-west-2\./);
    });
});
