/**
 * Where the lost-writes window starts: the last moment the serving cluster is known to have received
 * the old primary's writes. That is the detach, or earlier when replication had already stopped (the
 * old region went silent first): whatever the old primary took after that is missing from the serving
 * cluster. Every source available is used and the earliest wins, so the window is never too short:
 * - the outage run's JSON report in the report directory: the time AWS accepted the detach, and the
 *   last replication-lag datapoint when the metric had gone silent (the earlier of the two);
 * - the serving group's own events (AWS keeps them 14 days).
 * --detached-at replaces both: it is a human's statement of that moment.
 */
import * as fs from "node:fs/promises";
import * as path from "node:path";
import { DescribeEventsCommand } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { callAws } from "../errors";
import { ReportDocument } from "../report";

/** AWS keeps ElastiCache events for 14 days. */
const EVENT_RETENTION_MS = 14 * 24 * 60 * 60_000;
/** The events of one detach fall within this span (started, then completed); an outage report older than that belongs to an earlier one. */
const ONE_DETACH_MS = 24 * 60 * 60_000;

export interface DetachTime {
    at: number;
    source: string;
}

/**
 * When the serving group left the old datastore, from its events in its own region. AWS does not
 * document the wording of these events, so any event of the group that mentions a disassociation
 * counts, and the earliest of the last detach is taken.
 */
export async function detachTimeFromEvents(clients: RegionClients, region: string, groupId: string, nowMs: number, signal?: AbortSignal): Promise<DetachTime | undefined> {
    const matches: number[] = [];
    let marker: string | undefined;
    do {
        const page = await callAws({ region, service: "elasticache", operation: "DescribeEvents" }, () => clients.elastiCache(region).send(new DescribeEventsCommand({
            SourceType: "replication-group", SourceIdentifier: groupId, StartTime: new Date(nowMs - EVENT_RETENTION_MS), EndTime: new Date(nowMs), Marker: marker,
        }), { abortSignal: signal }));
        for (const event of page.Events ?? []) {
            if (/disassociat/i.test(event.Message ?? "") && event.Date) {
                matches.push(event.Date.getTime());
            }
        }
        marker = page.Marker;
    } while (marker);
    if (matches.length === 0) {
        return undefined;
    }
    const last = Math.max(...matches);
    const first = Math.min(...matches.filter((at) => at >= last - ONE_DETACH_MS));
    return { at: first, source: `the events of ${groupId} in ${region} (DescribeEvents)` };
}

/**
 * The newest report of an outage run of `stack` that detached `servingRegion`'s group, read from
 * `reportDir`: the earlier of its detach time and its last replication-lag datapoint. Undefined when
 * the directory holds none (the outage may have been run elsewhere); unreadable files are skipped.
 */
export async function detachTimeFromOutageReport(reportDir: string, stack: string, servingRegion: string): Promise<DetachTime | undefined> {
    let names: string[];
    try {
        names = (await fs.readdir(reportDir)).filter((n) => n.endsWith("-retarget-primary.json")).sort().reverse();
    } catch {
        return undefined;
    }
    for (const name of names) {
        let doc: Partial<ReportDocument>;
        try {
            doc = JSON.parse(await fs.readFile(path.join(reportDir, name), "utf8")) as Partial<ReportDocument>;
        } catch {
            continue;
        }
        const inputs = doc.inputs ?? {};
        if (inputs.stack !== stack || inputs.to !== servingRegion || inputs.mode !== "outage" || !doc.detachAcceptedAt) {
            continue;
        }
        const detach = Date.parse(doc.detachAcceptedAt);
        const silentAt = typeof doc.recoveryPoint === "object" && doc.recoveryPoint.silentSince ? Date.parse(doc.recoveryPoint.silentSince.at) : NaN;
        const file = path.join(reportDir, name);
        return !Number.isNaN(silentAt) && silentAt < detach
            ? { at: silentAt, source: `the outage run's report ${file}: the replication lag's last datapoint, before the detach at ${doc.detachAcceptedAt}` }
            : { at: detach, source: `the outage run's report ${file}: the detach accepted` };
    }
    return undefined;
}

export interface DetachTimeSources {
    /** --detached-at (epoch ms): replaces the other sources. */
    detachedAtMs?: number;
    /** Where the outage run wrote its report; undefined: not looked at. */
    reportDir?: string;
    stack: string;
    servingRegion: string;
    servingGroupId: string;
    nowMs: number;
}

/** The window's start from every source available, the earliest winning; undefined when none says. */
export async function resolveDetachTime(sources: DetachTimeSources, clients: RegionClients, signal?: AbortSignal): Promise<DetachTime | undefined> {
    if (sources.detachedAtMs !== undefined) {
        return { at: sources.detachedAtMs, source: "--detached-at" };
    }
    const events = await detachTimeFromEvents(clients, sources.servingRegion, sources.servingGroupId, sources.nowMs, signal);
    const report = sources.reportDir === undefined ? undefined : await detachTimeFromOutageReport(sources.reportDir, sources.stack, sources.servingRegion);
    // A report from an earlier outage than the detach the events record is not about this one.
    const relevant = report && (!events || report.at >= events.at - ONE_DETACH_MS) ? report : undefined;
    const found = [events, relevant].filter((d): d is DetachTime => d !== undefined).sort((a, b) => a.at - b.at);
    return found[0];
}
