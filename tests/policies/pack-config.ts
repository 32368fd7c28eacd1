/**
 * Test-only: the example policy-pack configs (policies/config/*.json) resolved by the offline
 * harness's own reader (offline/policy/config.ts), the one `npm run plan` and the gRPC tests use, so
 * these tests and the plan agree on what a config means. The pack's metadata comes from the policy
 * objects instead of a running pack: constructing the PolicyPack would start its server.
 */
import * as fs from "fs";
import * as path from "path";
import { PackInfo, PolicyPackConfig, loadPolicyPackConfigFile, reconcilePolicyPackConfig, stackConfigFile } from "../../offline/policy/config";
import { JsonSchema } from "../../offline/policy/schema";
import { PACK_ENFORCEMENT_LEVEL } from "../../policies/lib/levels";
import { ALL_POLICIES, PACK_NAME } from "../../policies/rules";

const PACK_DIR = path.resolve(__dirname, "../../policies");

/** What the pack answers to GetAnalyzerInfo, from the same policy list index.ts hands to PolicyPack. */
export function packInfo(): PackInfo {
    const { version } = JSON.parse(fs.readFileSync(path.join(PACK_DIR, "package.json"), "utf8")) as { version: string };
    return {
        name: PACK_NAME,
        version,
        policies: ALL_POLICIES.map((p) => ({
            name: p.name,
            description: p.description,
            enforcementLevel: p.enforcementLevel ?? PACK_ENFORCEMENT_LEVEL,
            kind: "validateStack" in p ? "stack" : "resource",
            configSchema: {
                properties: (p.configSchema?.properties ?? {}) as Record<string, JsonSchema>,
                required: p.configSchema?.required ?? [],
            },
        })),
        // index.ts passes no initial config to the PolicyPack.
        initialConfig: {},
    };
}

/** policies/config/<stack>.json resolved as the CLI would: every policy with its level and options. */
export function resolvedPackConfig(stack: string): PolicyPackConfig {
    const file = stackConfigFile(PACK_DIR, stack);
    return reconcilePolicyPackConfig(packInfo(), loadPolicyPackConfigFile(file), file);
}
