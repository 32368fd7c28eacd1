/**
 * `npm run plan` with a policy pack: the pack's report after the plan, the config file it runs with,
 * and the exit codes it decides. The plan's own output is in plan.test.ts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { PROJECT_DIR } from "../../offline/run";
import { sharePolicyPackProcesses } from "../helpers/shared-pack";
import { capture, escape, tempStackDir } from "./plan-capture";
import { REPLICATION_GROUP, writeConfigFile, writeThrowawayPack } from "./throwaway-pack";

describe("offline plan (npm run plan)", function () {
    // One pack process per pack directory and stack for the plans below.
    sharePolicyPackProcesses();

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
