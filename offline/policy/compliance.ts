/**
 * The compliance matrix of a stack before it is deployed: for each control of Security Hub, AWS Config,
 * checkov or trivy, whether the whole stack passes it, fails it (and which resources), or whether the
 * control does not apply or cannot be verified yet (a value a preview does not know).
 *
 * Each scanner has a profile, policies/config/profiles/<name>.json, that makes the pack judge as that
 * scanner does; the pack runs once per profile on one process (configure, Analyze every resource,
 * AnalyzeStack), and each control is reported by the rule its anchors name (policies/lib/anchors.ts),
 * whatever that rule's level in the profile.
 */
import * as path from "path";
import { Framework, controlsOf } from "../../policies/lib/anchors";
import { RecordedResource } from "../run";
import { PolicyConfigError, PolicyInfo, loadPolicyPackConfigFile, reconcilePolicyPackConfig } from "./config";
import { Analysis, PolicyPackProcess } from "./host";
import { ProviderSettings, defaultAwsProvider, fromRecorded } from "./wire";

/** Profile file name -> the framework its controls come from. */
export const PROFILES = { "security-hub": "Security Hub", "aws-config": "AWS Config", checkov: "checkov", trivy: "trivy" } as const satisfies Record<string, Framework>;

export type ProfileName = keyof typeof PROFILES;

export const PROFILE_NAMES = Object.keys(PROFILES) as ProfileName[];

/** policies/config/profiles/<name>.json for the project's pack. */
export function profileFile(packDir: string, profile: ProfileName): string {
    return path.join(packDir, "config", "profiles", `${profile}.json`);
}

/** The profiles `--compliance <value>` asks for; throws PolicyConfigError naming what is accepted. */
export function parseComplianceChoice(value: string): ProfileName[] {
    if (value === "all") {
        return PROFILE_NAMES;
    }
    if ((PROFILE_NAMES as string[]).includes(value)) {
        return [value as ProfileName];
    }
    throw new PolicyConfigError(`--compliance ${JSON.stringify(value)} is not a profile: use one of ${[...PROFILE_NAMES, "all"].join(", ")}`);
}

export type ControlStatus = "pass" | "fail" | "not applicable" | "could not verify";

export interface ControlFinding {
    resourceName: string;
    resourceType: string;
    urn: string;
    message: string;
}

export interface ControlResult {
    control: string;
    /** The rule(s) that answer the control. */
    rules: string[];
    status: ControlStatus;
    /** Resources the rules judged (not "not applicable"); for a stack rule, the stack counts as one. */
    checked: number;
    /** What failed, or what could not be verified. */
    findings: ControlFinding[];
}

export interface FrameworkMatrix {
    profile: ProfileName;
    framework: Framework;
    /** The profile file, relative to the project. */
    config: string;
    controls: ControlResult[];
}

export interface ComplianceReport {
    stack: string;
    frameworks: FrameworkMatrix[];
}

export interface ComplianceOptions {
    stack: string;
    project: string;
    packDir: string;
    /** Directory file names in the report are shown relative to. */
    projectDir: string;
    provider?: ProviderSettings;
}

const COULD_NOT_VERIFY = /^could not verify /;

/**
 * Each control of the framework, judged from what the pack answered for every resource (Analyze) and
 * for the stack (AnalyzeStack). `kinds` tells resource rules from stack rules (GetAnalyzerInfo).
 */
export function judgeControls(framework: Framework, kinds: ReadonlyMap<string, PolicyInfo["kind"]>, resources: RecordedResource[],
    perResource: Analysis[], stack: Analysis): ControlResult[] {
    const byUrn = new Map(resources.map((r) => [r.urn, r]));
    const controls = controlsOf(framework).sort((a, b) => a.id.localeCompare(b.id, "en", { numeric: true }));
    return controls.map(({ id, rules }) => {
        const findings: (ControlFinding & { unverified: boolean })[] = [];
        let checked = 0;
        for (const rule of rules) {
            const answers = kinds.get(rule) === "stack" ? [stack] : perResource;
            for (const v of answers.flatMap((a) => a.violations).filter((x) => x.policyName === rule)) {
                const r = byUrn.get(v.urn);
                // The engine's message is the rule's description, then what the rule reported: keep the latter.
                const message = v.message.split("\n").slice(-1)[0];
                findings.push({ resourceName: r?.name ?? "(stack)", resourceType: r?.type ?? "", urn: v.urn, message, unverified: COULD_NOT_VERIFY.test(message) });
            }
            checked += answers.filter((a) => !a.notApplicable.some((n) => n.policyName === rule)).length;
        }
        const failed = findings.filter((f) => !f.unverified);
        const status: ControlStatus = failed.length > 0 ? "fail" : findings.length > 0 ? "could not verify" : checked === 0 ? "not applicable" : "pass";
        return { control: id, rules, status, checked, findings: (failed.length > 0 ? failed : findings).map(({ unverified: _, ...f }) => f) };
    });
}

/**
 * Configures the running pack with each profile in turn and evaluates the recorded resources under it.
 * The pack keeps running; its configuration is the last profile's afterwards.
 */
export async function complianceOn(pack: PolicyPackProcess, resources: RecordedResource[], profiles: ProfileName[], options: ComplianceOptions): Promise<ComplianceReport> {
    const info = await pack.info();
    const kinds = new Map(info.policies.map((p) => [p.name, p.kind]));
    const provider = defaultAwsProvider(options.stack, options.project, options.provider ?? {});
    const forAnalyze = resources.map((r) => fromRecorded(r, "inputs", provider));
    const forStack = resources.map((r) => fromRecorded(r, "state", provider));
    const frameworks: FrameworkMatrix[] = [];
    for (const profile of profiles) {
        const file = profileFile(options.packDir, profile);
        await pack.configure(reconcilePolicyPackConfig(info, loadPolicyPackConfigFile(file), file));
        const perResource: Analysis[] = [];
        for (const r of forAnalyze) {
            perResource.push(await pack.analyzeWithApplicability(r));
        }
        const stack = await pack.analyzeStackWithApplicability(forStack);
        frameworks.push({
            profile, framework: PROFILES[profile], config: path.relative(options.projectDir, file),
            controls: judgeControls(PROFILES[profile], kinds, resources, perResource, stack),
        });
    }
    return { stack: options.stack, frameworks };
}

function resourcesOf(c: ControlResult): string {
    return [...new Set(c.findings.map((f) => f.resourceName))].join(", ");
}

function statusText(c: ControlResult): string {
    switch (c.status) {
        case "pass":
            return `pass (${c.checked} checked)`;
        case "fail":
            return `FAIL: ${resourcesOf(c)}`;
        case "could not verify":
            return `could not verify: ${resourcesOf(c)}`;
        case "not applicable":
            return "not applicable (no resource of its kind)";
    }
}

/** Text for a terminal: per framework, one line per control, then the first finding of each failed one. */
export function formatCompliance(report: ComplianceReport): string {
    const lines = [`Compliance of stack "${report.stack}" before deploy (offline plan: program under mocks, the real policy pack)`];
    for (const f of report.frameworks) {
        lines.push("", `${f.framework} (profile ${f.config})`);
        const width = Math.max(...f.controls.map((c) => c.control.length));
        for (const c of f.controls) {
            lines.push(`  ${c.control.padEnd(width)}  ${statusText(c)}  [${c.rules.join(" + ")}]`);
            for (const finding of c.status === "pass" ? [] : c.findings) {
                lines.push(`      ${finding.message}`);
            }
        }
        const counts = countStatuses(f);
        lines.push(`  ${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", ")}`);
    }
    return lines.join("\n");
}

function countStatuses(f: FrameworkMatrix): Record<ControlStatus, number> {
    const counts: Record<ControlStatus, number> = { pass: 0, fail: 0, "could not verify": 0, "not applicable": 0 };
    f.controls.forEach((c) => (counts[c.status] += 1));
    return counts;
}

const STATUS_CELL: Record<ControlStatus, string> = { pass: "pass", fail: "**fail**", "could not verify": "could not verify", "not applicable": "not applicable" };

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** Markdown for a pull request comment: a table per framework, findings in a details block. */
export function formatComplianceMarkdown(report: ComplianceReport): string {
    const lines = [`### Compliance matrix: stack \`${report.stack}\``, "",
        "Before deploy, from the offline plan (the program under mocks) and the real policy pack, one profile per scanner.", ""];
    for (const f of report.frameworks) {
        const counts = countStatuses(f);
        lines.push(`#### ${f.framework}`, "", `Profile \`${f.config}\`: ${Object.entries(counts).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${s}`).join(", ")}.`, "",
            "| control | status | rule | resources |", "|---|---|---|---|");
        for (const c of f.controls) {
            const resources = c.status === "pass" ? `${c.checked} checked` : c.status === "not applicable" ? "" : cell(resourcesOf(c));
            lines.push(`| ${c.control} | ${STATUS_CELL[c.status]} | ${c.rules.map((r) => `\`${r}\``).join(" + ")} | ${resources} |`);
        }
        const findings = f.controls.filter((c) => c.status === "fail" || c.status === "could not verify");
        if (findings.length > 0) {
            lines.push("", "<details><summary>Findings</summary>", "");
            for (const c of findings) {
                for (const finding of c.findings) {
                    lines.push(`- ${c.control}: ${cell(finding.message)}`);
                }
            }
            lines.push("", "</details>");
        }
        lines.push("");
    }
    return lines.join("\n");
}
