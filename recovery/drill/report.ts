/**
 * The local drill's report: `<timestamp>-drill-local.json` for tools, `.md` for people, and the SVG
 * timeline of write availability the Markdown embeds (one per run: `<timestamp>-drill-local.svg` for a
 * single run, `<timestamp>-drill-local-run<N>.svg` each when there are several).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { EventResult } from "../dataplane/measure";
import { CpuCost } from "./cpu";
import { formatDuration, isoTime } from "../lib/printer";
import { DEFAULT_REPORT_DIRECTORY, fileTimestamp } from "../lib/report";
import { renderTimelineSvg } from "../report/timeline-svg";
import { LOOPBACK_LOSS, STALL_MEANS, WHOLE_CLUSTER_REFUSES, outagesText, refusedElsewhere, stalledElsewhere, windowPrecision } from "./figures";
import { FAILOVER_KINDS, KindAggregate, LocalDrillResult } from "./local";
import { Spread } from "./spread";

export const DRILL_PROGRAM = "drill-local";

export interface DrillReportFiles {
    json: string;
    markdown: string;
    svgs: string[];
}

/** The result as written to JSON: per-sample data is left out (thousands of samples per run), counts kept. */
export function reportDocument(result: LocalDrillResult): unknown {
    return {
        program: DRILL_PROGRAM,
        startedAt: isoTime(result.startedAt),
        finishedAt: isoTime(result.finishedAt),
        settings: result.settings,
        aggregate: result.aggregate,
        cpu: result.cpu,
        cpuSteadyState: result.cpuSteadyState,
        runs: result.runs.map(({ timeline, ...run }) => ({
            ...run,
            startedAt: isoTime(run.startedAt),
            endedAt: isoTime(run.endedAt),
            downIntervals: Object.fromEntries(timeline.shards.map((s) => [s.shard, s.down.map((d) => ({ from: isoTime(d.from), to: isoTime(d.to) }))])),
            samples: Object.fromEntries(timeline.shards.map((s) => [s.shard, s.samples.length])),
        })),
    };
}

function ms(value: number | null | undefined): string {
    return value === null || value === undefined ? "-" : `${Math.round(value)} ms`;
}

/** One event's figure, or "min / median / max" over several; whole numbers (counts come as countSpread's). */
function spreadText(s: Spread | undefined, unit = " ms"): string {
    if (!s) {
        return "-";
    }
    const round = (v: number) => `${Math.round(v)}${unit}`;
    return s.n === 1 ? round(s.median) : `${round(s.min)} / ${round(s.median)} / ${round(s.max)}`;
}

function cell(text: string): string {
    return text.replace(/\|/g, "\\|").replace(/\n/g, " ");
}

/** A loss figure over events, with the events whose loss is unknown said, never folded in as 0. */
function lossText(s: Spread | undefined, a: KindAggregate, unit: string): string {
    return a.eventsWithUnknownLoss === 0 ? spreadText(s, unit)
        : `${spreadText(s, unit)} (**unknown for ${a.eventsWithUnknownLoss} of ${a.events}**: a shard could not be read)`;
}

function aggregateRow(kind: string, a: KindAggregate): string {
    return `| ${kind} | ${a.events} | ${spreadText(a.windowMs)} | ${spreadText(a.promotedAfterStartMs)} | ${spreadText(a.recoveryAfterStartMs)} | ` +
        `${spreadText(a.firstFailureAfterLastAckMs)} | ${spreadText(a.firstFailureAfterStartMs)} | ${lossText(a.lostAckedWrites, a, "")} | ` +
        `${lossText(a.rpoMs, a, " ms")} | ${spreadText(a.staleReads, "")} |`;
}

function eventRow(e: EventResult): string {
    const others = [outagesText(refusedElsewhere(e)), stalledElsewhere(e).length > 0 ? `stalled, no write failed: ${outagesText(stalledElsewhere(e))}` : ""]
        .filter(Boolean).join("; ") || "none";
    const unknown = `**unknown** (${e.lostAckedWritesFound} found on the shards read)`;
    return `| ${e.kind} | ${e.shard} | ${isoTime(e.startedAt)} | ${ms(e.windowMs)} | ${ms(e.promotedAfterStartMs)} | ${ms(e.recoveryAfterStartMs)} | ` +
        `${ms(e.firstFailureAfterLastAckMs)} | ${ms(e.firstFailureAfterStartMs)} | ` +
        `${e.lostAckedWrites === null ? unknown : e.lostAckedWrites} | ${e.rpoMs === null ? "**unknown**" : ms(e.rpoMs)} | ` +
        `${e.staleReads} | ${e.recovered ? "yes" : "**no**"} | ${e.unverified.join(", ") || "none"} | ${cell(others)} |`;
}

function cpuText(cost: CpuCost | undefined): string {
    if (!cost) {
        return "not measured";
    }
    return `${cost.processPercent} % (${Math.round(cost.processCpuMs)} ms over ${formatDuration(cost.wallMs)})` +
        `${cost.serversPercent !== undefined ? `, redis-server processes together ${cost.serversPercent} %` : ""}`;
}

export function renderDrillMarkdown(result: LocalDrillResult, svgNames: readonly string[]): string {
    const s = result.settings;
    const periodMs = Math.round(1000 / s.ratePerShard);
    const cpu = result.cpu;
    const steady = result.cpuSteadyState;
    const lines = [
        "# Local failover drill",
        "",
        `Started ${isoTime(result.startedAt)}, finished ${isoTime(result.finishedAt)} (${formatDuration(result.finishedAt - result.startedAt)}).`,
        "",
        `- Cluster: Redis Cluster on loopback, ${s.primaries} primaries with ${s.replicasPerPrimary} replica(s) each, cluster-node-timeout ${s.nodeTimeoutMs} ms, a fresh cluster per run.`,
        `- Failovers per run, in order: ${s.kinds.join(", ")}; runs: ${s.runs}; each on the next shard in turn.`,
        `- Canary: ${s.ratePerShard} acknowledged writes and ${s.readRatePerShard} reads per second per shard, ` +
        `${s.attemptTimeoutMs} ms per attempt.`,
        `- CPU of the measurement, over the runs: this process (canary and drill) ${cpuText(cpu)}; ` +
        `with a healthy cluster (warm-up, no failover) ${cpuText(steady)}. 100 % is one core.`,
        "",
        `## Results per failover kind${s.runs > 1 ? ` (min / median / max over ${s.runs} runs)` : ""}`,
        "",
        "| failover | events | write-unavailability window (RTO) | promoted (roles settled) after the failover command | " +
        "first acknowledged write after the failover command | time to the first failed write (from the last acknowledgement) | " +
        "first failed write after the failover command | acknowledged writes lost | RPO | stale reads |",
        "|---|---|---|---|---|---|---|---|---|---|",
        ...FAILOVER_KINDS.filter((k) => result.aggregate[k]).map((k) => aggregateRow(k, result.aggregate[k]!)),
    ];
    for (const [index, run] of result.runs.entries()) {
        lines.push("", `## Run ${run.run}`, "", `![write availability per shard](${svgNames[index]})`, "",
            "| failover | shard | started | window (RTO) | promoted (roles settled) after the command | first acknowledged write after the command | " +
            "time to the first failed write (from the last acknowledgement) | first failed write after the command | acknowledged writes lost | RPO | " +
            "stale reads | recovered | unverified shards | other shards that refused writes or stalled |",
            "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
            ...run.events.map(eventRow), "",
            `Writes: ${run.totals.writesAttempted} sent, ${run.totals.writesAcknowledged} acknowledged, ${run.totals.writesFailed} failed; ` +
            `reads: ${run.totals.reads}, stale: ${run.totals.staleReads}; acknowledged writes lost: ` +
            `${run.totals.lostAckedWrites === null ? `**unknown** (the reader could not read every shard after ${run.totals.eventsUnverified} event(s))` : run.totals.lostAckedWrites}.` +
            `${run.skippedTicks > 0 ? ` The event loop fell behind: ${run.skippedTicks} scheduled writes were skipped.` : ""}` +
            `${run.skippedKinds.length > 0 ? ` **Not run (an earlier failover never settled): ${run.skippedKinds.join(", ")}.**` : ""}`);
    }
    lines.push("", "## How the numbers are measured", "",
        "- **Write-unavailability window (RTO)**: per shard, the longest time between two consecutive acknowledged canary writes " +
        "that ends after the failover started (last success before the outage to first success after it); the row shows the maximum over shards. " +
        windowPrecision(periodMs),
        "- **Promoted (roles settled)**: from the failover command (or SIGKILL) to the first look at the cluster's roles (every 100 ms) that shows a " +
        "former replica as the shard's primary and the old primary gone or its replica: when the cluster promoted, beside which the window shows " +
        "what clients lost.",
        "- **First acknowledged write after the failover command**: from the failover command (or SIGKILL) to that first success on the failed-over shard.",
        "- **Time to the first failed write**: from the last acknowledged canary write before the first failed one to that failure becoming known (an " +
        `error, or no answer within the canary's ${s.attemptTimeoutMs} ms attempt timeout, after the client's own retries); also given from the ` +
        "failover command. It is the client's view, not when the cluster noticed the failure. \"-\" when none failed (a coordinated failover holds " +
        "writes instead of failing them).",
        `- **Other shards that refused writes**: during a kill, ${WHOLE_CLUSTER_REFUSES}. The chart shows it as red on those shards. ` +
        `Other shards listed as stalled: ${STALL_MEANS}.`,
        "- **Acknowledged writes lost**: sequence numbers the cluster acknowledged that the reader no longer finds after the failover. " +
        "**RPO**: from the newest surviving acknowledged write before the loss to the newest lost one. When the reader could not read a shard " +
        `after a failover, both are **unknown** for it (never 0), and the shard is listed as unverified. ${LOOPBACK_LOSS}`,
        "- **Stale reads**: reads that returned an older sequence number than one acknowledged before the read was sent.",
        "");
    return lines.join("\n");
}

/** Writes the JSON, the Markdown and one SVG per run; returns their paths. */
export async function writeDrillReport(result: LocalDrillResult, directory: string = DEFAULT_REPORT_DIRECTORY): Promise<DrillReportFiles> {
    await fs.mkdir(directory, { recursive: true });
    const base = `${fileTimestamp(result.startedAt)}-${DRILL_PROGRAM}`;
    const svgNames = result.runs.map((run) => (result.runs.length === 1 ? `${base}.svg` : `${base}-run${run.run}.svg`));
    await Promise.all(result.runs.map((run, index) => fs.writeFile(path.join(directory, svgNames[index]), renderTimelineSvg(run.timeline))));
    const json = path.join(directory, `${base}.json`);
    const markdown = path.join(directory, `${base}.md`);
    await fs.writeFile(json, `${JSON.stringify(reportDocument(result), null, 2)}\n`);
    await fs.writeFile(markdown, renderDrillMarkdown(result, svgNames));
    return { json, markdown, svgs: svgNames.map((name) => path.join(directory, name)) };
}
