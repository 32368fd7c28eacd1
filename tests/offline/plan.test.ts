import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { PROJECT_DIR, StackFileSyntaxError, listStacks, loadStackFile } from "../../offline/run";
import { EXAMPLE_STACKS, stackFileProblem } from "../helpers/stacks";
import { sharePolicyPackProcesses } from "../helpers/shared-pack";
import { capture, escape, tempStackDir } from "./plan-capture";

const run = promisify(execFile);
/** `npm run plan -- ...` as its own process: node with the project's TypeScript hook, as the script runs it, without npm's start-up. */
const PLAN_PROCESS = [process.execPath, ["-r", "./scripts/transpile.js", "offline/plan.ts"]] as const;

describe("offline plan (npm run plan)", function () {
    // A plan runs the program and, the first time for a pack and stack, starts the pack: seconds, many more on a busy machine.
    this.timeout(60_000);
    // One pack process per pack directory and stack for the runs of main() below (the spawned plans start their own).
    sharePolicyPackProcesses();

    it("knows the example stacks of the repository, each pinning foundingRegion", () => {
        // A user's own stack files may sit beside them: the examples are named, not counted.
        const stacks = listStacks();
        for (const stack of EXAMPLE_STACKS) {
            assert.ok(stacks.includes(stack), `Pulumi.${stack}.yaml is among the stack files: ${stacks.join(", ")}`);
            const file = loadStackFile(stack);
            assert.equal(file.config["elasticache-global:primaryRegion"], file.config["elasticache-global:foundingRegion"],
                `${stack} pins foundingRegion explicitly`);
        }
    });

    it("lists exactly the Pulumi.<stack>.yaml files of a directory, sorted, and not the project file", () => {
        const dir = tempStackDir("green", "config: {}\n");
        for (const file of ["Pulumi.yaml", "Pulumi.blue.yaml", "Pulumi.blue.yaml.bak", "notes.yaml"]) {
            fs.writeFileSync(path.join(dir, file), "config: {}\n");
        }
        assert.deepEqual(listStacks(dir), ["blue", "green"]);
    });

    // Holds for any stack file a user adds: it says which file is invalid and why, instead of failing
    // tests about the examples.
    it("every stack file in the repository, a user's own included, is a valid stack configuration", () => {
        const invalid = listStacks().flatMap((stack) => {
            const problem = stackFileProblem(stack);
            return problem === undefined ? [] : [`Pulumi.${stack}.yaml: ${problem}`];
        });
        assert.deepEqual(invalid, []);
    });

    it("plans the prod stack as a real process: regions, roles, protected stateful resources, outputs", async function () {
        this.timeout(60000);
        const { stdout } = await run(PLAN_PROCESS[0], [...PLAN_PROCESS[1], "--stack", "prod"], { cwd: PROJECT_DIR });
        assert.match(stdout, /^Region us-east-1 \(primary, founding member\)$/m);
        assert.match(stdout, /^Region us-west-2 \(secondary\)$/m);
        assert.match(stdout, /^Region eu-west-1 \(secondary\)$/m);
        assert.match(stdout, /elasticache:ReplicationGroup\s+cache-us-east-1 \[protected\]\n\s+valkey 8\.0, cache\.r7g\.xlarge, cluster mode enabled, 3 shards/);
        assert.match(stdout, /elasticache:GlobalReplicationGroup\s+cache-datastore \[protected\]/);
        assert.match(stdout, /^Outputs$/m);
        assert.match(stdout, /writerParameterName: "\/elasticache-global\/prod\/writer"/);
        assert.doesNotMatch(stdout, /offline-placeholder/, "secrets never printed, placeholders included");
        assert.match(stdout, /note: elasticache-global:userPasswords is not set/);
        assert.match(stdout, /\n\nPolicies:\n    elasticache-global@v\d+\.\d+\.\d+ \(config: policies\/config\/prod\.json, the stack's file beside the pack\)\n        no violations\n$/,
            "the real pack with the stack's config, after the outputs");
    });

    it("writes the whole --json report to a pipe before exiting", async function () {
        this.timeout(60000);
        // The prod report is over 64 KiB, more than one pipe buffer: an early exit would cut it.
        const { stdout } = await run(PLAN_PROCESS[0], [...PLAN_PROCESS[1], "--stack", "prod", "--json"],
            { cwd: PROJECT_DIR, maxBuffer: 16 * 1024 * 1024 });
        assert.ok(stdout.length > 64 * 1024, `report is ${stdout.length} bytes`);
        const report = JSON.parse(stdout);
        assert.equal(report.counts.resources, report.resources.length);
    });

    it("plans staging and prints JSON with --json", async () => {
        const { code, out } = await capture(["--stack", "staging", "--json"]);
        assert.equal(code, 0);
        const report = JSON.parse(out);
        assert.deepEqual(Object.keys(report.regions).sort(), ["eu-central-1", "eu-west-1"]);
        assert.equal(report.outputs.primaryRegion, "eu-central-1");
        const groups = report.resources.filter((r: any) => r.type === "aws:elasticache/replicationGroup:ReplicationGroup");
        assert.equal(groups.length, 2);
        assert.ok(groups.every((g: any) => g.protect));
        const users = report.resources.filter((r: any) => r.type === "aws:elasticache/user:User" && r.properties.userName === "app");
        assert.ok(users.length > 0 && users.every((u: any) => u.properties.authenticationMode === "[secret]"));
        assert.equal(report.file, "Pulumi.staging.yaml", "paths are relative to the project");
        assert.equal(report.policies.config.file, "policies/config/staging.json");
        assert.ok(!out.includes(PROJECT_DIR), "the report carries no absolute path of this machine");
    });

    it("exits 1 with one message per problem on invalid config, and plans nothing", async () => {
        const dir = tempStackDir("broken", [
            "config:",
            "  elasticache-global:primaryRegion: us-east-1",
            "  elasticache-global:secondaryRegions: [us-east-1, us-west-2, eu-west-1]",
            "  elasticache-global:shards: 0",
            "  elasticache-global:nodeType: cache.t4g.medium",
        ].join("\n"));
        const { code, out, err } = await capture(["--stack", "broken"], dir);
        assert.equal(code, 1);
        assert.equal(out, "");
        assert.match(err, /Invalid stack configuration \(4 problems\)/);
        assert.match(err, /elasticache-global:secondaryRegions is \["us-east-1","us-west-2","eu-west-1"\]: it lists 3 regions/);
        assert.match(err, /elasticache-global:secondaryRegions\[0\] is "us-east-1": it is the primary region/);
        assert.match(err, /elasticache-global:shards is 0/);
        assert.match(err, /elasticache-global:nodeType is "cache.t4g.medium"/);
    });

    it("--help lists every flag with what it does, and the exit codes", async () => {
        const { code, out } = await capture(["--help"]);
        assert.equal(code, 0);
        for (const flag of ["--stack <name>", "--json", "--first-preview", "--policy-pack <dir>", "--policy-pack-config <file>", "--no-policy-pack-config"]) {
            assert.match(out, new RegExp(`^  ${escape(flag)}\\s+\\S`, "m"), `${flag} is described`);
        }
        assert.match(out, /default: <pack>\/config\/<stack>\.json when it exists/);
        assert.match(out, /Exit codes: 0 .* 1 .* 2 /);
    });

    it("exits 2 naming the known stacks for an unknown stack or a missing --stack", async () => {
        // A directory of its own: the list is whatever stack files a project holds, a user's own included.
        const dir = tempStackDir("green", "config: {}\n");
        fs.writeFileSync(path.join(dir, "Pulumi.blue.yaml"), "config: {}\n");
        const unknown = await capture(["--stack", "qa"], dir);
        assert.equal(unknown.code, 2);
        assert.equal(unknown.err, 'unknown stack "qa": there is no Pulumi.qa.yaml. Stacks in this project: blue, green.');
        const missing = await capture([], dir);
        assert.equal(missing.code, 2);
        assert.match(missing.err, /--stack is required\. Stacks in this project: blue, green\./);
        const bad = await capture(["--stak", "prod"]);
        assert.equal(bad.code, 2);
        assert.match(bad.err, /usage: npm run plan -- --stack <name>/);
    });

    it("a stack file that is not valid YAML is an invalid configuration: the message names the file and the line, exit 1", async () => {
        const dir = tempStackDir("broken", [
            "config:",
            "  elasticache-global:primaryRegion: us-east-1",
            "  elasticache-global:secondaryRegions: [us-west-2",
            "  elasticache-global:shards: 3",
        ].join("\n"));
        const file = path.join(dir, "Pulumi.broken.yaml");
        assert.throws(() => loadStackFile("broken", dir), (e: unknown) => e instanceof StackFileSyntaxError && e.file === file && e.line === 4);
        const { code, err } = await capture(["--stack", "broken"], dir);
        assert.equal(code, 1);
        assert.equal(err.split("\n").length, 1, err);
        assert.ok(err.startsWith(`${file} is not valid YAML: line 4, column 3: Flow sequence in block collection must be sufficiently indented and end with a ]. `), err);
    });

    it("replaces encrypted values with placeholders and says so", () => {
        const dir = tempStackDir("enc", [
            "config:",
            "  elasticache-global:primaryRegion: us-east-1",
            "  elasticache-global:secondaryRegions: [us-west-2]",
            "  elasticache-global:userPasswords:",
            "    secure: v1:abc:def",
        ].join("\n"));
        const file = loadStackFile("enc", dir);
        assert.ok(file.secretKeys.includes("elasticache-global:userPasswords"));
        assert.match(file.notices[0], /elasticache-global:userPasswords is encrypted in Pulumi\.enc\.yaml; the offline plan uses placeholders/);
    });

    it("plans a stack whose passwords were set with `pulumi config set --secret --path`", async () => {
        const dir = tempStackDir("pathsecret", [
            "config:",
            "  elasticache-global:primaryRegion: us-east-1",
            "  elasticache-global:foundingRegion: us-east-1",
            "  elasticache-global:secondaryRegions: [us-west-2]",
            "  elasticache-global:userPasswords:",
            "    app:",
            "      secure: v1:bm9uY2U=:Y2lwaGVydGV4dA==",
        ].join("\n"));
        const file = loadStackFile("pathsecret", dir);
        assert.deepEqual(JSON.parse(file.config["elasticache-global:userPasswords"]), {
            app: "offline-placeholder-for-elasticache-global:userPasswords.app",
        });
        const { code, out, err } = await capture(["--stack", "pathsecret"], dir);
        assert.equal(err, "");
        assert.equal(code, 0);
        assert.doesNotMatch(out, /v1:bm9uY2U|offline-placeholder/);
    });
});
