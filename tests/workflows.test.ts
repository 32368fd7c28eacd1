/**
 * The CI workflows, parsed: what runs when, for which stacks, with which policy pack and config, on
 * which pinned actions, with which credentials, in which concurrency groups; and the deploy's
 * engine-version / node-type detection, run on sample `pulumi preview --json` documents.
 */
import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { parse } from "yaml";
import { PROJECT_DIR } from "../offline/run";
import { PreviewDocumentError, main as detectMain, rollingChanges } from "../.github/scripts/engine-or-node-change";
import { COMMANDS } from "../recovery/cli";
import { SNAPSHOT_SPEC } from "../recovery/commands/specs";
import { parseFlags } from "../recovery/lib/flags";
import { tagValueProblem } from "../recovery/lib/snapshots/tag-value";
import { EXAMPLE_STACKS } from "./helpers/stacks";

const DIR = path.join(PROJECT_DIR, ".github", "workflows");

interface Step { name?: string; uses?: string; run?: string; with?: Record<string, unknown>; env?: Record<string, string>; if?: string; id?: string }
interface Concurrency { group: string; "cancel-in-progress"?: boolean }
interface Job {
    needs?: string | string[];
    environment?: string;
    strategy?: { matrix?: { include?: Array<Record<string, string>>; stack?: string[] }; "max-parallel"?: number };
    concurrency?: Concurrency;
    permissions?: Record<string, string>;
    env?: Record<string, string>;
    steps: Step[];
}
interface Workflow { on: Record<string, unknown>; permissions?: Record<string, string>; concurrency?: Concurrency; jobs: Record<string, Job> }

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
    return text.replace(/\$\{\{\s*matrix\.([\w-]+)\s*\}\}/g, (_, key: string) => entry[key] ?? `<no matrix.${key}>`);
}

/** The comment block a workflow file starts with. */
function headerComment(file: string): string {
    const lines = fs.readFileSync(path.join(DIR, file), "utf8").split("\n");
    return lines.slice(0, lines.findIndex((l) => !l.startsWith("#"))).join("\n");
}

const FIXTURES = path.join(PROJECT_DIR, "tests", "workflows");
const CI_SCRIPT = path.join(PROJECT_DIR, ".ci", "run");

/** A step that runs the project's tests: npm test (or test:only), mocha, or the CI script. */
const TEST_COMMAND = /\bnpm (?:run )?test(?::only)?\b|\bmocha\b|(?:^|\s)\.ci\/run\b/m;
/** An apt-get install that includes redis-server. */
const REDIS_INSTALL = /\bapt-get install\b[^\n]*\bredis-server\b/;

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

// A user's own stack file joins a workflow only when it is added to the workflow's matrix, so these
// tests name the example stacks and check every matrix entry, never the list of stack files.

/** A matrix stack needs its stack file and its policy-pack config. */
function assertStackExists(file: string, stack: string): void {
    assert.ok(fs.existsSync(path.join(PROJECT_DIR, `Pulumi.${stack}.yaml`)), `${file}: matrix stack ${stack} has its Pulumi.${stack}.yaml`);
    assert.ok(fs.existsSync(path.join(PROJECT_DIR, "policies", "config", `${stack}.json`)), `${file}: matrix stack ${stack} has its policies/config/${stack}.json`);
}

describe("CI workflows (.github/workflows)", () => {
    it("has the preview, deploy, drift and scheduled drill workflows, each valid YAML", () => {
        assert.deepEqual(files(), ["deploy.yml", "drift.yml", "drills.yml", "preview.yml"]);
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

    it("the pull request preview runs the project's CI script (npm ci, npm test) before previewing", () => {
        const wf = load("preview.yml");
        const runs = wf.jobs.test.steps.map((s) => s.run).filter(Boolean);
        assert.deepEqual(runs, [".ci/run"]);
        assert.equal(wf.jobs.preview.needs, "test");
        const script = fs.readFileSync(CI_SCRIPT, "utf8");
        assert.match(script, /^npm ci\b/m);
        assert.match(script, /^npm test$/m);
    });

    // GitHub's hosted Ubuntu images have no redis-server (actions/runner-images#465: install it at run
    // time with apt-get), and GitHub sets CI=true, under which the Redis tests fail instead of skipping.
    it("every job that runs the tests installs redis-server before them, or runs .ci/run, which does", () => {
        assert.match(fs.readFileSync(CI_SCRIPT, "utf8"), REDIS_INSTALL, ".ci/run installs redis-server when it is missing");
        const testJobs: string[] = [];
        for (const file of files()) {
            for (const [name, job] of Object.entries(load(file).jobs)) {
                const first = job.steps.findIndex((s) => TEST_COMMAND.test(s.run ?? ""));
                if (first < 0) {
                    continue;
                }
                testJobs.push(`${file}:${name}`);
                const ciScript = /^\s*\.ci\/run\b/.test(job.steps[first].run!);
                const installed = job.steps.slice(0, first).some((s) => REDIS_INSTALL.test(s.run ?? ""));
                assert.ok(ciScript || installed, `${file} job ${name}: "${job.steps[first].run}" runs the tests without installing redis-server first`);
            }
        }
        assert.ok(testJobs.length > 0, "some job runs the tests");
    });

    // @pulumi/pulumi declares engines node >=22; the AWS SDK for JavaScript warns that its releases after
    // the first week of January 2027 need node >=22 (@aws-sdk/core, dist-cjs/submodules/client/index.js).
    it("every workflow sets up Node 22, the supported runtime", () => {
        let setups = 0;
        for (const file of files()) {
            for (const [name, job] of Object.entries(load(file).jobs)) {
                for (const step of job.steps.filter((s) => s.uses?.startsWith("actions/setup-node@"))) {
                    setups++;
                    assert.equal(String(step.with?.["node-version"]), "22", `${file} job ${name}: node-version ${step.with?.["node-version"]}`);
                }
            }
        }
        assert.ok(setups > 0, "the workflows set up Node");
    });

    for (const [file, command] of [["preview.yml", "preview"], ["deploy.yml", "up"], ["drift.yml", "preview"]] as const) {
        it(`${file}: runs pulumi ${command} for every stack with the policy pack and the stack's config file, which exist`, () => {
            const jobs = Object.values(load(file).jobs).filter((j) => pulumiSteps(j).length > 0);
            assert.ok(jobs.length > 0);
            for (const job of jobs) {
                const stacks = stacksOf(job);
                for (const stack of EXAMPLE_STACKS) {
                    assert.ok(stacks.includes(stack), `${file} runs for the example stack ${stack}: ${stacks.join(", ")}`);
                }
                stacks.forEach((stack) => assertStackExists(file, stack));
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

    it("deploy takes a snapshot first when engineVersion or nodeType change, and deploys staging before prod", () => {
        const job = load("deploy.yml").jobs.deploy;
        const names = job.steps.map((s) => s.id ?? s.name ?? s.uses ?? s.run);
        const detect = job.steps.findIndex((s) => s.id === "changes");
        const snapshot = job.steps.findIndex((s) => /npm run recovery -- snapshot --stack/.test(s.run ?? ""));
        const up = job.steps.findIndex((s) => s.with?.command === "up");
        assert.ok(detect >= 0 && detect < snapshot && snapshot < up, `detect, snapshot, up in order: ${names.join(" | ")}`);
        assert.equal(job.steps[snapshot].if, "steps.changes.outputs.engine_or_node_change == 'true'");
        assert.doesNotMatch(job.steps[snapshot].run!, /exit 1|\|\||; *true/, "nothing lets the step pass when the snapshot is not taken");
        assert.equal(job.strategy?.["max-parallel"], 1);
        assert.deepEqual(job.strategy?.matrix?.include?.map((m) => m.stack), ["staging", "prod"]);
    });

    it("deploy's snapshot command line is one the recovery CLI accepts, for every stack: a tag-safe reason, --yes, --json", () => {
        assert.ok(COMMANDS.some((c) => c.spec.name === SNAPSHOT_SPEC.name), "the CLI dispatches snapshot");
        const job = load("deploy.yml").jobs.deploy;
        const run = job.steps.find((s) => /npm run recovery -- snapshot/.test(s.run ?? ""))!.run!;
        for (const entry of job.strategy!.matrix!.include!) {
            // GitHub fills these in; a commit sha and a run id are what they hold.
            const line = expand(run, entry).replace("${{ github.sha }}", "0123456789abcdef0123456789abcdef01234567").replace("${{ github.run_id }}", "9876543210");
            assert.doesNotMatch(line, /\$\{\{/, "every expression is one this test knows");
            const words = [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]);
            assert.deepEqual(words.slice(0, 5), ["npm", "run", "recovery", "--", "snapshot"]);
            const { values } = parseFlags(SNAPSHOT_SPEC, words.slice(5));
            assert.equal(values.stack, entry.stack);
            assert.deepEqual([values.yes, values.json, values.dryRun], [true, true, false], "no prompt in CI, JSON for the log, a real snapshot");
            assert.equal(values.reason, "deploy 0123456789abcdef0123456789abcdef01234567: engine version or node type change");
            assert.equal(tagValueProblem(values.reason), undefined, "ElastiCache accepts the reason as a tag value");
            assert.equal(tagValueProblem(values.requestedBy!), undefined);
        }
    });

    for (const file of ["deploy.yml", "drift.yml"]) {
        it(`${file}: one operation per stack in the shared pulumi-<stack> group, never cancelled; the stack's environment and deploy role`, () => {
            for (const job of Object.values(load(file).jobs).filter((j) => pulumiSteps(j).length > 0)) {
                assert.equal(job.concurrency?.group, "pulumi-${{ matrix.stack }}");
                assert.equal(job.concurrency?.["cancel-in-progress"], false, "never cancel a running Pulumi operation");
                assert.equal(job.environment, "${{ matrix.stack }}", "the environment holds the deploy role and its protection rules");
                const aws = job.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
                assert.equal(aws.length, 1);
                assert.equal(aws[0].with?.["role-to-assume"], "${{ vars.AWS_ROLE_ARN }}");
            }
        });
    }

    it("preview.yml: its own concurrency group per pull request, no environment, a read-only preview role per stack", () => {
        const wf = load("preview.yml");
        const groups = [wf.concurrency, ...Object.values(wf.jobs).map((j) => j.concurrency)].filter((c): c is Concurrency => !!c);
        assert.ok(groups.length > 0, "previews are grouped");
        for (const c of groups) {
            assert.doesNotMatch(c.group, /^pulumi-/, `${c.group}: a preview must never queue in the deploy's group (it would cancel a pending deploy)`);
        }
        assert.match(wf.concurrency!.group, /\$\{\{ github\.event\.pull_request\.number \}\}/, "one group per pull request");
        assert.equal(wf.concurrency!["cancel-in-progress"], true, "a new push supersedes the previous preview");
        const job = wf.jobs.preview;
        assert.equal(job.environment, undefined, "no deployment environment: no approvals, and no access to the deploy role");
        const aws = job.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
        assert.equal(aws.length, 1);
        assert.equal(aws[0].with?.["role-to-assume"], "${{ vars[matrix.preview-role-variable] }}");
        const entries = job.strategy!.matrix!.include!;
        assert.deepEqual(EXAMPLE_STACKS.filter((stack) => !entries.some((m) => m.stack === stack)), [], "the example stacks are previewed");
        for (const m of entries) {
            // GitHub variable names hold only letters, digits and underscores (GitHub Docs, "Store
            // information in variables", naming conventions); a stack name may hold - and . too.
            assert.equal(m["preview-role-variable"], `AWS_PREVIEW_ROLE_ARN_${m.stack.toUpperCase().replace(/[^A-Z0-9]/g, "_")}`, `stack ${m.stack}`);
        }
    });

    for (const file of ["preview.yml", "deploy.yml", "drift.yml"]) {
        it(`${file}: least privilege, OIDC credentials, token from secrets`, () => {
            const wf = load(file);
            assert.deepEqual(wf.permissions, { contents: "read" }, "read-only by default");
            for (const job of Object.values(wf.jobs).filter((j) => pulumiSteps(j).length > 0)) {
                assert.equal(job.permissions?.["id-token"], "write", "OIDC");
                const aws = job.steps.filter((s) => s.uses?.startsWith("aws-actions/configure-aws-credentials@"));
                assert.equal(aws[0].with?.["aws-access-key-id"], undefined, "no long-lived keys");
                const tokens = [job.env?.PULUMI_ACCESS_TOKEN, ...job.steps.map((s) => s.env?.PULUMI_ACCESS_TOKEN)].filter(Boolean);
                assert.ok(tokens.length > 0, "PULUMI_ACCESS_TOKEN is provided");
                assert.ok(tokens.every((t) => t === "${{ secrets.PULUMI_ACCESS_TOKEN }}"));
            }
        });

        it(`${file}: the comment at the top documents the GitHub setup it needs: every variable, secret and environment`, () => {
            const header = headerComment(file);
            assert.match(header, /GitHub setup/);
            const text = fs.readFileSync(path.join(DIR, file), "utf8");
            const wf = load(file);
            const needed = new Set([...text.matchAll(/\$\{\{ (?:vars|secrets)\.(\w+) \}\}/g)].map((m) => m[1]));
            for (const job of Object.values(wf.jobs)) {
                for (const entry of job.strategy?.matrix?.include ?? []) {
                    if (entry["preview-role-variable"]) {
                        needed.add(entry["preview-role-variable"]);
                    }
                }
                if (job.environment) {
                    // The environment is the stack's name: the matrix's stacks, or a literal.
                    for (const stack of /\$\{\{/.test(job.environment) ? stacksOf(job) : [job.environment]) {
                        needed.add(stack);
                    }
                }
            }
            assert.ok(needed.size > 0);
            for (const name of needed) {
                assert.match(header, new RegExp(`\\b${name}\\b`), `${file} documents ${name}`);
            }
            assert.match(header, /Concurrency:/, "and why it is grouped the way it is");
        });

        it(`${file}: the comment at the top says how a new stack joins it: the matrix, and what the stack needs`, () => {
            const adding = /^# Adding a stack: [\s\S]*?(?=\n#\n)/m.exec(headerComment(file))?.[0] ?? "";
            assert.match(adding, /\bmatrix\b/, "where to list it");
            assert.match(adding, /policies\/config\/<stack>\.json/, "its policy-pack config");
            const needs = file === "preview.yml" ? /AWS_PREVIEW_ROLE_ARN_<STACK>/ : /environment (named )?<stack>/;
            assert.match(adding, needs, "its credentials");
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

    describe("deploy.yml: finding engine version and node type changes in `pulumi preview --json`", function () {
        this.timeout(120000);
        const detectStep = () => load("deploy.yml").jobs.deploy.steps.find((s) => s.id === "changes")!;
        const prod = { stack: "prod", region: "us-east-1" };
        let work: string;

        before(() => {
            // A checkout to run the step in: the repository's scripts and modules, and a `pulumi` that
            // prints a sample preview document instead of previewing.
            work = fs.mkdtempSync(path.join(os.tmpdir(), "deploy-step-"));
            fs.symlinkSync(path.join(PROJECT_DIR, ".github"), path.join(work, ".github"), "dir");
            fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(work, "node_modules"), "dir");
            fs.mkdirSync(path.join(work, "bin"));
            fs.writeFileSync(path.join(work, "bin", "pulumi"), "#!/bin/sh\ncat \"$PREVIEW_FIXTURE\"\n", { mode: 0o755 });
        });

        /** Runs the step's script as GitHub does (bash -e, pipefail) and returns its exit code and $GITHUB_OUTPUT. */
        async function runStep(fixture: string): Promise<{ code: number; output: string; stderr: string }> {
            const output = path.join(work, `output-${path.basename(fixture)}`);
            fs.writeFileSync(output, "");
            const script = expand(detectStep().run!, prod);
            try {
                const { stderr } = await promisify(execFile)("bash", ["--noprofile", "--norc", "-eo", "pipefail", "-c", script], {
                    cwd: work, env: { ...process.env, PATH: `${path.join(work, "bin")}:${process.env.PATH}`, PREVIEW_FIXTURE: fixture, GITHUB_OUTPUT: output },
                });
                return { code: 0, output: fs.readFileSync(output, "utf8"), stderr };
            } catch (e) {
                const err = e as { code: number; stderr: string };
                return { code: err.code, output: fs.readFileSync(output, "utf8"), stderr: err.stderr };
            }
        }

        it("the step's script outputs true for a replication group whose engine version changes, and names it", async () => {
            const { code, output, stderr } = await runStep(path.join(FIXTURES, "preview-engine-version-change.json"));
            assert.equal(code, 0, stderr);
            assert.equal(output, "engine_or_node_change=true\n");
            assert.match(stderr, /cache-us-east-1 \(aws:elasticache\/replicationGroup:ReplicationGroup, update\): engineVersion/);
        });

        it("the step's script outputs false when only other properties change", async () => {
            const { code, output } = await runStep(path.join(FIXTURES, "preview-no-engine-change.json"));
            assert.equal(code, 0);
            assert.equal(output, "engine_or_node_change=false\n");
        });

        it("the step fails, and the deployment with it, on a preview document it cannot read", async () => {
            const broken = path.join(work, "broken.json");
            fs.writeFileSync(broken, "error: [409] Conflict: Another update is currently in progress.\n");
            const { code, output, stderr } = await runStep(broken);
            assert.notEqual(code, 0);
            assert.equal(output, "", "no answer is written");
            assert.match(stderr, /cannot tell whether preview\.json changes an engine version or node type: Unexpected token/);
        });

        const step = (op: string, type: string, name: string, diff: { diffReasons?: string[]; replaceReasons?: string[]; detailedDiff?: Record<string, unknown> }) =>
            ({ op, urn: `urn:pulumi:prod::elasticache-global::elasticache-global:index:GlobalDatastore$${type}::${name}`, newState: { type }, ...diff });
        const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
        const GRG = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup";

        it("finds the datastore's node type or version change, from diffReasons, detailedDiff or replaceReasons", () => {
            assert.deepEqual(rollingChanges({ steps: [step("update", GRG, "cache-datastore", { detailedDiff: { cacheNodeType: { kind: "update", inputDiff: true } } })] }),
                [{ urn: step("update", GRG, "cache-datastore", {}).urn, type: GRG, op: "update", properties: ["cacheNodeType"] }]);
            assert.deepEqual(rollingChanges({ steps: [step("update", GRG, "d", { diffReasons: ["engineVersion", "cacheNodeType"] })] })[0].properties, ["engineVersion", "cacheNodeType"]);
            assert.deepEqual(rollingChanges({ steps: [step("create-replacement", RG, "g", { replaceReasons: ["nodeType"] }), step("replace", RG, "g", { replaceReasons: ["nodeType"] })] })
                .map((c) => [c.op, c.properties]), [["replace", ["nodeType"]]], "one entry per resource");
        });

        it("ignores new resources (no data yet), other properties, other types and an empty preview", () => {
            assert.deepEqual(rollingChanges({ steps: [
                step("create", RG, "new", { detailedDiff: { engineVersion: { kind: "add" } } }),
                step("update", RG, "g", { detailedDiff: { "nodeGroupConfigurations[0].replicaCount": { kind: "update" } }, diffReasons: ["nodeGroupConfigurations"] }),
                step("update", "aws:cloudwatch/metricAlarm:MetricAlarm", "a", { diffReasons: ["nodeType"] }),
                step("same", GRG, "d", {}),
            ] }), []);
            assert.deepEqual(rollingChanges({}), [], "no steps: nothing changes");
        });

        it("names what is wrong with a document that is not a preview, and the CLI exits 2", () => {
            assert.throws(() => rollingChanges([]), (e: Error) => e instanceof PreviewDocumentError && /expected the JSON object `pulumi preview --json` prints, got \[\]/.test(e.message));
            assert.throws(() => rollingChanges({ steps: {} }), /"steps" is \{\}: expected the list of preview steps/);
            assert.throws(() => rollingChanges({ steps: [{ op: "update" }] }), /a step without "urn" and "op"/);
            const errors: string[] = [];
            assert.equal(detectMain([], () => undefined, (l) => errors.push(l)), 2);
            assert.match(errors[0], /^usage: engine-or-node-change\.ts <file written by `pulumi preview --json`>/);
            assert.equal(detectMain([path.join(work, "missing.json")], () => undefined, (l) => errors.push(l)), 2);
            assert.match(errors[1], /cannot tell whether .*missing\.json changes an engine version or node type: ENOENT/);
        });
    });
});
