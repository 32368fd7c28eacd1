/** retarget-primary against the fake control plane and the fake stack: planned and adopt, lag, dry run, reruns, flaky polling. */
import * as assert from "node:assert/strict";
import { DATA_HOLDING_TYPES, checkPlannedSteps } from "../../../recovery/lib/guard";
import { T } from "../../helpers/program";
import { Harness, harness, key, refreshReadsFakeAws, writerDocument } from "./harness";

const PROMOTE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2"];

function roles(h: Harness): Record<string, string> {
    return Object.fromEntries(h.aws.datastore().members.map((m) => [m.region, m.role]));
}

async function config(h: Harness, name: string): Promise<string | undefined> {
    return (await h.driver.getConfig())[key(name)]?.value;
}

describe("retarget-primary, planned and adopt", function () {
    // Each run executes the real program under mocks a few times; the control plane runs on virtual time.
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("planned: promotes, moves the writer, pins foundingRegion, and leaves nothing to replace", async () => {
        h = await harness({ overrides: { [key("foundingRegion")]: undefined } });
        refreshReadsFakeAws(h.aws, h.driver);
        const code = await h.run(...PROMOTE, "--yes");
        assert.equal(code, 0, h.stderr.text);
        assert.deepEqual(roles(h), { "us-east-1": "SECONDARY", "us-west-2": "PRIMARY", "eu-west-1": "SECONDARY" });
        assert.deepEqual(h.aws.mutatingCalls().map((c) => [c.region, c.command, c.input]), [["us-west-2", "FailoverGlobalReplicationGroup",
            { GlobalReplicationGroupId: "ldgnf-prod", PrimaryRegion: "us-west-2", PrimaryReplicationGroupId: "prod-us-west-2" }]]);
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(writerDocument(h.driver, region).replicationGroupId, "prod-us-west-2", `writer parameter in ${region}`);
        }
        assert.equal(await config(h, "foundingRegion"), "us-east-1");
        assert.equal(await config(h, "primaryRegion"), "us-west-2");
        assert.deepEqual(JSON.parse((await config(h, "secondaryRegions"))!), ["eu-west-1", "us-east-1"]);
        // The refresh read the failover like the provider does: the state records the new primary, and nothing is replaced.
        assert.equal(h.driver.resource(T.globalDatastore, "cache-datastore").inputs.primaryReplicationGroupId, "prod-us-west-2");
        const after = await h.driver.preview();
        assert.ok(checkPlannedSteps(after, DATA_HOLDING_TYPES).allowed, "a replication group or the datastore would be replaced or deleted");
        assert.deepEqual(after.filter((s) => s.op !== "same"), [], "the stack should match the program after the reconcile");

        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        assert.ok(report.recoveryTime !== "not reached" && report.recoveryTime.seconds >= 60, "the fake's promotion takes 60 s of virtual time");
        assert.ok(typeof report.promotionTime === "object", `promotion time measured: ${JSON.stringify(report.promotionTime)}`);
        assert.match(report.promotionTime.firstMutatingCall, /^FailoverGlobalReplicationGroup of prod-us-west-2 in us-west-2$/);
        // Noticed within max(2 s, 5%) of the 60 s the fake takes, and never before it completed.
        assert.ok(report.promotionTime.seconds >= 60 && report.promotionTime.seconds <= 63, `promotion time ${report.promotionTime.seconds} s`);
        assert.match(h.stdout.text, /promotion time: \d+(\.\d+)? s from FailoverGlobalReplicationGroup of prod-us-west-2/);
        assert.ok(report.recoveryPoint !== "unknown" && report.recoveryPoint.estimatedDataLossSeconds === 0.4);
        assert.match(h.stdout.text, /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[promote\] started: promoting prod-us-west-2/);
        assert.match(h.stdout.text, /To roll back once us-east-1 is healthy: .*--to us-east-1/);
    });

    it("adopt: a promotion done by hand is detected and only reconciled", async () => {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        h.aws.promoteByHand("us-west-2");
        assert.equal(await h.run(...PROMOTE, "--mode", "adopt", "--yes"), 0, h.stderr.text);
        assert.ok(checkPlannedSteps(await h.driver.preview(), DATA_HOLDING_TYPES).allowed, "nothing that holds data may be replaced after the adopt");
        assert.deepEqual(h.aws.mutatingCalls(), []);
        assert.equal(await config(h, "primaryRegion"), "us-west-2");
        assert.equal(writerDocument(h.driver, "eu-west-1").region, "us-west-2");
        const point = h.lastReport().recoveryPoint;
        assert.ok(point !== "unknown" && /already promoted/.test(point.source), `recovery point: ${JSON.stringify(point)}`);
    });

    it("adopt refuses when the target is not actually primary, with the real roles, changing nothing", async () => {
        h = await harness();
        assert.equal(await h.run(...PROMOTE, "--mode", "adopt", "--yes"), 1);
        assert.match(h.stderr.text, /--mode adopt: us-west-2 is not the primary.*us-east-1 prod-us-east-1 PRIMARY/);
        assert.deepEqual(h.changes(), []);
        assert.equal(h.lastReport().outcome, "failed");
    });

    it("a rerun when everything already matches reports nothing to do", async () => {
        h = await harness();
        assert.equal(await h.run(...PROMOTE, "--yes"), 0, h.stderr.text);
        const before = h.changes().length;
        assert.equal(await h.run(...PROMOTE, "--reconcile-only", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /NOTHING-TO-DO: nothing to do: us-west-2 is the primary/);
        assert.equal(h.changes().length, before, "nothing may change on a rerun with nothing to do");
    });

    it("refuses when the lag is over --max-lag-seconds, and --force proceeds", async () => {
        h = await harness();
        h.aws.setReplicationLag("us-west-2", "prod-us-west-2", () => 12);
        assert.equal(await h.run(...PROMOTE, "--yes"), 1);
        assert.match(h.stderr.text, /replication lag 12 s is above --max-lag-seconds 5/);
        assert.deepEqual(h.changes(), []);
        const refused = h.lastReport();
        assert.ok(refused.recoveryPoint !== "unknown" && refused.recoveryPoint.estimatedDataLossSeconds === 12, "the refused run still reports the estimate");

        assert.equal(await h.run(...PROMOTE, "--force", "--yes"), 0, h.stderr.text);
        assert.equal(roles(h)["us-west-2"], "PRIMARY");
        assert.match(h.stdout.text, /WARNING: replication lag 12 s is above --max-lag-seconds 5; proceeding because of --force/);
    });

    it("a dry run makes no mutating call and no stack change, and prints the plan", async () => {
        h = await harness();
        assert.equal(await h.run(...PROMOTE, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.changes(), []);
        assert.deepEqual(h.driver.operations.filter((op) => !["getConfig", "outputs", "preview"].includes(op)), [], "only reads of the stack");
        assert.match(h.stdout.text, /plan: call FailoverGlobalReplicationGroup \{"GlobalReplicationGroupId":"ldgnf-prod","PrimaryRegion":"us-west-2"/);
        assert.match(h.stdout.text, /would set elasticache-global:primaryRegion: us-east-1 -> us-west-2/);
        assert.match(h.stdout.text, /Review the plan above, then run: npm run recovery -- retarget-primary .* --yes/);
    });

    it("a dry run with the lag over the limit still prints the plan (exit 0) and says a real run refuses without --force", async () => {
        h = await harness();
        h.aws.setReplicationLag("us-west-2", "prod-us-west-2", () => 12);
        assert.equal(await h.run(...PROMOTE, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.changes(), []);
        assert.match(h.stdout.text, /\[lag\] WARNING: a real run refuses without --force: refusing to promote: replication lag 12 s is above --max-lag-seconds 5/);
        assert.match(h.stdout.text, /plan: call FailoverGlobalReplicationGroup/);
        assert.match(h.stdout.text, /would set elasticache-global:primaryRegion: us-east-1 -> us-west-2/);
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        assert.match(report.nextSteps.join("\n"), /A real run without --force refuses on the lag .* To accept that loss: npm run recovery -- retarget-primary --stack prod --to us-west-2 --mode planned --force --yes/);
    });

    it("without a terminal and without --yes refuses before any change", async () => {
        h = await harness();
        assert.equal(await h.run(...PROMOTE), 1);
        assert.match(h.stderr.text, /stdin is not a terminal and --yes was not given/);
        assert.deepEqual(h.changes(), []);
    });

    it("an interrupted run is finished by running it again, without a second failover call", async () => {
        h = await harness();
        const first = h.run(...PROMOTE, "--yes");
        // Interrupt as soon as the failover call has been made (Ctrl-C during the wait).
        while (h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" }).length === 0) {
            await new Promise((resolve) => setImmediate(resolve));
        }
        h.abort.abort(new Error("interrupted (test)"));
        assert.equal(await first, 1);
        assert.equal(h.lastReport().outcome, "aborted");
        assert.match(h.stdout.text, /run the same command again/);

        h.abort = new AbortController();
        // Right away the datastore is still modifying: the rerun says so and changes nothing.
        assert.equal(await h.run(...PROMOTE, "--yes"), 1);
        assert.match(h.stderr.text, /is modifying: someone .*run the same command again/);
        h.aws.clock.advance(2 * 60_000);
        assert.equal(await h.run(...PROMOTE, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /us-west-2 \(prod-us-west-2\) is already the primary/);
        assert.equal(h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" }).length, 1);
        assert.equal(await config(h, "primaryRegion"), "us-west-2");
    });

    it("a run whose up failed after the config was written is finished by the same command (not refused as nothing to promote)", async () => {
        h = await harness();
        const up = h.driver.up.bind(h.driver);
        let failures = 1;
        h.driver.up = async (options) => {
            if (failures-- > 0) {
                throw new Error("the update was interrupted (test)");
            }
            return up(options);
        };
        assert.equal(await h.run(...PROMOTE, "--yes"), 1);
        assert.equal(await config(h, "primaryRegion"), "us-west-2", "the config was written before up failed");
        assert.equal(await h.run(...PROMOTE, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /us-west-2 \(prod-us-west-2\) is already the primary/);
        assert.equal(writerDocument(h.driver, "eu-west-1").replicationGroupId, "prod-us-west-2");
        assert.equal(h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" }).length, 1);
    });

    it("survives throttling and 5xx answers while polling", async () => {
        h = await harness();
        h.aws.faults.throttle({ command: "DescribeGlobalReplicationGroups", everyNth: 2 });
        h.aws.faults.serverError({ command: "DescribeGlobalReplicationGroups", everyNth: 3 });
        assert.equal(await h.run(...PROMOTE, "--yes"), 0, h.stderr.text);
        assert.equal(roles(h)["us-west-2"], "PRIMARY");
        const states = h.lastReport().steps.find((s) => s.name === "promote")!.waits.map((w) => w.state);
        assert.ok(states.includes("error: throttled") && states.includes("error: server-error"), `states seen: ${states.join(", ")}`);
    });

    it("--json prints one JSON object per line, ending with the summary", async () => {
        h = await harness();
        assert.equal(await h.run(...PROMOTE, "--dry-run", "--json"), 0, h.stderr.text);
        const lines = h.stdout.text.trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(lines.slice(0, -1).every((e) => typeof e.time === "string" && typeof e.step === "string"));
        assert.deepEqual({ type: lines.at(-1).type, outcome: lines.at(-1).outcome }, { type: "summary", outcome: "succeeded" });
    });
});
