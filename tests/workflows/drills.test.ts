/**
 * The scheduled drills workflow (.github/workflows/drills.yml), parsed: when it runs, against which
 * stack, with which credentials and permissions, in which concurrency group, which recovery commands
 * (their flags checked by the commands' own parsers), and that the reports are kept even on failure.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR, listStacks } from "../../offline/run";
import { COMMANDS } from "../../recovery/cli";
import { parseFlags } from "../../recovery/lib/flags";

const FILE = path.join(PROJECT_DIR, ".github", "workflows", "drills.yml");

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string }
interface Job {
    "runs-on": string;
    environment?: string;
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    permissions?: Record<string, string>;
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; concurrency?: { group: string; "cancel-in-progress"?: boolean }; jobs: Record<string, Job> }

const text = fs.readFileSync(FILE, "utf8");
const wf = parse(text) as Workflow;
const job = () => {
    const jobs = Object.values(wf.jobs);
    assert.equal(jobs.length, 1, "one job: the drills run one after the other on one runner");
    return jobs[0];
};
const stepIndex = (predicate: (s: Step) => boolean) => job().steps.findIndex(predicate);
const recoveryRuns = () => job().steps.filter((s) => /npm run recovery -- /.test(s.run ?? ""));

/** The arguments after `npm run recovery --` of a step's command line. */
function recoveryArgs(step: Step): string[] {
    const line = /npm run recovery -- (.+)$/m.exec(step.run ?? "")?.[1];
    assert.ok(line, `a recovery command line in ${step.name}`);
    assert.doesNotMatch(line, /["'$\\]/, "plain arguments, nothing for a shell to expand");
    return line.trim().split(/\s+/);
}

describe("drills workflow (.github/workflows/drills.yml)", () => {
    it("runs monthly on a schedule and by hand", () => {
        assert.deepEqual(Object.keys(wf.on).sort(), ["schedule", "workflow_dispatch"]);
        const schedule = wf.on.schedule as Array<{ cron: string }>;
        assert.equal(schedule.length, 1);
        const [minute, hour, day, month, weekday] = schedule[0].cron.split(" ");
        assert.ok(/^\d+$/.test(minute) && /^\d+$/.test(hour), "at a fixed time of day");
        assert.ok(/^\d+$/.test(day) && Number(day) >= 1 && Number(day) <= 28, "on a fixed day that every month has");
        assert.deepEqual([month, weekday], ["*", "*"], "every month");
    });

    it("runs npm ci, then the failover drill on every shard of staging, then the backup drill, both unattended and as JSON", () => {
        const ci = stepIndex((s) => s.run === "npm ci");
        const runs = recoveryRuns();
        assert.ok(ci >= 0, "npm ci");
        assert.deepEqual(runs.map(recoveryArgs), [
            ["drill", "--stack", "staging", "--shards", "all", "--yes", "--json"],
            ["backup-drill", "--stack", "staging", "--yes", "--json"],
        ]);
        assert.ok(runs.every((s) => job().steps.indexOf(s) > ci), "after npm ci");
        assert.ok(listStacks().includes("staging"), "the staging stack exists in this project");
        assert.equal(runs[1].if, "${{ !cancelled() }}", "the backup drill runs even when the failover drill failed, not after a cancel");
    });

    it("gives the drill command flags its own parser accepts", () => {
        const drill = COMMANDS.find((c) => c.spec.name === "drill");
        assert.ok(drill, "the drill command is registered in recovery/cli.ts");
        const [, ...flags] = recoveryArgs(recoveryRuns()[0]);
        const { values } = parseFlags(drill.spec, flags);
        assert.deepEqual([values.stack, values.shards, values.yes, values.json, values.dryRun], ["staging", "all", true, true, false]);
    });

    it("gives the backup-drill command flags its own parser accepts", () => {
        const backup = COMMANDS.find((c) => c.spec.name === "backup-drill");
        assert.ok(backup, "the backup-drill command is registered in recovery/cli.ts");
        const [, ...flags] = recoveryArgs(recoveryRuns()[1]);
        const { values } = parseFlags(backup.spec, flags);
        assert.deepEqual([values.stack, values.yes, values.json], ["staging", true, true]);
    });

    it("keeps recovery-reports/ as an artifact, also when a drill failed", () => {
        const upload = job().steps.filter((s) => s.uses?.startsWith("actions/upload-artifact@"));
        assert.equal(upload.length, 1);
        assert.equal(upload[0].if, "always()");
        assert.equal(upload[0].with?.path, "recovery-reports/");
        assert.ok(job().steps.indexOf(upload[0]) > job().steps.indexOf(recoveryRuns()[1]), "after both drills");
    });

    it("assumes the staging environment's role through OIDC, with read-only contents otherwise", () => {
        assert.deepEqual(wf.permissions, { contents: "read" });
        assert.deepEqual(job().permissions, { contents: "read", "id-token": "write" });
        assert.equal(job().environment, "staging", "the environment holds the role and its protection rules");
        const aws = job().steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        assert.equal(aws.length, 1);
        assert.equal(aws[0].with?.["role-to-assume"], "${{ vars.AWS_ROLE_ARN }}");
        assert.equal(aws[0].with?.["aws-region"], "eu-central-1", "staging's primary region (Pulumi.staging.yaml)");
        assert.equal(aws[0].with?.["aws-access-key-id"], undefined, "no long-lived keys");
        assert.ok(stepIndex((s) => s === aws[0]) < stepIndex((s) => s === recoveryRuns()[0]), "credentials before the drills");
    });

    it("takes the Pulumi token and the data-plane password from secrets, never from plain text", () => {
        const env = job().env ?? {};
        assert.equal(env.PULUMI_ACCESS_TOKEN, "${{ secrets.PULUMI_ACCESS_TOKEN }}");
        assert.equal(env.REDIS_PASSWORD, "${{ secrets.REDIS_PASSWORD }}");
        for (const [key, value] of Object.entries({ ...env, ...Object.assign({}, ...job().steps.map((s) => s.env ?? {})) })) {
            if (/TOKEN|SECRET|PASSWORD|KEY/.test(key)) {
                assert.match(String(value), /^\$\{\{ secrets\.\w+ \}\}$/, `${key} comes from secrets`);
            }
        }
        assert.doesNotMatch(text, /--redis-password|AKIA[0-9A-Z]{16}|pul-[0-9a-f]{40}|arn:aws:iam::\d{12}:/);
    });

    it("has its own concurrency group, which never cancels a drill and is not the deploys' pulumi-<stack> group", () => {
        const groups = [wf.concurrency, job().concurrency].filter((c): c is NonNullable<typeof c> => !!c);
        assert.equal(groups.length, 1);
        assert.doesNotMatch(groups[0].group, /^pulumi-/, "sharing deploy.yml's group would make GitHub drop a queued deploy");
        assert.equal(groups[0]["cancel-in-progress"], false, "a drill stopped halfway leaves a failover or a restore behind");
    });

    it("pins every action to an exact version or commit", () => {
        for (const step of job().steps.filter((s) => s.uses)) {
            assert.match(step.uses!, /^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${step.uses} is pinned`);
        }
    });

    it("documents the GitHub setup it needs: every variable, secret and the environment", () => {
        const header = text.split("\n").filter((l, i, all) => all.slice(0, i + 1).every((x) => x.startsWith("#"))).join("\n");
        assert.match(header, /GitHub setup/);
        const needed = new Set([...text.matchAll(/\bvars\.(\w+)|\bsecrets\.(\w+)/g)].map((m) => m[1] ?? m[2]));
        assert.ok(needed.size >= 4, [...needed].join(", "));
        for (const name of [...needed, "staging"]) {
            assert.match(header, new RegExp(`\\b${name}\\b`), `the header documents ${name}`);
        }
        assert.match(header, /Concurrency:/);
    });
});
