/**
 * Every run leaves a JSON and a Markdown report in recovery-reports/ (by default): what was asked,
 * every step with its timing and findings, the recovery time and point, the outcome, and what a human
 * should do next. Commands call finish() in a `finally`, so a run that fails halfway still explains
 * itself.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { RecoveryEvent, StepResult } from "./events";
import { silentLagSummary } from "./lag";
import { errorMessage, formatDuration, isoTime } from "./printer";
import { Progress } from "./progress";

export const DEFAULT_REPORT_DIRECTORY = "recovery-reports";

/** Input names that always read as secret, whatever the command declares. */
const SECRET_NAME = /(password|passwd|secret|token|credential|private.?key)/i;

/**
 * How a run ended. "partial": the run's change happened but a later part of it was left for another
 * run (retarget-primary: the new primary accepts writes, the stack is not reconciled yet); the next
 * steps say what remains.
 */
export type Outcome = "succeeded" | "partial" | "failed" | "aborted" | "nothing-to-do";

export interface RecoveryPoint {
    /** Estimated writes lost, as seconds of replication lag; undefined when unknown. */
    estimatedDataLossSeconds?: number;
    /** The newest instant whose writes survive (for a restore, the snapshot's creation time), epoch ms. */
    recoveryPointAt?: number;
    /** Where the figure comes from, e.g. "GlobalDatastoreReplicationLag max over the last 5 min, CloudWatch". */
    source: string;
    /**
     * When the loss is unknown because the lag metric went silent (an outage): its last datapoint,
     * epoch ms and seconds of lag. Writes after it may be lost.
     */
    silentSince?: { at: number; seconds: number };
}

export interface RunReportOptions {
    /** The command, e.g. "retarget-primary". Part of the file names. */
    program: string;
    /** The flags as given. Values of secret inputs are replaced by "[secret]". */
    inputs: Record<string, unknown>;
    /** Inputs whose values must never be written; names that look secret are always redacted. Default none. */
    secretInputs?: string[];
    progress: Progress;
    /** Directory for the reports, created when missing. Default "recovery-reports" in the working directory. */
    directory?: string;
}

export interface FinishOptions {
    /** Default: "failed" when `error` is given ("aborted" for an abort), else "succeeded". */
    outcome?: Outcome;
    error?: unknown;
    /** What a human should do now, in order. */
    nextSteps?: string[];
}

export interface StepReport {
    name: string;
    doing: string;
    start: string;
    end?: string;
    durationSeconds?: number;
    /** "unfinished" when the report was written while the step still ran. */
    result: StepResult | "unfinished";
    summary?: string;
    findings: Array<{ at: string; level: string; what: string; detail?: Record<string, unknown> }>;
    /** States a wait in this step went through. */
    waits: Array<{ at: string; waitingFor: string; state: string }>;
}

export interface ReportDocument {
    program: string;
    startedAt: string;
    finishedAt: string;
    durationSeconds: number;
    inputs: Record<string, unknown>;
    outcome: Outcome;
    error?: string;
    /** From the start of the run (confirmation and preflight included) to writes accepted. */
    recoveryTime: { seconds: number; writesAcceptedAt: string; detail: string } | "not reached";
    /**
     * From this run's first mutating call to writes accepted: how long AWS took, without the human
     * and the checks. "not reached" when writes were not accepted after the call; "no mutating call"
     * when this run made none (an earlier run or a human had already promoted).
     */
    promotionTime: { seconds: number; firstMutatingCallAt: string; firstMutatingCall: string; writesAcceptedAt: string } | "not reached" | "no mutating call";
    recoveryPoint: { estimatedDataLossSeconds?: number; recoveryPointAt?: string; silentSince?: { at: string; seconds: number }; source: string } | "unknown";
    /**
     * When AWS accepted this run's detach (DisassociateGlobalReplicationGroup) of the cluster that now
     * takes writes; for a detach whose answer was lost, when it was sent. From then on writes the old
     * primary takes are lost. Absent when the run accepted no detach.
     */
    detachAcceptedAt?: string;
    /**
     * From the start of the run to the moment the restored datastore had every member again (a
     * restore moves the writer first and lets the secondaries join after). Absent when the run did
     * not measure it.
     */
    fullRedundancyTime?: { seconds: number; at: string; detail: string };
    steps: StepReport[];
    /** Findings and next steps outside any step. */
    runFindings: StepReport["findings"];
    nextSteps: string[];
    events: Array<RecoveryEvent & { time: string }>;
}

/** 2025-03-01T02:04:05.123Z -> 20250301T020405.123Z: sortable, and valid on every filesystem. */
export function fileTimestamp(ms: number): string {
    return isoTime(ms).replace(/[-:]/g, "");
}

function redactInputs(inputs: Record<string, unknown>, secret: string[]): Record<string, unknown> {
    const declared = new Set(secret);
    return Object.fromEntries(Object.entries(inputs).map(([name, value]) =>
        [name, declared.has(name) || SECRET_NAME.test(name) ? "[secret]" : value]));
}

function seconds(ms: number): number {
    return Math.round(ms) / 1000;
}

export class RunReport {
    private writesAccepted?: { at: number; detail: string };
    private firstMutatingCall?: { at: number; detail: string };
    private recoveryPoint?: RecoveryPoint;
    private detachAccepted?: number;
    private fullRedundancy?: { at: number; detail: string };
    private readonly program: string;

    constructor(private readonly options: RunReportOptions) {
        if (!/^[a-z][a-z0-9-]*$/.test(options.program)) {
            throw new Error(`RunReport program is ${JSON.stringify(options.program)}. Accepted: a command name in lowercase letters, digits and hyphens, such as retarget-primary.`);
        }
        this.program = options.program;
    }

    /**
     * Marks the instant the new primary accepts writes, as far as the control plane shows. The first
     * mark counts: the recovery time is measured to it.
     */
    markWritesAccepted(detail: string): void {
        this.writesAccepted ??= { at: this.options.progress.clock.now(), detail };
    }

    /**
     * Marks the instant of the run's first mutating call (FailoverGlobalReplicationGroup, a detach),
     * made right before it. The first mark counts: the promotion time is measured from it.
     */
    markFirstMutatingCall(detail: string): void {
        this.firstMutatingCall ??= { at: this.options.progress.clock.now(), detail };
    }

    /** Marks when AWS accepted the detach (the first mark counts); `at` defaults to now. */
    markDetachAccepted(at: number = this.options.progress.clock.now()): void {
        this.detachAccepted ??= at;
    }

    /** Marks the instant every member of the datastore is back (the first mark counts). */
    markFullRedundancy(detail: string): void {
        this.fullRedundancy ??= { at: this.options.progress.clock.now(), detail };
    }

    setRecoveryPoint(point: RecoveryPoint): void {
        if (!point.source?.trim()) {
            throw new Error("setRecoveryPoint needs source: where the figure comes from, e.g. \"GlobalDatastoreReplicationLag max over the last 5 min, CloudWatch\".");
        }
        this.recoveryPoint = point;
    }

    /** The report as it stands now, without writing it. */
    build(finish: FinishOptions = {}): ReportDocument {
        const { progress } = this.options;
        const now = progress.clock.now();
        const outcome = finish.outcome ?? (finish.error === undefined ? "succeeded" : isAbort(finish.error) ? "aborted" : "failed");
        const findingsOf = (events: readonly RecoveryEvent[]) => events.flatMap((e) => e.type === "found"
            ? [{ at: isoTime(e.at), level: e.level, what: e.what, ...(e.detail ? { detail: e.detail } : {}) }] : []);
        return {
            program: this.program,
            startedAt: isoTime(progress.startedAt),
            finishedAt: isoTime(now),
            durationSeconds: seconds(now - progress.startedAt),
            inputs: redactInputs(this.options.inputs, this.options.secretInputs ?? []),
            outcome,
            ...(finish.error !== undefined ? { error: errorMessage(finish.error) } : {}),
            recoveryTime: this.writesAccepted
                ? { seconds: seconds(this.writesAccepted.at - progress.startedAt), writesAcceptedAt: isoTime(this.writesAccepted.at), detail: this.writesAccepted.detail }
                : "not reached",
            promotionTime: this.promotionTime(),
            recoveryPoint: this.recoveryPoint
                ? {
                    ...(this.recoveryPoint.estimatedDataLossSeconds !== undefined ? { estimatedDataLossSeconds: this.recoveryPoint.estimatedDataLossSeconds } : {}),
                    ...(this.recoveryPoint.recoveryPointAt !== undefined ? { recoveryPointAt: isoTime(this.recoveryPoint.recoveryPointAt) } : {}),
                    ...(this.recoveryPoint.silentSince ? { silentSince: { at: isoTime(this.recoveryPoint.silentSince.at), seconds: this.recoveryPoint.silentSince.seconds } } : {}),
                    source: this.recoveryPoint.source,
                }
                : "unknown",
            ...(this.detachAccepted !== undefined ? { detachAcceptedAt: isoTime(this.detachAccepted) } : {}),
            ...(this.fullRedundancy ? { fullRedundancyTime: {
                seconds: seconds(this.fullRedundancy.at - progress.startedAt), at: isoTime(this.fullRedundancy.at), detail: this.fullRedundancy.detail,
            } } : {}),
            steps: progress.steps.map((s) => ({
                name: s.name,
                doing: s.doing,
                start: isoTime(s.startedAt),
                ...(s.finishedAt !== undefined ? { end: isoTime(s.finishedAt), durationSeconds: seconds(s.finishedAt - s.startedAt) } : {}),
                result: s.result ?? "unfinished",
                ...(s.summary !== undefined ? { summary: s.summary } : {}),
                findings: findingsOf(s.events),
                waits: s.events.flatMap((e) => e.type === "waiting" ? [{ at: isoTime(e.at), waitingFor: e.waitingFor, state: e.state }] : []),
            })),
            runFindings: findingsOf(progress.events.filter((e) => !progress.steps.some((s) => s.name === e.step))),
            nextSteps: finish.nextSteps ?? [],
            events: progress.events.map((e) => ({ time: isoTime(e.at), ...e })),
        };
    }

    private promotionTime(): ReportDocument["promotionTime"] {
        const call = this.firstMutatingCall;
        if (!call) {
            return "no mutating call";
        }
        // Writes accepted before the call (an earlier promotion) do not measure this call.
        if (!this.writesAccepted || this.writesAccepted.at < call.at) {
            return "not reached";
        }
        return { seconds: seconds(this.writesAccepted.at - call.at), firstMutatingCallAt: isoTime(call.at), firstMutatingCall: call.detail,
            writesAcceptedAt: isoTime(this.writesAccepted.at) };
    }

    /**
     * Writes `<timestamp>-<program>.json` and `.md`; returns their paths and the document. A run that
     * reached AWS must leave its report: when the report directory cannot be written (read-only
     * checkout, full disk), the report goes to the system's temporary directory instead and
     * `notWrittenTo` says where it could not go and why.
     */
    async finish(finish: FinishOptions = {}): Promise<FinishedReport> {
        const report = this.build(finish);
        const directory = this.options.directory ?? DEFAULT_REPORT_DIRECTORY;
        try {
            return { ...(await this.write(report, directory)), report };
        } catch (e) {
            const fallback = path.join(os.tmpdir(), DEFAULT_REPORT_DIRECTORY);
            return { ...(await this.write(report, fallback)), report, notWrittenTo: { directory, reason: errorMessage(e) } };
        }
    }

    private async write(report: ReportDocument, directory: string): Promise<{ json: string; markdown: string }> {
        await fs.mkdir(directory, { recursive: true });
        const base = path.join(directory, `${fileTimestamp(this.options.progress.startedAt)}-${this.program}`);
        await fs.writeFile(`${base}.json`, `${JSON.stringify(report, null, 2)}\n`);
        await fs.writeFile(`${base}.md`, renderMarkdown(report));
        return { json: `${base}.json`, markdown: `${base}.md` };
    }
}

export interface FinishedReport {
    json: string;
    markdown: string;
    report: ReportDocument;
    /** Set when the report directory could not be written and the report went to the temporary directory. */
    notWrittenTo?: { directory: string; reason: string };
}

function isAbort(error: unknown): boolean {
    const name = (error as { name?: string } | undefined)?.name;
    return name === "AbortError" || name === "WaitAbortedError";
}

function cell(text: unknown): string {
    return String(text ?? "").replace(/\|/g, "\\|").replace(/\n/g, " ");
}

export function renderMarkdown(r: ReportDocument): string {
    const lines = [
        `# ${r.program}: ${r.outcome}`,
        "",
        `Started ${r.startedAt}, finished ${r.finishedAt} (${formatDuration(r.durationSeconds * 1000)}).`,
    ];
    if (r.error) {
        lines.push("", `**Error:** ${r.error}`);
    }
    lines.push("", "## Recovery",
        "",
        `- Recovery time (from the start of the run, confirmation and preflight included): ${r.recoveryTime === "not reached"
            ? "not reached (the new primary was not seen accepting writes)"
            : `${r.recoveryTime.seconds} s, writes accepted at ${r.recoveryTime.writesAcceptedAt} (${r.recoveryTime.detail})`}`,
        `- Promotion time (from the first mutating call to writes accepted): ${r.promotionTime === "no mutating call"
            ? "not measured, this run made no mutating call"
            : r.promotionTime === "not reached" ? "not reached (writes were not seen accepted after the call)"
                : `${r.promotionTime.seconds} s, ${r.promotionTime.firstMutatingCall} at ${r.promotionTime.firstMutatingCallAt}, ` +
                `writes accepted at ${r.promotionTime.writesAcceptedAt}`}`,
        `- Recovery point: ${r.recoveryPoint === "unknown" ? "unknown" : [
            r.recoveryPoint.estimatedDataLossSeconds !== undefined ? `estimated data loss ${r.recoveryPoint.estimatedDataLossSeconds} s` : undefined,
            r.recoveryPoint.recoveryPointAt !== undefined ? `writes up to ${r.recoveryPoint.recoveryPointAt}` : undefined,
            r.recoveryPoint.silentSince ? silentLagSummary(r.recoveryPoint.silentSince.at, r.recoveryPoint.silentSince.seconds) : undefined,
            `source: ${r.recoveryPoint.source}`,
        ].filter(Boolean).join(", ")}`,
        ...(r.detachAcceptedAt ? [`- Detach accepted at ${r.detachAcceptedAt}`] : []),
        ...(r.fullRedundancyTime ? [`- Time to full redundancy (from the start of the run until every member is back): ${r.fullRedundancyTime.seconds} s, ` +
            `at ${r.fullRedundancyTime.at} (${r.fullRedundancyTime.detail})`] : []));
    lines.push("", "## Next steps", "");
    lines.push(...(r.nextSteps.length ? r.nextSteps.map((s, i) => `${i + 1}. ${s}`) : ["None given."]));
    lines.push("", "## Inputs", "", "| input | value |", "|---|---|");
    lines.push(...Object.entries(r.inputs).map(([k, v]) => `| ${cell(k)} | ${cell(typeof v === "string" ? v : JSON.stringify(v))} |`));
    lines.push("", "## Steps", "", "| step | start | end | duration | result | summary |", "|---|---|---|---|---|---|");
    lines.push(...r.steps.map((s) => `| ${cell(s.name)} | ${s.start} | ${s.end ?? "-"} | ` +
        `${s.durationSeconds !== undefined ? formatDuration(s.durationSeconds * 1000) : "-"} | ${s.result} | ${cell(s.summary)} |`));
    for (const s of r.steps.filter((step) => step.findings.length || step.waits.length)) {
        lines.push("", `### ${s.name}`, "");
        lines.push(...s.findings.map((f) => `- ${f.at} ${f.level === "info" ? "" : `**${f.level.toUpperCase()}** `}${f.what}` +
            `${f.detail ? ` (${cell(JSON.stringify(f.detail))})` : ""}`));
        lines.push(...s.waits.map((w) => `- ${w.at} waiting for ${w.waitingFor}: ${w.state}`));
    }
    if (r.runFindings.length) {
        lines.push("", "## Other findings", "", ...r.runFindings.map((f) => `- ${f.at} ${f.level === "info" ? "" : `**${f.level.toUpperCase()}** `}${f.what}`));
    }
    return `${lines.join("\n")}\n`;
}
