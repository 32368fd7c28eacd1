/**
 * A drill's results: every event measured from the canary's records, the timeline drawn, the report's
 * recovery point, and the verdict. The headline of each event is its write-unavailability window
 * (last acknowledgement before the gap to the first after it), which does not depend on when AWS
 * actually started the failover; times "after the call" are from this run's API call, and AWS starts
 * a TestFailover a minute or two after it. A shard the reader could not read after an event makes
 * that event's data loss unknown, never 0, and the run partial.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { Canary } from "../../dataplane/canary";
import { DrillEvent, EventResult, describeLoss, drillTotals, measureEvents, toTimeline } from "../../dataplane/measure";
import { renderTimelineSvg } from "../../report/timeline-svg";
import { Progress } from "../progress";
import { Outcome, RunReport, fileTimestamp } from "../report";

/** The canary's per-attempt timeout: a write that has not answered by then counts as failed. */
export const ATTEMPT_TIMEOUT_MS = 250;
/** A gap between acknowledgements longer than this many write periods (and 100 ms) is an outage, even without a failed write. */
const STALL_PERIODS = 5;

export interface DrillVerdict {
    outcome: Outcome;
    summary: string;
    nextSteps: string[];
}

/** The SVG's file name: the report's base name (RunReport.finish) with .svg, so the Markdown can link it relatively. */
export function timelineFile(startedAt: number, program: string): string {
    return `${fileTimestamp(startedAt)}-${program}.svg`;
}

/** What the event was started by, for "after the ..." texts: times from it include AWS's own delay. */
function startedBy(r: EventResult): string {
    return r.kind === "test-failover" ? "the TestFailover call" : "the promotion's start";
}

export function describeResult(r: EventResult): string {
    const detect = r.firstFailureAfterLastAckMs !== null
        ? `first failed write known ${r.firstFailureAfterLastAckMs} ms after the last acknowledgement (${r.firstFailureAfterStartMs} ms after ${startedBy(r)})`
        : r.firstFailureAfterStartMs !== null ? `first failed write known ${r.firstFailureAfterStartMs} ms after ${startedBy(r)}` : "no failed write";
    return `${r.kind} of ${r.shard}: writes unavailable for ${r.windowMs} ms (RTO: last acknowledgement before the gap to the first after it), ` +
        `${describeLoss(r)}, ${detect}, ${r.staleReads} stale reads` +
        `${r.recoveryAfterStartMs !== null ? `; writes acknowledged again ${r.recoveryAfterStartMs} ms after ${startedBy(r)}` : ""}` +
        `${r.recovered ? "" : "; writes did NOT recover within the event"}`;
}

export interface MeasuredRun {
    canary: Canary;
    startedAt: number;
}

export interface ResultDeps {
    progress: Progress;
    report: RunReport;
    reportDir: string;
    program: string;
}

/** The "results" step: per-event results and totals as findings, the recovery point, and the SVG timeline beside the report. */
export async function measureAndDraw(events: DrillEvent[], running: MeasuredRun, stack: string, deps: ResultDeps): Promise<EventResult[]> {
    return deps.progress.step("results", "measuring every event from the canary's records, and drawing the timeline", async (step) => {
        const endedAt = Date.now();
        const records = running.canary.records();
        const results = measureEvents(records, events, {
            attemptTimeoutMs: ATTEMPT_TIMEOUT_MS, stallThresholdMs: Math.max(100, (STALL_PERIODS * 1000) / running.canary.ratePerShard), start: running.startedAt,
        });
        for (const r of results) {
            step.found(describeResult(r), { level: r.recovered && r.unverified.length === 0 ? "info" : "warn", detail: {
                windowMs: r.windowMs, rpoMs: r.rpoMs, lostAckedWrites: r.lostAckedWrites, lostAckedWritesFound: r.lostAckedWritesFound, unverified: r.unverified,
                firstFailureAfterLastAckMs: r.firstFailureAfterLastAckMs, firstFailureAfterCallMs: r.firstFailureAfterStartMs, recoveryAfterCallMs: r.recoveryAfterStartMs,
                staleReads: r.staleReads,
            } });
        }
        const totals = drillTotals(records, results);
        step.found(`canary: ${totals.writesAttempted} writes (${totals.writesFailed} failed), ${totals.reads} reads (${totals.staleReads} stale), ` +
            `${totals.lostAckedWrites === null ? "acknowledged writes lost UNKNOWN (a shard could not be read)" : `${totals.lostAckedWrites} acknowledged writes lost`}` +
            `${running.canary.skippedTicks ? `; ${running.canary.skippedTicks} scheduled writes skipped (the event loop fell behind)` : ""}`,
        { detail: { ...totals } });
        setRecoveryPoint(results, deps.report);
        const timeline = toTimeline(`Failover drill of stack ${stack}: canary write availability per shard`, records, results,
            { from: running.startedAt, to: endedAt }, ATTEMPT_TIMEOUT_MS);
        const file = timelineFile(deps.progress.startedAt, deps.program);
        await fs.mkdir(deps.reportDir, { recursive: true });
        await fs.writeFile(path.join(deps.reportDir, file), renderTimelineSvg(timeline));
        // Markdown image syntax: the report's Markdown lists findings as they are, so the timeline shows inline next to it.
        step.found(`timeline: ![canary write availability per shard](${file})`, { detail: { file: path.join(deps.reportDir, file) } });
        step.summarize(`${results.length} event(s) measured; timeline in ${file}`);
        return results;
    });
}

function unverifiedEvents(results: readonly EventResult[]): string {
    return results.filter((r) => r.unverified.length > 0).map((r) => `${r.kind} of ${r.shard} (${r.unverified.join(", ")} not read)`).join(", ");
}

function setRecoveryPoint(results: readonly EventResult[], report: RunReport): void {
    if (results.some((r) => r.rpoMs === null)) {
        report.setRecoveryPoint({ source: `unknown: the canary's reader could not read every shard after ${unverifiedEvents(results)}, so the ` +
            "acknowledged writes lost there are not known" });
        return;
    }
    const rpo = results.reduce((max, r) => Math.max(max, r.rpoMs ?? 0), 0);
    report.setRecoveryPoint({ estimatedDataLossSeconds: rpo / 1000, source: "the drill's canary: acknowledged writes missing after each event, " +
        "as the newest lost acknowledgement minus the newest surviving one before it (largest over the events)" });
}

/**
 * The drill's verdict from its results: failed (thrown) when writes did not recover, partial when the
 * loss of some event is unknown, succeeded otherwise.
 */
export function drillVerdict(results: readonly EventResult[]): DrillVerdict {
    const unrecovered = results.filter((r) => !r.recovered);
    if (unrecovered.length > 0) {
        throw new Error(`writes did not recover after ${unrecovered.map((r) => `${r.kind} of ${r.shard}`).join(", ")}: ${describeResult(unrecovered[0])}. ` +
            "Check the cluster now (events, node group status, alarms): clients cannot write to those slots.");
    }
    const worst = results.reduce((max, r) => Math.max(max, r.windowMs), 0);
    const measured = `${results.length} event(s) measured: writes unavailable for at most ${worst} ms`;
    if (results.some((r) => r.lostAckedWrites === null)) {
        const found = results.reduce((sum, r) => sum + r.lostAckedWritesFound, 0);
        return {
            outcome: "partial",
            summary: `${measured}; acknowledged writes lost UNKNOWN: the canary's reader could not read every shard after ${unverifiedEvents(results)} ` +
                `(${found} found lost on the shards it read)`,
            nextSteps: ["The data-loss figure of those events is unknown, not 0: check the named shards answer reads (their nodes, the events, " +
                "CloudWatch), then run the drill again to measure it."],
        };
    }
    const lost = results.reduce((sum, r) => sum + (r.lostAckedWrites ?? 0), 0);
    return {
        outcome: "succeeded",
        summary: `${measured}, ${lost} acknowledged write(s) lost`,
        nextSteps: lost > 0 ? ["Acknowledged writes were lost: compare the RPO with what the applications accept, and read the timeline in the report."] : [],
    };
}
