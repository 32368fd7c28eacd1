import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { Progress } from "../../recovery/lib/progress";
import { RunReport, fileTimestamp } from "../../recovery/lib/report";
import { VirtualClock } from "./fake/virtual-clock";

const START = Date.UTC(2025, 0, 15, 10, 0, 0, 123);

function tempDir(): string {
    return fs.mkdtempSync(path.join(os.tmpdir(), "report-test-"));
}

/** A run the way a command drives it: steps inside try, finish in finally. */
async function run(directory: string, failAt?: "promote"): Promise<{ json: string; markdown: string }> {
    const clock = new VirtualClock(START);
    const progress = new Progress({ clock });
    const report = new RunReport({
        program: "retarget-primary",
        inputs: { stack: "prod", to: "us-west-2", mode: "planned", authToken: "hunter2-hunter2-hunter2", apiKey: "k-123" },
        secretInputs: ["apiKey"],
        progress,
        directory,
    });
    let error: unknown;
    let written: { json: string; markdown: string } | undefined;
    try {
        await progress.step("guard", "checking replication lag in us-west-2", async (step) => {
            await clock.sleep(800);
            step.found("GlobalDatastoreReplicationLag max 0.4 s over 5 min", { detail: { region: "us-west-2" } });
            step.found("us-east-1 still answers", { level: "warn" });
            report.setRecoveryPoint({ estimatedDataLossSeconds: 0.4, source: "GlobalDatastoreReplicationLag max over the last 5 min, CloudWatch" });
            step.summarize("lag 0.4 s");
        });
        await progress.step("promote", "promoting us-west-2", async (step) => {
            report.markFirstMutatingCall("FailoverGlobalReplicationGroup in us-west-2");
            step.emit({ type: "waiting", at: clock.now(), step: "promote", waitingFor: "datastore available", state: "modifying", elapsedMs: 0 });
            await clock.sleep(61_500);
            if (failAt === "promote") {
                throw new Error("Timed out after 1m 01s waiting for datastore available");
            }
            report.markWritesAccepted("us-west-2 is PRIMARY and available");
        });
    } catch (e) {
        error = e;
    } finally {
        written = await report.finish({ error, nextSteps: ["Set primaryRegion to us-west-2 in Pulumi.prod.yaml", "Run pulumi up"] });
    }
    return written;
}

describe("run reports", () => {
    it("names the files <UTC timestamp>-<program>.json and .md, safe on every filesystem", async () => {
        const dir = tempDir();
        const { json, markdown } = await run(dir);
        assert.equal(fileTimestamp(START), "20250115T100000.123Z");
        assert.equal(json, path.join(dir, "20250115T100000.123Z-retarget-primary.json"));
        assert.equal(markdown, path.join(dir, "20250115T100000.123Z-retarget-primary.md"));
        assert.ok(fs.existsSync(json) && fs.existsSync(markdown));
    });

    it("JSON: inputs without secrets, steps with timing, findings and waits, recovery time and point, next steps", async () => {
        const { json } = await run(tempDir());
        const text = fs.readFileSync(json, "utf8");
        assert.doesNotMatch(text, /hunter2|k-123/, "secret values never reach the report");
        const r = JSON.parse(text);
        assert.equal(r.program, "retarget-primary");
        assert.equal(r.outcome, "succeeded");
        assert.deepEqual(r.inputs, { stack: "prod", to: "us-west-2", mode: "planned", authToken: "[secret]", apiKey: "[secret]" });
        assert.deepEqual(r.steps.map((s: any) => [s.name, s.result, s.durationSeconds, s.summary]),
            [["guard", "ok", 0.8, "lag 0.4 s"], ["promote", "ok", 61.5, "done"]]);
        assert.equal(r.steps[0].start, "2025-01-15T10:00:00.123Z");
        assert.equal(r.steps[0].end, "2025-01-15T10:00:00.923Z");
        assert.deepEqual(r.steps[0].findings.map((f: any) => [f.level, f.what]),
            [["info", "GlobalDatastoreReplicationLag max 0.4 s over 5 min"], ["warn", "us-east-1 still answers"]]);
        assert.deepEqual(r.steps[1].waits, [{ at: "2025-01-15T10:00:00.923Z", waitingFor: "datastore available", state: "modifying" }]);
        assert.deepEqual(r.recoveryTime, { seconds: 62.3, writesAcceptedAt: "2025-01-15T10:01:02.423Z", detail: "us-west-2 is PRIMARY and available" });
        // Without the 0.8 s of preflight before the call.
        assert.deepEqual(r.promotionTime, { seconds: 61.5, firstMutatingCallAt: "2025-01-15T10:00:00.923Z",
            firstMutatingCall: "FailoverGlobalReplicationGroup in us-west-2", writesAcceptedAt: "2025-01-15T10:01:02.423Z" });
        assert.deepEqual(r.recoveryPoint, { estimatedDataLossSeconds: 0.4, source: "GlobalDatastoreReplicationLag max over the last 5 min, CloudWatch" });
        assert.deepEqual(r.nextSteps, ["Set primaryRegion to us-west-2 in Pulumi.prod.yaml", "Run pulumi up"]);
        assert.equal(r.durationSeconds, 62.3);
    });

    it("Markdown: outcome, recovery figures, numbered next steps, inputs and a step table", async () => {
        const { markdown } = await run(tempDir());
        const md = fs.readFileSync(markdown, "utf8");
        assert.match(md, /^# retarget-primary: succeeded$/m);
        assert.match(md, /^- Recovery time \(from the start of the run, confirmation and preflight included\): 62\.3 s, writes accepted at 2025-01-15T10:01:02\.423Z \(us-west-2 is PRIMARY and available\)$/m);
        assert.match(md, /^- Promotion time \(from the first mutating call to writes accepted\): 61\.5 s, FailoverGlobalReplicationGroup in us-west-2 at 2025-01-15T10:00:00\.923Z, writes accepted at 2025-01-15T10:01:02\.423Z$/m);
        assert.match(md, /^- Recovery point: estimated data loss 0\.4 s, source: GlobalDatastoreReplicationLag max over the last 5 min, CloudWatch$/m);
        assert.match(md, /^1\. Set primaryRegion to us-west-2 in Pulumi\.prod\.yaml\n2\. Run pulumi up$/m);
        assert.match(md, /^\| authToken \| \[secret\] \|$/m);
        assert.match(md, /^\| guard \| 2025-01-15T10:00:00\.123Z \| 2025-01-15T10:00:00\.923Z \| 800ms \| ok \| lag 0\.4 s \|$/m);
        assert.match(md, /^- 2025-01-15T10:00:00\.923Z \*\*WARN\*\* us-east-1 still answers$/m);
        assert.doesNotMatch(md, /hunter2|k-123/);
    });

    it("is written when the run fails midway: failed outcome, the error, the failed step, recovery time not reached", async () => {
        const { json, markdown } = await run(tempDir(), "promote");
        const r = JSON.parse(fs.readFileSync(json, "utf8"));
        assert.equal(r.outcome, "failed");
        assert.equal(r.error, "Timed out after 1m 01s waiting for datastore available");
        assert.deepEqual(r.steps.map((s: any) => [s.name, s.result]), [["guard", "ok"], ["promote", "failed"]]);
        assert.equal(r.recoveryTime, "not reached");
        assert.equal(r.promotionTime, "not reached");
        assert.equal(r.recoveryPoint.estimatedDataLossSeconds, 0.4, "what was learnt before the failure stays");
        const md = fs.readFileSync(markdown, "utf8");
        assert.match(md, /^# retarget-primary: failed$/m);
        assert.match(md, /^\*\*Error:\*\* Timed out after 1m 01s waiting for datastore available$/m);
        assert.match(md, /^- Recovery time \(from the start of the run, confirmation and preflight included\): not reached/m);
        assert.match(md, /^- Promotion time \(from the first mutating call to writes accepted\): not reached/m);
        assert.match(md, /^\| promote \| .* \| failed \| Timed out after 1m 01s waiting for datastore available \|$/m);
    });

    it("marks a step still running when the report is written as unfinished", async () => {
        const clock = new VirtualClock(START);
        const progress = new Progress({ clock });
        const report = new RunReport({ program: "drill", inputs: {}, progress, directory: tempDir() });
        let written: Awaited<ReturnType<RunReport["finish"]>> | undefined;
        await progress.step("fail-over", "failing over shard 0001", async () => {
            written = await report.finish({ outcome: "aborted" });
        });
        assert.equal(written!.report.outcome, "aborted");
        assert.equal(written!.report.steps[0].result, "unfinished");
        assert.equal(written!.report.recoveryPoint, "unknown");
    });

    it("rejects a program name unfit for a file name, and a recovery point without a source", () => {
        const progress = new Progress({ clock: new VirtualClock(START) });
        assert.throws(() => new RunReport({ program: "../etc", inputs: {}, progress }), /RunReport program is "\.\.\/etc"\. Accepted: a command name/);
        const report = new RunReport({ program: "restore", inputs: {}, progress });
        assert.throws(() => report.setRecoveryPoint({ source: " " }), /setRecoveryPoint needs source/);
    });

    it("measures no promotion time when the run made no mutating call, and only counts writes accepted after the call", async () => {
        const clock = new VirtualClock(START);
        const progress = new Progress({ clock });
        const adopted = new RunReport({ program: "retarget-primary", inputs: {}, progress, directory: tempDir() });
        adopted.markWritesAccepted("us-west-2 was already PRIMARY");
        const doc = adopted.build();
        assert.equal(doc.promotionTime, "no mutating call");
        assert.ok(doc.recoveryTime !== "not reached");
        const md = (await adopted.finish()).markdown;
        assert.match(fs.readFileSync(md, "utf8"), /^- Promotion time \(from the first mutating call to writes accepted\): not measured, this run made no mutating call$/m);

        const later = new RunReport({ program: "retarget-primary", inputs: {}, progress, directory: tempDir() });
        later.markWritesAccepted("accepted before");
        await clock.sleep(1000);
        later.markFirstMutatingCall("DisassociateGlobalReplicationGroup in us-west-2");
        later.markFirstMutatingCall("a second call does not move the start");
        assert.equal(later.build().promotionTime, "not reached");
    });
});
