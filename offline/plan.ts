/**
 * `npm run plan -- --stack <name> [flags]` (FLAGS below, or --help): runs the real program offline on
 * Pulumi.<name>.yaml, prints what it would declare, grouped by region, then the stack outputs, then
 * what the policy pack (policies/ unless --policy-pack) says about it, with the stack's config file
 * beside the pack, as `pulumi preview --policy-pack` would. No AWS account, no Pulumi CLI.
 * With --compliance it prints the compliance matrix instead (offline/policy/compliance.ts).
 * Exit codes: 0 planned with no mandatory violation (or a matrix printed), 1 invalid stack configuration
 * or a mandatory violation (or a policy pack that fails), 2 usage error, unknown stack or unusable
 * policy pack config.
 */
import * as path from "path";
import { parseArgs } from "util";
import * as pulumi from "@pulumi/pulumi";
import {
    PROJECT, PROJECT_DIR, ProgramRun, RecordedResource, StackFile, StackFileSyntaxError, StackNotFoundError, listStacks, loadStackFile, runProgram,
} from "./run";
import { describe, redacted, shortType, typeRank } from "./describe";
import { shardAlarmKind } from "../components/naming";
import { PolicyConfigError, choosePolicyPackConfig, loadPolicyPackConfigFile } from "./policy/config";
import { DEFAULT_PACK_DIR, PolicyPackError, PolicyPackProcess } from "./policy/host";
import { EvaluateOptions, PolicyReport, evaluateOn, formatPolicyReport, startOptions } from "./policy/evaluate";
import { replaceUnknowns } from "./policy/wire";
import { ProfileName, complianceOn, formatCompliance, formatComplianceMarkdown, parseComplianceChoice } from "./policy/compliance";

/** Every flag, once: parseArgs reads the types, --help prints the rest. */
const FLAGS = {
    stack: { type: "string", value: "<name>", help: "the stack to plan: Pulumi.<name>.yaml (required)" },
    json: { type: "boolean", help: "print the report as JSON instead of text" },
    "first-preview": {
        type: "boolean",
        help: "plan as the first `pulumi preview` of a stack never deployed: ids, ARNs, endpoints and every other value AWS " +
            "computes are unknown, in the report and for the policy pack, as the engine sends them then",
    },
    "policy-pack": { type: "string", value: "<dir>", help: "the policy pack to run (default: policies/)" },
    "policy-pack-config": {
        type: "string", value: "<file>",
        help: "the policy pack config file, as the Pulumi CLI reads it (default: <pack>/config/<stack>.json when it exists, " +
            "e.g. policies/config/prod.json)",
    },
    "no-policy-pack-config": { type: "boolean", help: "use no config file: each policy's own level and option defaults" },
    compliance: {
        type: "string", value: "<security-hub|aws-config|checkov|trivy|all>",
        help: "instead of the plan, print the compliance matrix: each control of that scanner (or of all four) pass, fail (with " +
            "the resources), not applicable or could not verify, judged by the pack under policies/config/profiles/<name>.json",
    },
    markdown: { type: "boolean", help: "with --compliance, print the matrix as Markdown (for a pull request comment)" },
    help: { type: "boolean", help: "print this help" },
} as const;

type FlagName = keyof typeof FLAGS;
type FlagValues = { [K in FlagName]?: (typeof FLAGS)[K]["type"] extends "string" ? string : boolean };

const USAGE = `usage: npm run plan -- --stack <name> ${Object.entries(FLAGS)
    .filter(([name]) => name !== "stack" && name !== "help")
    .map(([name, f]) => `[--${name}${"value" in f ? ` ${f.value}` : ""}]`).join(" ")}`;

function helpText(): string {
    const rows = Object.entries(FLAGS).map(([name, f]) => [`--${name}${"value" in f ? ` ${f.value}` : ""}`, f.help]);
    const width = Math.max(...rows.map(([flag]) => flag.length));
    return [USAGE, "", ...rows.map(([flag, help]) => `  ${flag.padEnd(width)}  ${help}`), "",
        "Exit codes: 0 no mandatory violation, 1 invalid stack configuration or a mandatory violation, 2 bad flags, " +
        "an unknown stack or an unusable policy pack config."].join("\n");
}

/** Shown where a first preview has no value yet, as `pulumi preview` shows "output<T>". */
export const UNKNOWN_SHOWN = "[unknown]";

function showUnknowns(value: unknown): unknown {
    return replaceUnknowns(value, UNKNOWN_SHOWN);
}

/**
 * The run as the report shows it, with UNKNOWN as UNKNOWN_SHOWN (the summaries and JSON cannot show a
 * symbol). In a first preview each resource is shown by what the program declared, in the region the
 * provider planned, as `pulumi preview` lists a create: its planned state would show every computed
 * output unknown, a primary's globalReplicationGroupId among them.
 */
function forDisplay(run: ProgramRun, firstPreview: boolean): ProgramRun {
    return {
        ...run,
        outputs: showUnknowns(run.outputs) as Record<string, unknown>,
        resources: run.resources.map((r) => ({
            ...r,
            inputs: showUnknowns(r.inputs) as Record<string, unknown>,
            state: showUnknowns(firstPreview && r.custom ? { ...r.inputs, region: r.state.region } : r.state) as Record<string, unknown>,
        })),
    };
}

export interface PlanReport {
    stack: string;
    file: string;
    notices: string[];
    regions: Record<string, Array<{ type: string; name: string; protect: boolean; summary: string }>>;
    global: Array<{ type: string; name: string; protect: boolean; summary: string }>;
    alarms: Record<string, Record<string, number>>;
    outputs: Record<string, unknown>;
    counts: { resources: number; components: number; protected: number };
}

const ALARM_TYPE = "aws:cloudwatch/metricAlarm:MetricAlarm";

export function buildReport(run: ProgramRun, file: StackFile): PlanReport {
    const regions: PlanReport["regions"] = {};
    const global: PlanReport["global"] = [];
    const alarms: PlanReport["alarms"] = {};
    const custom = run.resources.filter((r) => r.custom);
    for (const r of custom) {
        const region = r.state.region as string | undefined;
        if (r.type === ALARM_TYPE && region) {
            const kind = shardAlarmKind(String(r.inputs.name));
            alarms[region] = alarms[region] ?? {};
            alarms[region][kind] = (alarms[region][kind] ?? 0) + 1;
            continue;
        }
        const entry = { type: shortType(r.type), name: r.name, protect: r.protect, summary: describe(r) };
        // Route 53 and IAM are global services even though the provider reports a default region.
        if (!region || r.type.startsWith("aws:route53/") || r.type.startsWith("aws:iam/")) {
            global.push(entry);
        } else {
            (regions[region] = regions[region] ?? []).push(entry);
        }
    }
    for (const entries of Object.values(regions)) {
        entries.sort((a, b) => typeRank(a.type) - typeRank(b.type));
    }
    return {
        stack: run.stack,
        file: file.file,
        notices: file.notices,
        regions,
        global,
        alarms,
        outputs: run.outputs,
        counts: {
            resources: custom.length,
            components: run.resources.length - custom.length,
            protected: custom.filter((r: RecordedResource) => r.protect).length,
        },
    };
}

function regionHeading(region: string, outputs: Record<string, any>): string {
    const role = outputs.regions?.[region]?.role;
    const founding = outputs.foundingRegion === region ? ", founding member" : "";
    return `${region} (${role ?? "?"}${founding})`;
}

export function formatReport(report: PlanReport): string {
    const lines: string[] = [];
    lines.push(`Offline plan of stack "${report.stack}" from ${report.file.split("/").pop()}`);
    lines.push("Pulumi mocks stand in for the engine and AWS: ids, ARNs and endpoints below are fake.");
    for (const notice of report.notices) {
        lines.push(`  note: ${notice}`);
    }
    const entry = (e: PlanReport["global"][number]) =>
        `    + ${e.type.padEnd(40)} ${e.name}${e.protect ? " [protected]" : ""}${e.summary ? `\n        ${e.summary}` : ""}`;
    for (const [region, entries] of Object.entries(report.regions)) {
        lines.push("", `Region ${regionHeading(region, report.outputs)}`);
        entries.forEach((e) => lines.push(entry(e)));
        const alarmKinds = report.alarms[region] ?? {};
        const total = Object.values(alarmKinds).reduce((a, b) => a + b, 0);
        lines.push(`    + ${"cloudwatch:MetricAlarm".padEnd(40)} ${total} alarms, per shard: ${Object.keys(alarmKinds).join(", ")}`);
    }
    if (report.global.length) {
        lines.push("", "Global");
        report.global.forEach((e) => lines.push(entry(e)));
    }
    lines.push("", "Outputs");
    for (const [name, value] of Object.entries(report.outputs)) {
        if (value === undefined) {
            continue; // the engine records no output for an undefined value
        }
        lines.push(`    ${name}: ${JSON.stringify(value, null, 2).replace(/\n/g, "\n    ")}`);
    }
    lines.push("", `${report.counts.resources} resources (${report.counts.protected} protected from deletion) in ${report.counts.components} components.`);
    return lines.join("\n");
}

/**
 * Runs the plan command; `dir` holds the Pulumi.<stack>.yaml files (tests point it elsewhere), and
 * `run` runs the program (tests pass one that shares runs of the same configuration).
 */
export async function main(argv: string[], dir = PROJECT_DIR, run: typeof runProgram = runProgram): Promise<number> {
    let values: FlagValues;
    try {
        const options = Object.fromEntries(Object.entries(FLAGS).map(([name, f]) => [name, { type: f.type }]));
        ({ values } = parseArgs({ args: argv, options }) as { values: FlagValues });
    } catch (e) {
        console.error(`${(e as Error).message}\n${USAGE}`);
        return 2;
    }
    if (values.help) {
        console.log(helpText());
        return 0;
    }
    if (!values.stack) {
        console.error(`--stack is required. Stacks in this project: ${listStacks(dir).join(", ")}.\n${USAGE}`);
        return 2;
    }
    const packDir = path.resolve(values["policy-pack"] ?? DEFAULT_PACK_DIR);
    const firstPreview = values["first-preview"] === true;
    let file: StackFile;
    let policyOptions: EvaluateOptions;
    let profiles: ProfileName[] | undefined;
    try {
        if (values.compliance !== undefined) {
            profiles = parseComplianceChoice(values.compliance);
            if (values["policy-pack-config"] !== undefined) {
                throw new PolicyConfigError("--compliance judges each scanner with its profile (policies/config/profiles/): drop --policy-pack-config");
            }
        } else if (values.markdown) {
            throw new PolicyConfigError("--markdown formats the compliance matrix: give --compliance <profile|all> too");
        }
        file = loadStackFile(values.stack, dir);
        const config = choosePolicyPackConfig({ packDir, stack: values.stack, flag: values["policy-pack-config"], off: values["no-policy-pack-config"] });
        // Read the config file before anything runs, so a typo in it fails in a second, not after the program.
        if (config.source !== "none") {
            loadPolicyPackConfigFile(config.file);
        }
        policyOptions = { stack: values.stack, project: PROJECT, packDir, config, provider: { region: file.config["aws:region"] } };
    } catch (e) {
        if (e instanceof StackNotFoundError || e instanceof PolicyConfigError) {
            console.error(e.message);
            return 2;
        }
        if (e instanceof StackFileSyntaxError) {
            // The stack exists, its configuration is invalid: exit 1, as for a value the program rejects.
            console.error(e.message);
            return 1;
        }
        throw e;
    }
    if (firstPreview) {
        file.notices.push(`first preview of a new stack: ids, ARNs, endpoints and other values AWS computes are ${UNKNOWN_SHOWN}, ` +
            "as the engine sends them to the policy pack then.");
    }
    // The pack starts while the program runs: each takes seconds, and they do not share a process.
    const starting = PolicyPackProcess.start(policyOptions.packDir, startOptions(policyOptions));
    starting.catch(() => undefined); // reported where it is awaited
    try {
        let declared: ProgramRun;
        try {
            declared = await run(values.stack, file.config, file.secretKeys, [], { firstPreview });
        } catch (e) {
            if (e instanceof pulumi.RunError) {
                console.error(`Stack "${values.stack}" (${file.file.split("/").pop()}): ${e.message}`);
                return 1;
            }
            throw e;
        }
        if (profiles) {
            // A report, not a gate: the stack's own config decides what fails a preview.
            const report = await complianceOn(await starting, declared.resources, profiles,
                { stack: values.stack, project: PROJECT, packDir, projectDir: PROJECT_DIR, provider: policyOptions.provider });
            console.log(values.json ? JSON.stringify(report, null, 2) : values.markdown ? formatComplianceMarkdown(report) : formatCompliance(report));
            return 0;
        }
        const policies = await evaluateOn(await starting, declared.resources, policyOptions);
        print(declared, file, policies, { json: values.json === true, firstPreview });
        return policies.failed ? 1 : 0;
    } catch (e) {
        if (e instanceof PolicyConfigError) {
            console.error(e.message);
            return 2;
        }
        if (e instanceof PolicyPackError) {
            console.error(e.message.includes(policyOptions.packDir!) ? e.message : `policy pack ${policyOptions.packDir}: ${e.message}`);
            return 1;
        }
        throw e;
    } finally {
        await starting.then((pack) => pack.close(), () => undefined);
    }
}

function print(recorded: ProgramRun, file: StackFile, policies: PolicyReport, options: { json: boolean; firstPreview: boolean }): void {
    const run = forDisplay(recorded, options.firstPreview);
    const report = buildReport(run, file);
    if (options.json) {
        // Project files relative to the project, as the text report shows them: a report must not carry the
        // machine's layout. A file from elsewhere (a --policy-pack-config outside) stays as given.
        const relative = (f: string) => {
            const inside = path.relative(PROJECT_DIR, f);
            return inside && !inside.startsWith("..") && !path.isAbsolute(inside) ? inside : f;
        };
        const config = "file" in policies.config && typeof policies.config.file === "string"
            ? { ...policies.config, file: relative(policies.config.file) } : policies.config;
        console.log(JSON.stringify({ ...report, file: relative(report.file), policies: { ...policies, config }, resources: run.resources.filter((r) => r.custom).map((r) => ({
            type: r.type, name: r.name, protect: r.protect, ignoreChanges: r.ignoreChanges, properties: redacted(r),
        })) }, null, 2));
    } else {
        console.log(`${formatReport(report)}\n\n${formatPolicyReport(policies)}`);
    }
}

if (require.main === module) {
    // exitCode, not exit(): writes to a pipe are asynchronous, and exit() would cut the report off.
    main(process.argv.slice(2)).then((code) => {
        process.exitCode = code;
    }, (e) => {
        console.error(e instanceof Error ? (process.env.DEBUG ? e.stack : e.message) : e);
        process.exitCode = 1;
    });
}
