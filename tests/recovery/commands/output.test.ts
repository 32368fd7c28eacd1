/**
 * What an on-call engineer reads at the end of a run: a failure's full message once, near the end; no
 * line that contradicts another; a report for every run that reached AWS and none for a usage error.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { fileTimestamp } from "../../../recovery/lib/report";
import { SHORT_REASON_CHARS } from "../../../recovery/lib/progress";
import { BackendUnreachableError, PulumiCliMissingError } from "../../../recovery/lib/stack-driver";
import { Harness, harness } from "./harness";
import { pastTestFailovers } from "./failover-shard-harness";

const HOUR = 60 * 60_000;
const SHARD = ["failover-shard", "--stack", "prod", "--region", "us-east-1", "--shard", "0002"];
const SNAPSHOT = ["snapshot", "--stack", "prod", "--reason", "before the engine upgrade"];

function occurrences(text: string, part: string): number {
    return text.split(part).length - 1;
}

/** The report files of the harness's report directory. */
function reports(h: Harness): string[] {
    return fs.readdirSync(h.reportDir);
}

describe("recovery command output", function () {
    // The fake stack runs the real program under mocks; the control plane runs on virtual time.
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    describe("a failure is printed once", () => {
        it("the failed step's line gives a short reason; the full message comes once, after the outcome and before the next steps", async () => {
            h = await harness();
            h.openStackFails = new PulumiCliMissingError("prod", "select", "Command failed with ENOENT: pulumi version");
            assert.equal(await h.run("rejoin", "--stack", "prod", "--yes"), 1);
            const message = /^error: (.*)$/m.exec(h.stderr.text)?.[1];
            assert.ok(message && message.length > 300, `a long message: ${message}`);
            const all = h.stdout.text + h.stderr.text;
            assert.equal(occurrences(all, message), 1, all);
            // Its long tail in particular appears nowhere else.
            assert.equal(occurrences(all, "Install it as the Pulumi documentation describes"), 1, all);
            const failed = h.stdout.text.split("\n").filter((l) => /\bFAILED\b/.test(l));
            assert.deepEqual(failed.map((l) => l.replace(/^\d{4}-\S+ /, "")), [
                "[open-stack] FAILED: the Pulumi CLI is not installed or not on PATH, so select cannot run for stack prod (Command failed with ENOENT: pulumi version). [0ms]",
                "rejoin: FAILED in step open-stack",
            ]);
            assert.ok(failed[0].length < SHORT_REASON_CHARS + 60, failed[0]);
            // The error follows the outcome and precedes the next steps (stdout and stderr are one terminal).
            assert.match(h.stdout.text, /rejoin: FAILED in step open-stack\n {2}next steps:\n {4}1\. Nothing was changed\. Fix what the message above says/);
            assert.equal(h.lastReport().error, message, "the report keeps the whole message");
        });

        it("a long message on one line is shortened on the step line at a word, and given whole at the end", async () => {
            h = await harness();
            pastTestFailovers(h.aws.model, Array.from({ length: 15 }, (_, i) => 23 * HOUR - i * HOUR));
            assert.equal(await h.run(...SHARD, "--yes"), 1);
            const message = /^error: (.*)$/m.exec(h.stderr.text)![1];
            const all = h.stdout.text + h.stderr.text;
            assert.equal(occurrences(all, message), 1, all);
            for (const line of h.stdout.text.split("\n").filter((l) => /\] FAILED: /.test(l))) {
                assert.ok(line.length < SHORT_REASON_CHARS + 70, `a short step line: ${line}`);
            }
            assert.match(h.stdout.text, /failover-shard: FAILED in step \S+\n/);
        });

        it("--json: the summary carries the whole message once, the step event a short reason", async () => {
            h = await harness();
            h.openStackFails = new PulumiCliMissingError("prod", "select", "Command failed with ENOENT: pulumi version");
            assert.equal(await h.run("rejoin", "--stack", "prod", "--yes", "--json"), 1);
            const lines = h.stdout.text.trim().split("\n").map((l) => JSON.parse(l) as Record<string, unknown>);
            const summary = lines.at(-1)!;
            assert.equal(summary.type, "summary");
            assert.match(String(summary.error), /Install it as the Pulumi documentation describes/);
            const failedStep = lines.find((l) => l.type === "step-finished" && l.result === "failed")!;
            assert.doesNotMatch(String(failedStep.summary), /Install it/);
        });
    });

    describe("no contradictions", () => {
        it("rejoin and restore, which need the stack, never speak of a promotion or a detach when they refuse without it", async () => {
            h = await harness();
            for (const cause of [new PulumiCliMissingError("prod", "select", "spawn pulumi ENOENT"), new BackendUnreachableError("prod", "select", "connection refused")]) {
                h.openStackFails = cause;
                assert.equal(await h.run("rejoin", "--stack", "prod", "--yes"), 1);
                assert.doesNotMatch(h.stdout.text + h.stderr.text, /promotion|detach\b|recover from the AWS side/);
                assert.equal(await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2025-01-15T09:00:00Z", "--yes"), 1);
                assert.doesNotMatch(h.stdout.text + h.stderr.text, /promotion|detach\b|recover from the AWS side/);
            }
        });

        it("a run that goes on from the stack file does not call opening the stack FAILED, and snapshot never promises a later reconcile", async () => {
            h = await harness();
            h.openStackFails = new PulumiCliMissingError("prod", "select", "spawn pulumi ENOENT");
            assert.equal(await h.run(...SNAPSHOT, "--yes"), 0, h.stderr.text);
            assert.doesNotMatch(h.stdout.text, /FAILED/);
            assert.match(h.stdout.text, /\[open-stack\] skipped: stack prod cannot be opened \(the Pulumi CLI is missing: spawn pulumi ENOENT\); going on with its stack file/);
            assert.match(h.stdout.text, /nothing is left to reconcile/);
            assert.doesNotMatch(h.stdout.text, /reconciled later|must be reconciled/);
            assert.equal(h.lastReport().steps.find((s) => s.name === "open-stack")?.result, "skipped");
        });
    });

    describe("reports", () => {
        it("a usage error writes no report", async () => {
            h = await harness();
            assert.equal(await h.run("failover-shard", "--stack", "prod"), 2);
            assert.equal(await h.run(...SHARD, "--wait-timeout", "forever"), 2);
            assert.deepEqual(reports(h), []);
            assert.deepEqual(h.aws.log.calls(), [], "nothing was asked of AWS");
        });

        it("a run that reached AWS writes one, also when it is refused", async () => {
            h = await harness();
            pastTestFailovers(h.aws.model, Array.from({ length: 15 }, (_, i) => 23 * HOUR - i * HOUR));
            assert.equal(await h.run(...SHARD, "--yes"), 1);
            assert.ok(h.aws.log.calls().length > 0);
            assert.equal(h.lastReport().outcome, "failed");
            assert.match(h.lastReport().error!, /TestFailover quota in us-east-1 is used up/);
        });

        it("a run that reached AWS writes one to the temporary directory when the report directory cannot be written, and says so", async () => {
            h = await harness();
            // A directory where the report's JSON file must go: writing it fails as on a read-only or full disk.
            const blocked = path.join(h.reportDir, `${fileTimestamp(h.aws.clock.now())}-failover-shard.json`);
            fs.mkdirSync(blocked);
            assert.equal(await h.run(...SHARD, "--dry-run"), 0, h.stderr.text);
            const line = /^ {2}report: (\S+) \(and (\S+)\); (\S+) could not be written \((.*)\)$/m.exec(h.stdout.text);
            assert.ok(line, h.stdout.text);
            const [, markdown, json, directory, reason] = line;
            try {
                assert.equal(directory, h.reportDir);
                assert.match(reason, /EISDIR/);
                assert.ok(json.startsWith(os.tmpdir()), json);
                assert.equal(JSON.parse(fs.readFileSync(json, "utf8")).program, "failover-shard");
                assert.ok(fs.existsSync(markdown));
            } finally {
                fs.rmSync(json, { force: true });
                fs.rmSync(markdown, { force: true });
            }
        });
    });
});
