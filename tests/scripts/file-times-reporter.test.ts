/**
 * scripts/file-times-reporter.ts in a real mocha run, in parallel mode as npm test runs it: the
 * report names every failed test and hook with its file and error (bench/test-suite.ts prints them
 * under the run), counts what passed, and times each file.
 */
import * as assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type FileTimes from "../../scripts/file-times-reporter";

const ROOT = path.resolve(__dirname, "..", "..");

describe("scripts/file-times-reporter: what a run's report holds", function () {
    this.timeout(60000);
    let dir: string;
    let report: FileTimes.Report;
    let status: number | null;

    before(() => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "file-times-reporter-"));
        fs.writeFileSync(path.join(dir, "a.test.js"), [
            "const assert = require('node:assert');",
            "describe('suite a', () => {",
            "    it('passes', () => {});",
            "    it('fails', () => { assert.equal(1, 2, 'one is not two\\nsecond line'); });",
            "});",
        ].join("\n"));
        fs.writeFileSync(path.join(dir, "b.test.js"), [
            "describe('suite b', () => {",
            "    before(() => { throw new Error('no cluster'); });",
            "    it('skipped one', () => {});",
            "    it('skipped two', () => {});",
            "});",
        ].join("\n"));
        const output = path.join(dir, "report.json");
        const run = spawnSync(process.execPath, [
            path.join(ROOT, "node_modules/mocha/bin/mocha.js"), "--no-config", "--parallel", "--jobs", "2",
            "--require", path.join(ROOT, "scripts/transpile.js"),
            "--reporter", path.join(ROOT, "scripts/file-times-reporter.ts"), "--reporter-option", `output=${output}`,
            "a.test.js", "b.test.js",
        ], { cwd: dir, encoding: "utf8" });
        status = run.status;
        assert.ok(fs.existsSync(output), `no report written; mocha said:\n${run.stdout}\n${run.stderr}`);
        report = JSON.parse(fs.readFileSync(output, "utf8")) as FileTimes.Report;
    });

    after(() => {
        if (dir) {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    });

    it("names each failed test and the failed hook, with its file and the first line of its error", () => {
        const failed = [...report.failed].sort((x, y) => x.title.localeCompare(y.title));
        assert.deepEqual(failed, [
            { file: "a.test.js", title: "suite a fails", error: "one is not two" },
            { file: "b.test.js", title: "suite b \"before all\" hook for \"skipped one\"", error: "no cluster" },
        ]);
    });

    it("counts them as mocha does: the hook's skipped tests neither pass nor fail", () => {
        assert.deepEqual([report.passes, report.failures, report.pending], [1, 2, 0]);
        assert.notEqual(status, 0, "mocha exits non-zero");
    });

    it("times each file, counting its tests", () => {
        assert.deepEqual(report.files.map((f) => [f.file, f.tests]).sort(), [["a.test.js", 2], ["b.test.js", 0]]);
        assert.ok(report.files.every((f) => f.ms >= 0));
    });
});
