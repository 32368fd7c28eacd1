/**
 * Test-only: small policy packs written to a temporary directory, to test the gRPC host and the plan's
 * policy handling independently of the real pack's rules. Each pack is a real pack: a package.json with
 * a version, PulumiPolicy.yaml, an index.ts that constructs a PolicyPack, and the project's
 * node_modules linked in so it resolves @pulumi/policy as the real one does.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../offline/run";

/** `configs`: policy pack config files to put beside the pack, by stack (`config/<stack>.json`). */
export function writePack(files: { indexTs: string; version?: string; yamlVersion?: string; configs?: Record<string, unknown> }): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-pack-"));
    fs.symlinkSync(path.join(PROJECT_DIR, "node_modules"), path.join(dir, "node_modules"), "dir");
    fs.writeFileSync(path.join(dir, "package.json"), JSON.stringify({ name: "throwaway-pack", version: files.version ?? "0.0.7" }));
    fs.writeFileSync(path.join(dir, "PulumiPolicy.yaml"),
        `runtime: nodejs\ndescription: test pack\n${files.yamlVersion ? `version: ${files.yamlVersion}\n` : ""}`);
    fs.writeFileSync(path.join(dir, "index.ts"), files.indexTs);
    for (const [stack, config] of Object.entries(files.configs ?? {})) {
        fs.mkdirSync(path.join(dir, "config"), { recursive: true });
        fs.writeFileSync(path.join(dir, "config", `${stack}.json`), JSON.stringify(config));
    }
    return dir;
}

export const REPLICATION_GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

/**
 * "throwaway" pack:
 * - retention (mandatory, option minimumDays default 7, 1..35): replication groups keep snapshots that long;
 *   reads snapshotRetentionLimit of the group, so an unknown one is the engine's "can't run" advisory.
 * - echo (advisory, resource): reports what it received: type, name, urn, options, provider, config, props.
 * - protected-groups (mandatory, stack): every replication group is protected; reports on the group's URN.
 * - stack-echo (advisory, stack): reports the resources it received with their parent, dependencies and
 *   property dependencies.
 * Echo policies only run on types named in their option `types` (default: none), so they stay quiet in plans.
 */
export const THROWAWAY_PACK = `
import { PolicyPack } from "@pulumi/policy";

new PolicyPack("throwaway", {
    policies: [
        {
            name: "retention",
            description: "Replication groups keep snapshots long enough.",
            enforcementLevel: "mandatory",
            configSchema: { properties: { minimumDays: { type: "integer", default: 7, minimum: 1, maximum: 35 } } },
            validateResource: (args, report) => {
                if (args.type !== "${REPLICATION_GROUP}") {
                    return;
                }
                const minimum = args.getConfig<{ minimumDays: number }>().minimumDays;
                const days = args.props.snapshotRetentionLimit;
                if (!(days >= minimum)) {
                    report("retention " + days + " < " + minimum);
                }
            },
        },
        {
            name: "echo",
            description: "Reports what it received.",
            enforcementLevel: "advisory",
            configSchema: { properties: { types: { type: "array", items: { type: "string" }, default: [] } } },
            validateResource: (args, report) => {
                if (!args.getConfig<{ types: string[] }>().types.includes(args.type)) {
                    return;
                }
                report(JSON.stringify({
                    type: args.type, name: args.name, urn: args.urn, opts: args.opts, config: args.getConfig(),
                    provider: args.provider ? { type: args.provider.type, name: args.provider.name, urn: args.provider.urn, props: args.provider.props } : null,
                    props: args.props,
                }));
            },
        },
        {
            name: "protected-groups",
            description: "Replication groups are protected.",
            enforcementLevel: "mandatory",
            validateStack: (args, report) => {
                for (const r of args.resources) {
                    if (r.type === "${REPLICATION_GROUP}" && !r.opts.protect) {
                        report("not protected: " + r.name, r.urn);
                    }
                }
            },
        },
        {
            name: "stack-echo",
            description: "Reports the resources it received.",
            enforcementLevel: "advisory",
            configSchema: { properties: { enabled: { type: "boolean", default: false } } },
            validateStack: (args, report) => {
                if (!args.getConfig<{ enabled: boolean }>().enabled) {
                    return;
                }
                report(JSON.stringify(args.resources.map((r) => ({
                    urn: r.urn, parent: r.parent?.urn ?? null, dependencies: r.dependencies.map((d) => d.urn), props: r.props,
                    propertyDependencies: Object.fromEntries(Object.entries(r.propertyDependencies).map(([k, v]) => [k, v.map((d) => d.urn)])),
                }))));
            },
        },
    ],
});
`;

export function writeThrowawayPack(options: { version?: string; yamlVersion?: string; configs?: Record<string, unknown> } = {}): string {
    return writePack({ indexTs: THROWAWAY_PACK, ...options });
}

export function writeConfigFile(content: unknown): string {
    const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "policy-config-")), "config.json");
    fs.writeFileSync(file, typeof content === "string" ? content : JSON.stringify(content));
    return file;
}
