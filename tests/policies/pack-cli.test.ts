/**
 * The real policy pack started exactly as the Pulumi CLI starts it: unmodified run-policy-pack from the
 * pack directory, which type-checks the pack with ts-node on start (its own file, so that slow start
 * runs beside the other pack tests in parallel mode).
 */
import * as assert from "node:assert/strict";
import { DEFAULT_PACK_DIR, withPolicyPack } from "../../offline/policy/host";
import { runWith } from "../helpers/program";
import { PACK_POLICIES, configureFor, describeFindings, evaluate } from "./grpc-stack";

const PRIMARY = "cache-us-east-1";

describe("the policy pack started as the Pulumi CLI starts it", function () {
    // Unmodified run-policy-pack from the pack directory type-checks the pack with ts-node on start.
    this.timeout(300000);

    it("loads, serves every rule and evaluates a resource", async () => {
        await withPolicyPack(DEFAULT_PACK_DIR, { launcher: "cli", startTimeoutMs: 240000, callTimeoutMs: 60000 }, async (cli) => {
            const info = await cli.info();
            assert.equal(info.name, "elasticache-global");
            assert.deepEqual(info.policies.map((p) => p.name).sort(), [...PACK_POLICIES].sort());
            await configureFor(cli, "prod");
            const run = await runWith({ backupRetentionDays: 1 }, "prod", "prod");
            const findings = await evaluate(cli, "prod", run.resources);
            assert.ok(findings.some((f) => f.policyName === "elasticache-snapshot-retention" && f.resourceName === PRIMARY && f.level === "mandatory"),
                describeFindings(findings));
        });
    });
});
