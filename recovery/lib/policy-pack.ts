/**
 * The policy pack recovery runs with every preview and up of the deployment stack: the same pack and
 * config file CI passes to `pulumi preview` and `pulumi up` (`--policy-pack policies --policy-pack-config
 * policies/config/<stack>.json`), so a recovery cannot deploy what a pull request could not.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { PolicyPackRun } from "./stack-driver";

/** The project's pack directory, beside Pulumi.yaml. */
export const POLICY_PACK_DIR = "policies";

/**
 * The pack and the stack's config file beside it (`policies/config/<stack>.json`) when that file
 * exists; without one, each policy runs at its own level with its defaults, as `pulumi preview
 * --policy-pack policies` alone would.
 */
export function stackPolicyPack(projectDir: string, stack: string): PolicyPackRun {
    const packDir = path.join(projectDir, POLICY_PACK_DIR);
    const lookedFor = path.join(packDir, "config", `${stack}.json`);
    return { packDir, lookedFor, ...(fs.existsSync(lookedFor) ? { configFile: lookedFor } : {}) };
}

/** Which pack and which config file, for the run's output and report; paths relative to the project (the pack's parent). */
export function describePolicyPack(run: PolicyPackRun | undefined): string {
    if (!run) {
        return "no policy pack (this stack driver runs none)";
    }
    const project = path.dirname(run.packDir);
    const shown = (file: string) => (path.relative(project, file).startsWith("..") ? file : path.relative(project, file) || ".");
    return run.configFile
        ? `policy pack ${shown(run.packDir)} with ${shown(run.configFile)}`
        : `policy pack ${shown(run.packDir)} without a config file (${shown(run.lookedFor)} does not exist: each policy at its own level and defaults)`;
}
