/**
 * The CI workflows, parsed: what runs when, for which stacks, with which policy pack and config, on
 * which pinned actions, with which credentials.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { PROJECT_DIR, listStacks } from "../offline/run";

const DIR = path.join(PROJECT_DIR, ".github", "workflows");

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; id?: string }
interface Job {
    needs?: string | string[];
    strategy?: { matrix?: { include?: Array<Record<string, string>>; stack?: string[] }; "max-parallel"?: number };
    concurrency?: { group: string; "cancel-in-progress"?: boolean };
    permissions?: Record<string, string>;
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; jobs: Record<string, Job> }

function load(file: string): Workflow {
    return parse(fs.readFileSync(path.join(DIR, file), "utf8")) as Workflow;
}

const files = () => fs.readdirSync(DIR).filter((f) => /\.ya?ml$/.test(f)).sort();

/** Every stack a job runs for, from its matrix. */
function stacksOf(job: Job): string[] {
    const matrix = job.strategy?.matrix;
    return [...(matrix?.stack ?? []), ...(matrix?.include ?? []).map((m) => m.stack)].sort();
}

/** Replaces ${{ matrix.x }} with the entry's values. */
function expand(text: string, entry: Record<string, string>): string {
    return text.replace(/\$\{\{\s*matrix\.(\w+)\s*\}\}/g, (_, key: string) => entry[key] ?? `<no matrix.${key}>`);
}

/** Steps that run Pulumi: the action with a command, or the CLI. */
function pulumiSteps(job: Job): Step[] {
    return job.steps.filter((s) => (s.uses?.startsWith("pulumi/actions@") && s.with?.command) || /\bpulumi (preview|up|refresh)\b/.test(s.run ?? ""));
}

/** Policy pack and config of a Pulumi step, from the action's inputs or the CLI's flags. */
function policyOf(step: Step, entry: Record<string, string>): { pack?: string; config?: string } {
    if (step.uses) {
        const config = step.with?.policyPackConfigs as string | undefined;
        return { pack: step.with?.policyPacks as string | undefined, config: config && expand(config, entry) };
    }
    const run = expand(step.run!, entry);
    return { pack: /--policy-pack (\S+)/.exec(run)?.[1], config: /--policy-pack-config (\S+)/.exec(run)?.[1] };
}

const STACKS = listStacks();

describe("CI workflows (.github/workflows)", () => {
    it("has the preview, deploy and drift workflows, each valid YAML", () => {
        assert.deepEqual(files(), ["deploy.yml", "drift.yml", "preview.yml"]);
        for (const file of files()) {
            const wf = load(file);
            assert.ok(wf.on && wf.jobs, `${file} has triggers and jobs`);
        }
    });

    it("triggers: pull requests preview, pushes to main deploy, a nightly schedule checks drift", () => {
        assert.deepEqual(Object.keys(load("preview.yml").on), ["pull_request"]);
        assert.deepEqual(load("deploy.yml").on, { push: { branches: ["main"] } });
        const drift = load("drift.yml").on as { schedule: Array<{ cron: string }> };
        assert.equal(drift.schedule.length, 1);
        assert.match(drift.schedule[0].cron, /^\d+ \d+ \* \* \*$/, "once a day");
    });

    it("the pull request preview runs npm ci and npm test before previewing", () => {
        const wf = load("preview.yml");
        const runs = wf.jobs.test.steps.map((s) => s.run).filter(Boolean);
        assert.deepEqual(runs, ["npm ci", "npm test"]);
        assert.equal(wf.jobs.preview.needs, "test");
    });

    for (const [file, command] of [["preview.yml", "preview"], ["deploy.yml", "up"], ["drift.yml", "preview"]] as const) {
        it(`${file}: runs pulumi ${command} for every stack with the policy pack and the stack's config file, which exist`, () => {
            const jobs = Object.values(load(file).jobs).filter((j) => pulumiSteps(j).length > 0);
            assert.ok(jobs.length > 0);
            for (const job of jobs) {
                assert.deepEqual(stacksOf(job), STACKS, "every stack of the project");
                const steps = pulumiSteps(job);
                assert.ok(steps.some((s) => s.with?.command === command), `a pulumi/actions step with command ${command}`);
                for (const entry of job.strategy!.matrix!.include!) {
                    for (const step of steps) {
                        const policy = policyOf(step, entry);
                        assert.equal(policy.pack, "policies", `${step.name ?? step.uses}: --policy-pack policies`);
                        const config = policy.config ?? "";
                        assert.equal(config, `policies/config/${entry.stack}.json`);
                        assert.ok(fs.existsSync(path.join(PROJECT_DIR, config)), `${config} exists`);
                        assert.ok(fs.existsSync(path.join(PROJECT_DIR, "policies", "PulumiPolicy.yaml")));
                        if (step.with?.["stack-name"] !== undefined) {
                            assert.equal(expand(String(step.with["stack-name"]), entry), entry.stack);
                        }
                    }
                }
            }
        });
    }

    it("drift refreshes and fails on any change", () => {
        const step = pulumiSteps(load("drift.yml").jobs.drift)[0];
        assert.equal(step.with?.refresh, true);
        assert.equal(step.with?.["expect-no-changes"], true);
    });

    it("deploy takes a guarded snapshot first when engineVersion or nodeType change, and deploys staging before prod", () => {
        const job = load("deploy.yml").jobs.deploy;
        const names = job.steps.map((s) => s.id ?? s.name ?? s.uses ?? s.run);
        const detect = job.steps.findIndex((s) => s.id === "changes");
        const snapshot = job.steps.findIndex((s) => /npm run recovery -- snapshot --stack/.test(s.run ?? ""));
        const up = job.steps.findIndex((s) => s.with?.command === "up");
        assert.ok(detect >= 0 && detect < snapshot && snapshot < up, `detect, snapshot, up in order: ${names.join(" | ")}`);
        assert.match(job.steps[detect].run!, /engineVersion/);
        assert.match(job.steps[detect].run!, /nodeType/);
        assert.equal(job.steps[snapshot].if, "steps.changes.outputs.engine_or_node_change == 'true'");
        assert.match(job.steps[snapshot].run!, /--reason /);
        assert.match(job.steps[snapshot].run!, /if \[ ! -f recovery\/commands\/snapshot\.ts \]; then[\s\S]*exit 1/, "fails closed until the command exists");
        assert.equal(job.strategy?.["max-parallel"], 1);
        assert.deepEqual(job.strategy?.matrix?.include?.map((m) => m.stack), ["staging", "prod"]);
    });

    for (const file of ["preview.yml", "deploy.yml", "drift.yml"]) {
        it(`${file}: least privilege, one operation per stack, OIDC credentials, token from secrets`, () => {
            const wf = load(file);
            assert.deepEqual(wf.permissions, { contents: "read" }, "read-only by default");
            for (const job of Object.values(wf.jobs).filter((j) => pulumiSteps(j).length > 0)) {
                assert.equal(job.concurrency?.group, "pulumi-${{ matrix.stack }}");
                assert.equal(job.concurrency?.["cancel-in-progress"], false, "never cancel a running Pulumi operation");
                assert.equal(job.permissions?.["id-token"], "write", "OIDC");
                const aws = job.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
                assert.equal(aws.length, 1);
                assert.equal(aws[0].with?.["role-to-assume"], "${{ vars.AWS_ROLE_ARN }}");
                assert.equal(aws[0].with?.["aws-access-key-id"], undefined, "no long-lived keys");
                const tokens = [job.env?.PULUMI_ACCESS_TOKEN, ...job.steps.map((s) => s.env?.PULUMI_ACCESS_TOKEN)].filter(Boolean);
                assert.ok(tokens.length > 0, "PULUMI_ACCESS_TOKEN is provided");
                assert.ok(tokens.every((t) => t === "${{ secrets.PULUMI_ACCESS_TOKEN }}"));
            }
        });

        it(`${file}: every action pinned to an exact version or commit, no plaintext secrets`, () => {
            const text = fs.readFileSync(path.join(DIR, file), "utf8");
            const wf = load(file);
            for (const step of Object.values(wf.jobs).flatMap((j) => j.steps)) {
                if (step.uses) {
                    assert.match(step.uses, /^[\w.-]+\/[\w.-]+@(v\d+\.\d+\.\d+|[0-9a-f]{40})$/, `${step.uses} is pinned`);
                }
            }
            assert.doesNotMatch(text, /AKIA[0-9A-Z]{16}/, "no AWS access key id");
            assert.doesNotMatch(text, /pul-[0-9a-f]{40}/, "no Pulumi access token");
            assert.doesNotMatch(text, /arn:aws:iam::\d{12}:/, "no account-specific role ARN");
            for (const [key, value] of Object.entries({ ...Object.assign({}, ...Object.values(wf.jobs).map((j) => j.env ?? {})) })) {
                if (/TOKEN|SECRET|PASSWORD|KEY/.test(key)) {
                    assert.match(String(value), /^\$\{\{ secrets\.\w+ \}\}$/, `${key} comes from secrets`);
                }
            }
        });
    }
});

