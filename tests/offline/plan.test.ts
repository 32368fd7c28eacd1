import * as assert from "node:assert/strict";
import { execFile } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { main } from "../../offline/plan";
import { PROJECT_DIR, StackFileSyntaxError, listStacks, loadStackFile } from "../../offline/run";
import { EXAMPLE_STACKS, stackFileProblem } from "../helpers/stacks";
import { sharePolicyPackProcesses } from "../helpers/shared-pack";
import { REPLICATION_GROUP, writeConfigFile, writeThrowawayPack } from "./throwaway-pack";

const run = promisify(execFile);
/** `npm run plan -- ...` as its own process: node with ts-node's transpile-only hook, as the script runs it, without npm's start-up. */
const PLAN_PROCESS = [process.execPath, ["-r", "ts-node/register/transpile-only", "offline/plan.ts"]] as const;

/** `text` as a literal inside a RegExp. */
function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

/** Captures what main() prints. */
async function capture(argv: string[], dir?: string): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const log = console.log;
    const error = console.error;
    console.log = (...a: unknown[]) => out.push(a.join(" "));
    console.error = (...a: unknown[]) => err.push(a.join(" "));
    try {
        const code = await main(argv, dir);
        return { code, out: out.join("\n"), err: err.join("\n") };
    } finally {
        console.log = log;
        console.error = error;
    }
}

function tempStackDir(stack: string, yaml: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "plan-test-"));
    fs.writeFileSync(path.join(dir, `Pulumi.${stack}.yaml`), yaml);
    return dir;
}

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

    describe("policy pack evaluation", function () {
        this.timeout(60000);
        // A throwaway pack with one mandatory rule (retention >= minimumDays, default 7), so these tests
        // do not depend on the real pack's rules; tests/policies/pack.test.ts covers those.
        let pack: string;
        let shortRetention: string;
        before(() => {
            pack = writeThrowawayPack();
            const prod = fs.readFileSync(path.join(PROJECT_DIR, "Pulumi.prod.yaml"), "utf8");
            assert.match(prod, /backupRetentionDays: 14/);
            shortRetention = tempStackDir("short", prod.replace("backupRetentionDays: 14", "backupRetentionDays: 3"));
        });

        it("prints the pack and \"no violations\" after the resources when the stack complies", async () => {
            const { code, out, err } = await capture(["--stack", "staging", "--policy-pack", pack]);
            assert.equal(err, "");
            assert.equal(code, 0);
            assert.match(out, new RegExp("components\\.\\n\\nPolicies:\\n    throwaway@v0\\.0\\.7 \\(no config file: " +
                `${escape(path.join(pack, "config", "staging.json"))} does not exist; each policy's own level and defaults\\)\\n        no violations$`));
        });

        it("exits 1 on a mandatory violation and names level, policy, resource and message", async () => {
            const { code, out } = await capture(["--stack", "short", "--policy-pack", pack], shortRetention);
            assert.equal(code, 1);
            for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
                assert.match(out, new RegExp(`- \\[mandatory\\]  retention  \\(aws:elasticache/replicationGroup:ReplicationGroup: cache-${region}\\)\\n` +
                    "          Replication groups keep snapshots long enough\\.\\n          retention 3 < 7"));
            }
            assert.match(out, /3 violations, 3 mandatory: pulumi preview would fail/);
        });

        it("exits 0 when --policy-pack-config lowers the rule to advisory, and reports it as advisory", async () => {
            const config = writeConfigFile({ retention: "advisory" });
            const { code, out } = await capture(["--stack", "short", "--policy-pack", pack, "--policy-pack-config", config], shortRetention);
            assert.equal(code, 0);
            assert.match(out, new RegExp(`throwaway@v0\\.0\\.7 \\(config: ${escape(config)}, from --policy-pack-config\\)`));
            assert.match(out, /- \[advisory\]  retention  \(aws:elasticache\/replicationGroup:ReplicationGroup: cache-us-east-1\)/);
            assert.match(out, /3 violations, 0 mandatory$/);
        });

        it("passes options from the config file: a stricter minimum fails a compliant stack", async () => {
            const config = writeConfigFile({ retention: { minimumDays: 30 } });
            const { code, out } = await capture(["--stack", "prod", "--policy-pack", pack, "--policy-pack-config", config, "--json"]);
            assert.equal(code, 1);
            const report = JSON.parse(out);
            assert.deepEqual(report.policies.pack, { name: "throwaway", version: "0.0.7" });
            assert.equal(report.policies.failed, true);
            assert.deepEqual(report.policies.violations.map((v: any) => [v.policyName, v.level, v.resourceName, v.message.split("\n")[1]]).sort(), [
                ["retention", "mandatory", "cache-eu-west-1", "retention 14 < 30"],
                ["retention", "mandatory", "cache-us-east-1", "retention 14 < 30"],
                ["retention", "mandatory", "cache-us-west-2", "retention 14 < 30"],
            ]);
        });

        it("exits 2 with a clear message for a config file that is unreadable, malformed or outside the schema", async () => {
            const missing = await capture(["--stack", "prod", "--policy-pack", pack, "--policy-pack-config", "no/such.json"]);
            assert.equal(missing.code, 2);
            assert.match(missing.err, /cannot read policy pack config no\/such\.json: ENOENT/);

            const badLevel = writeConfigFile({ retention: "block" });
            const level = await capture(["--stack", "prod", "--policy-pack", pack, "--policy-pack-config", badLevel]);
            assert.equal(level.code, 2);
            assert.equal(level.out, "", "nothing planned");
            assert.match(level.err, /"retention" enforcement level is "block": use one of "advisory", "mandatory", "remediate", "disabled"/);

            const badOption = writeConfigFile({ retention: { minimumDays: 0 }, retentoin: "advisory" });
            const option = await capture(["--stack", "prod", "--policy-pack", pack, "--policy-pack-config", badOption]);
            assert.equal(option.code, 2);
            assert.equal(option.out, "");
            assert.match(option.err, /does not fit policy pack throwaway@0\.0\.7 \(2 problems\)/);
            assert.match(option.err, /policy "retention" option "minimumDays" is 0: it must be at least 1/);
            assert.match(option.err, /"retentoin" is not a policy of throwaway@0\.0\.7/);
        });

        it("uses the stack's config file beside the pack unless a flag says otherwise, and says which", async () => {
            const withConfig = writeThrowawayPack({ configs: { short: { retention: "advisory" } } });
            const byDefault = await capture(["--stack", "short", "--policy-pack", withConfig], shortRetention);
            assert.equal(byDefault.code, 0, "config/short.json lowers the rule to advisory");
            assert.match(byDefault.out, new RegExp(`throwaway@v0\\.0\\.7 \\(config: ${escape(path.join(withConfig, "config", "short.json"))}, the stack's file beside the pack\\)`));
            assert.match(byDefault.out, /3 violations, 0 mandatory$/);

            const off = await capture(["--stack", "short", "--policy-pack", withConfig, "--no-policy-pack-config"], shortRetention);
            assert.equal(off.code, 1, "without a config file the rule is mandatory again");
            assert.match(off.out, /\(no config file, as --no-policy-pack-config asks; each policy's own level and defaults\)/);

            const stricter = writeConfigFile({ retention: { minimumDays: 1 } });
            const flag = await capture(["--stack", "short", "--policy-pack", withConfig, "--policy-pack-config", stricter, "--json"], shortRetention);
            assert.equal(flag.code, 0, "the flag replaces the stack's file: minimum 1 day, 3 days comply");
            assert.deepEqual(JSON.parse(flag.out).policies.config, { source: "flag", file: stricter });
        });

        it("exits 2 when --policy-pack-config and --no-policy-pack-config are both given", async () => {
            const { code, out, err } = await capture(["--stack", "prod", "--policy-pack", pack, "--policy-pack-config", "a.json", "--no-policy-pack-config"]);
            assert.equal(code, 2);
            assert.equal(out, "");
            assert.equal(err, "--policy-pack-config a.json and --no-policy-pack-config contradict each other: give one of them");
        });

        it("--first-preview: the pack gets unknowns where AWS has not computed anything yet, and still checks literals", async () => {
            const echoing = writeConfigFile({ echo: { types: [REPLICATION_GROUP] } });
            const preview = await capture(["--stack", "short", "--first-preview", "--json", "--policy-pack", pack, "--policy-pack-config", echoing], shortRetention);
            assert.equal(preview.code, 1, "the short retention is a literal: known, so still a mandatory violation");
            const report = JSON.parse(preview.out);
            assert.ok(report.notices.some((n: string) => /^first preview of a new stack: .* are \[unknown\]/.test(n)));
            const echoes = report.policies.violations.filter((v: any) => v.policyName === "echo");
            assert.equal(echoes.length, 3, "one per replication group");
            for (const echo of echoes) {
                assert.equal(echo.level, "advisory");
                assert.match(echo.message, /can't run policy 'echo' from policy pack 'throwaway@v0\.0\.7' during preview/);
            }
            assert.deepEqual(report.policies.violations.filter((v: any) => v.policyName === "retention").map((v: any) => v.level), ["mandatory", "mandatory", "mandatory"]);
            const secondary = report.resources.find((r: any) => r.name === "cache-us-west-2");
            assert.equal(secondary.properties.globalReplicationGroupId, "[unknown]");
            assert.equal(secondary.properties.snapshotRetentionLimit, 3);
            assert.equal(report.outputs.globalDatastoreId, "[unknown]");

            const known = await capture(["--stack", "short", "--json", "--policy-pack", pack, "--policy-pack-config", echoing], shortRetention);
            const seen = JSON.parse(known.out).policies.violations.filter((v: any) => v.policyName === "echo").map((v: any) => JSON.parse(v.message.split("\n")[1]));
            assert.equal(seen.length, 3);
            assert.ok(seen.every((s: any) => typeof s.props.kmsKeyId === "string" && s.props.kmsKeyId.startsWith("arn:aws:kms:")), "without --first-preview every value is known");
        });

        it("exits 1 naming the pack directory when the pack cannot start", async () => {
            const { code, err } = await capture(["--stack", "prod", "--policy-pack", path.join(pack, "missing")]);
            assert.equal(code, 1);
            assert.equal(err, `no policy pack in ${path.join(pack, "missing")} (the CLI needs its PulumiPolicy.yaml)`);
        });
    });
});
