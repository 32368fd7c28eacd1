/**
 * Evaluates a policy pack against what the program declared, as `pulumi preview` does: Analyze on
 * each resource's inputs, then AnalyzeStack on all of them once every Analyze has answered.
 */
import { RecordedResource } from "../run";
import { PackInfo, PolicyConfigChoice, PolicyPackConfig, describePolicyConfig, loadPolicyPackConfigFile, reconcilePolicyPackConfig } from "./config";
import { DEFAULT_PACK_DIR, PolicyPackProcess, StartOptions, Violation, withPolicyPack } from "./host";
import { AnalyzedResource, ProviderSettings, defaultAwsProvider, fromRecorded } from "./wire";

export interface PolicyReport {
    pack: { name: string; version: string };
    /** The policy pack config file used, and why (see choosePolicyPackConfig). */
    config: PolicyConfigChoice;
    violations: Array<Violation & { resourceType: string; resourceName: string }>;
    /** True when any violation is mandatory: the CLI fails the preview. */
    failed: boolean;
}

export interface EvaluateOptions {
    stack: string;
    project: string;
    /** Policy pack directory. Default: the project's policies/. */
    packDir?: string;
    /** The policy pack config file. Default: none (each policy's own level and schema defaults). */
    config?: PolicyConfigChoice;
    /** The default AWS provider's settings, as the stack configures them. */
    provider?: ProviderSettings;
    startTimeoutMs?: number;
}

/**
 * Analyze calls in flight at once. Each Analyze is independent of the others, so the verdicts do not
 * depend on it: the policy SDK's handler keeps its diagnostics in locals, and its module state is only
 * what Configure and ConfigureStack set (@pulumi/policy server.js, makeAnalyzeRpcFun); the pack's own
 * decode memo is per request Struct (policies/lib/decode-once.ts). Eight in flight took half
 * the CPU of one at a time on both sides of the connection, on 984 calls over the prod stack (gRPC's
 * per-call cost is shared by the calls one read or write carries).
 */
export const ANALYZE_IN_FLIGHT = 8;

/** Analyze on each resource, `inFlight` calls at a time; each resource's violations at its index. */
export async function analyzeEach(pack: PolicyPackProcess, resources: AnalyzedResource[], inFlight = ANALYZE_IN_FLIGHT): Promise<Violation[][]> {
    const perResource: Violation[][] = new Array(resources.length);
    let next = 0;
    const worker = async () => {
        while (next < resources.length) {
            const index = next++;
            perResource[index] = await pack.analyze(resources[index]);
        }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, resources.length) }, worker));
    return perResource;
}

/** Analyze every resource, then AnalyzeStack, on an already configured pack; violations in resource order. */
export async function analyzeAll(pack: PolicyPackProcess, forAnalyze: AnalyzedResource[], forStack: AnalyzedResource[]): Promise<Violation[]> {
    return [...(await analyzeEach(pack, forAnalyze)).flat(), ...await pack.analyzeStack(forStack)];
}

/** Reads the config file (if any) and reconciles it with the pack's policies; throws PolicyConfigError. */
export async function configurePack(pack: PolicyPackProcess, configFile?: string): Promise<{ info: PackInfo; config: PolicyPackConfig }> {
    const info = await pack.info();
    const given = configFile ? loadPolicyPackConfigFile(configFile) : {};
    const config = reconcilePolicyPackConfig(info, given, configFile ? `--policy-pack-config ${configFile}` : undefined);
    await pack.configure(config);
    return { info, config };
}

export function toReport(info: PackInfo, violations: Violation[], resources: RecordedResource[], config: PolicyConfigChoice = { source: "none" }): PolicyReport {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    return {
        pack: { name: info.name, version: info.version },
        config,
        violations: violations.map((v) => ({ ...v, resourceType: byUrn.get(v.urn)?.type ?? "", resourceName: byUrn.get(v.urn)?.name ?? "" })),
        failed: violations.some((v) => v.level === "mandatory"),
    };
}

export function startOptions(options: EvaluateOptions): StartOptions {
    return { stack: { stack: options.stack, project: options.project, dryRun: true }, startTimeoutMs: options.startTimeoutMs };
}

/** Configures a started pack and evaluates the recorded resources on it (the pack keeps running). */
export async function evaluateOn(pack: PolicyPackProcess, resources: RecordedResource[], options: EvaluateOptions): Promise<PolicyReport> {
    const config = options.config ?? { source: "none" };
    const { info } = await configurePack(pack, config.source === "none" ? undefined : config.file);
    const provider = defaultAwsProvider(options.stack, options.project, options.provider ?? {});
    const violations = await analyzeAll(pack,
        resources.map((r) => fromRecorded(r, "inputs", provider)),
        resources.map((r) => fromRecorded(r, "state", provider)));
    return toReport(info, violations, resources, config);
}

/** Starts the pack, configures it, evaluates the recorded resources and stops it. */
export async function evaluatePolicies(resources: RecordedResource[], options: EvaluateOptions): Promise<PolicyReport> {
    return withPolicyPack(options.packDir ?? DEFAULT_PACK_DIR, startOptions(options), (pack) => evaluateOn(pack, resources, options));
}

/** The policy section of a preview: pack, then each violation with level, resource and message. */
export function formatPolicyReport(report: PolicyReport): string {
    const lines = [`Policies:`, `    ${report.pack.name}@v${report.pack.version} (${describePolicyConfig(report.config)})`];
    if (report.violations.length === 0) {
        lines.push("        no violations");
        return lines.join("\n");
    }
    const order = { mandatory: 0, remediate: 1, advisory: 2, disabled: 3 };
    const sorted = [...report.violations].sort((a, b) => order[a.level] - order[b.level] || a.policyName.localeCompare(b.policyName));
    for (const v of sorted) {
        const resource = v.resourceType ? `${v.resourceType}: ${v.resourceName}` : v.urn || "stack";
        lines.push(`        - [${v.level}]  ${v.policyName}  (${resource})`);
        for (const line of v.message.split("\n")) {
            lines.push(`          ${line}`);
        }
    }
    const mandatory = report.violations.filter((v) => v.level === "mandatory").length;
    lines.push(`    ${report.violations.length} violation${report.violations.length === 1 ? "" : "s"}, ${mandatory} mandatory` +
        (mandatory ? ": pulumi preview would fail" : ""));
    return lines.join("\n");
}
