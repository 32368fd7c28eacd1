/**
 * Test-only: the project's real policy pack as the fake stack driver's judge. The pack runs as its own
 * process and is driven over the Analyzer gRPC protocol the Pulumi engine uses (offline/policy/), with
 * the config file the real driver passes for the stack; its verdicts come back as the Automation API's
 * policy events would (PolicyEvent: "warning" for advisory, "mandatory" otherwise).
 *
 * Starting the pack takes seconds, so a test file asks for one in `before` and closes it in `after`;
 * the process is the test process's shared one (tests/helpers/shared-pack.ts), and close() leaves it.
 */
import { PROJECT } from "../../../offline/run";
import { evaluateOn } from "../../../offline/policy/evaluate";
import { DEFAULT_PACK_DIR, PolicyPackProcess } from "../../../offline/policy/host";
import { sharedPolicyPack } from "../../helpers/shared-pack";
import { PolicyViolation } from "../../../recovery/lib/stack-driver";
import { FakePolicyEvaluator } from "./stack-driver";

export class RealPolicyPack implements FakePolicyEvaluator {
    private constructor(private readonly pack: PolicyPackProcess) {}

    /** Starts the pack for `stack` (the stack facts the engine gives it with ConfigureStack). */
    static async start(stack = "prod"): Promise<RealPolicyPack> {
        return new RealPolicyPack(await sharedPolicyPack(DEFAULT_PACK_DIR, { stack: { stack, project: PROJECT, dryRun: true } }));
    }

    /** How many times the pack judged a preview or up. */
    evaluations = 0;

    async evaluate(request: Parameters<FakePolicyEvaluator["evaluate"]>[0]): Promise<PolicyViolation[]> {
        if (request.run.packDir !== DEFAULT_PACK_DIR) {
            throw new Error(`RealPolicyPack runs ${DEFAULT_PACK_DIR}, not ${request.run.packDir}`);
        }
        this.evaluations += 1;
        const report = await evaluateOn(this.pack, [...request.resources], {
            stack: request.stack, project: PROJECT,
            config: request.run.configFile ? { source: "stack", file: request.run.configFile } : { source: "none", looked: request.run.lookedFor },
            provider: { region: request.providerRegion },
        });
        // Remediate is reported as mandatory (the pack cannot fix, see policies/README.md); disabled policies report nothing.
        return report.violations.filter((v) => v.level !== "disabled").map((v) => ({
            policyName: v.policyName,
            policyPack: `${v.packName}@${v.packVersion}`,
            level: v.level === "advisory" ? "advisory" : "mandatory",
            ...(v.urn ? { urn: v.urn } : {}),
            message: v.message,
        }));
    }

    async close(): Promise<void> {
        await this.pack.close();
    }
}
