/** The example policy-pack configs (policies/config/*.json), read and resolved as the Pulumi CLI does. */
import * as fs from "fs";
import * as path from "path";
import { EnforcementLevel, Policy } from "@pulumi/policy";

export type PackConfig = Record<string, EnforcementLevel | ({ enforcementLevel?: EnforcementLevel } & Record<string, unknown>)>;

const CONFIG_DIR = path.resolve(__dirname, "../../policies/config");

export function loadPackConfig(stack: string): PackConfig {
    return JSON.parse(fs.readFileSync(path.join(CONFIG_DIR, `${stack}.json`), "utf8")) as PackConfig;
}

/** The level and options of one policy under a pack config, resolved as the CLI does ("all", then the policy's own entry). */
export function levelAndOptions(policy: Policy, config: PackConfig): { level: EnforcementLevel; options: Record<string, unknown> } {
    const all = config.all;
    const own = config[policy.name];
    let level = policy.enforcementLevel ?? "advisory";
    let options: Record<string, unknown> = {};
    if (typeof all === "string") {
        level = all;
    }
    if (typeof own === "string") {
        level = own;
    } else if (own) {
        const { enforcementLevel, ...rest } = own;
        level = enforcementLevel ?? level;
        options = rest;
    }
    return { level, options };
}
