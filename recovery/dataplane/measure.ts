/**
 * The drill's numbers, computed from what the canary recorded: per failover event the time to detect,
 * the write-unavailability window, the acknowledged writes lost and the stale reads, then totals and
 * the median and spread over runs. Pure functions over samples, so the maths is tested on synthetic
 * timelines and the live drill only has to record faithfully.
 *
 * Definitions (times are epoch milliseconds):
 * - A write is acknowledged at `at + latencyMs` of a successful sample. A failed sample became known
 *   at `at + latencyMs` when the server answered with an error, or at `at + attemptTimeoutMs` when the
 *   canary gave up waiting.
 * - Write-unavailability window of a shard: the longest time between two consecutive acknowledgements
 *   that ends after the event started ("last success before the outage -> first success after it").
 *   Counting gaps between acknowledgements, not runs of errors, also catches writes that were held and
 *   answered late (a coordinated failover pauses writers instead of failing them).
 * - A shard had an outage when a write failed after the event started, or the gap exceeds the stall
 *   threshold. The failed-over shard always reports its window, however short (its resolution is one
 *   write period); other shards report 0 unless they had an outage.
 * - Time to detect: from the event's start to the first failed write on the event's shard becoming
 *   known; null when no write failed there.
 * - Recovery point objective (RPO) of a shard: from the acknowledgement of the newest surviving write
 *   before the loss to the acknowledgement of the newest lost one; 0 when nothing was lost.
 */
import { AvailabilityTimeline, Interval, ShardAvailability, TimelineEvent, WriteSample } from "./timeline";

/** A write the server acknowledged, as the canary's bookkeeping knows it. */
export interface AckedWrite {
    seq: number;
    sentAt: number;
    ackedAt: number;
}

/** One read of the newest sequence number of a shard. */
export interface ReadSample {
    at: number;
    ok: boolean;
    /** Round trip, when it got an answer. */
    latencyMs?: number;
    /** The read returned an older sequence number than one acknowledged before the read was sent. */
    stale: boolean;
}

/** Everything the canary recorded for one shard. */
export interface ShardRecord {
    shard: string;
    label: string;
    writes: WriteSample[];
    reads: ReadSample[];
}

/** An acknowledged write the reader no longer finds. */
export interface LostWrite extends AckedWrite {
    /**
     * The newest write acknowledged before this one that the reader still finds: the shard's data is
     * intact up to it. Undefined when no earlier acknowledged write survived.
     */
    recoveryPoint?: AckedWrite;
}

/** What the reader found for one shard: acknowledged writes that are not readable. */
export interface ShardLoss {
    /** Sorted by sequence number. */
    missing: LostWrite[];
}

/** The reader's result at one moment: per shard, cumulative since the canary started. */
export interface Verification {
    at: number;
    shards: Record<string, ShardLoss>;
    /** Shards the reader could not read; their loss is unknown, never assumed zero. */
    unreadable: string[];
}

/** One failover of the drill, as the orchestration saw it. */
export interface DrillEvent {
    /** "cluster-failover" or "kill" locally; free text elsewhere. */
    kind: string;
    /** The shard whose primary was failed over. */
    shard: string;
    startedAt: number;
    /** When the shard's roles had settled and it accepted writes again; undefined when that never happened. */
    recoveredAt?: number;
    /** When the canary's traffic for this event stopped counting (after the settle time). */
    endedAt: number;
    /** The reader's result right after endedAt. */
    verification: Verification;
}

export interface MeasureOptions {
    /** The canary's per-attempt timeout, in ms: when a write that never answered counts as failed. */
    attemptTimeoutMs: number;
    /** A gap between acknowledgements this long counts as an outage even without a failed write, in ms. */
    stallThresholdMs: number;
    /** Start of the first event's span (the canary's start): where "before the outage" may begin. */
    start: number;
}

export interface ShardEventResult {
    shard: string;
    outage: boolean;
    /** 0 without an outage, except on the event's own shard. */
    windowMs: number;
    /** Acknowledgement that opened the window (the last success before the outage); undefined if none in the span. */
    lastAckBefore?: number;
    /** Acknowledgement that closed it; undefined if writes never succeeded again within the span. */
    firstAckAfter?: number;
    /** Writes were acknowledged after the event started and the last write of the span succeeded. */
    recovered: boolean;
    failedWrites: number;
    staleReads: number;
    failedReads: number;
    /** Acknowledged writes newly found missing after this event, by sequence number. */
    lostSeqs: number[];
    rpoMs: number;
}

export interface EventResult {
    kind: string;
    shard: string;
    startedAt: number;
    recoveredAt?: number;
    endedAt: number;
    /** On the event's shard; null when no write failed there. */
    detectMs: number | null;
    /** Max over shards. */
    windowMs: number;
    /** From the event's start to the first acknowledgement after the outage on the event's shard; null when none. */
    recoveryMs: number | null;
    /** Every shard acknowledged writes after the event started and its last write in the span succeeded. */
    recovered: boolean;
    lostAckedWrites: number;
    /** Max over shards. */
    rpoMs: number;
    staleReads: number;
    /** Shards the reader could not verify after the event. */
    unverified: string[];
    shards: ShardEventResult[];
}

export interface DrillTotals {
    events: number;
    writesAttempted: number;
    writesAcknowledged: number;
    writesFailed: number;
    reads: number;
    staleReads: number;
    lostAckedWrites: number;
    maxWindowMs: number;
    eventsNotRecovered: number;
}

/** When a write became known as acknowledged (ok) or failed. */
export function knownAt(sample: WriteSample, attemptTimeoutMs: number): number {
    return sample.at + (sample.latencyMs ?? attemptTimeoutMs);
}

/**
 * Which acknowledged writes a read does not show. Pass only the writes acknowledged before the read
 * was sent: later ones may legitimately be missing from it. (Decide that by the order the
 * acknowledgements arrived, not by their millisecond timestamps, which tie.)
 */
export function findLoss(ackedBeforeRead: readonly AckedWrite[], present: ReadonlySet<number>): ShardLoss {
    const missing: LostWrite[] = [];
    let survivor: AckedWrite | undefined;
    for (const w of [...ackedBeforeRead].sort((a, b) => a.ackedAt - b.ackedAt || a.seq - b.seq)) {
        if (present.has(w.seq)) {
            survivor = w;
        } else {
            missing.push(survivor ? { ...w, recoveryPoint: survivor } : { ...w });
        }
    }
    return { missing: missing.sort((a, b) => a.seq - b.seq) };
}

/**
 * RPO in ms of writes lost together: from the recovery point of the first of them (or, without one,
 * its send) to the acknowledgement of the newest.
 */
export function rpoOf(lost: readonly LostWrite[]): number {
    if (lost.length === 0) {
        return 0;
    }
    const first = lost.reduce((earliest, w) => (w.ackedAt < earliest.ackedAt ? w : earliest));
    const newestLost = Math.max(...lost.map((w) => w.ackedAt));
    return Math.max(0, newestLost - (first.recoveryPoint?.ackedAt ?? first.sentAt));
}

interface Gap {
    from?: number;
    to?: number;
    ms: number;
}

/** The longest gap between acknowledgements that ends after `after`, within (spanStart, spanEnd]. */
function longestGap(acks: readonly number[], after: number, spanStart: number, spanEnd: number, openEnded: boolean): Gap {
    let best: Gap = { ms: 0 };
    for (let i = 0; i < acks.length; i++) {
        if (acks[i] <= after) {
            continue;
        }
        const from = i > 0 ? acks[i - 1] : undefined;
        const ms = acks[i] - (from ?? spanStart);
        if (ms > best.ms) {
            best = { from, to: acks[i], ms };
        }
    }
    const last = acks[acks.length - 1];
    if (openEnded) {
        const ms = spanEnd - (last ?? spanStart);
        if (ms >= best.ms) {
            best = { from: last, ms };
        }
    }
    return best;
}

function measureShard(record: ShardRecord, event: DrillEvent, spanStart: number, options: MeasureOptions, lost: LostWrite[]): ShardEventResult & { firstFailureKnownAt?: number } {
    const inSpan = record.writes.filter((w) => w.at > spanStart && w.at <= event.endedAt);
    const acks = inSpan.filter((w) => w.ok).map((w) => knownAt(w, options.attemptTimeoutMs)).sort((a, b) => a - b);
    const failures = inSpan.filter((w) => !w.ok && knownAt(w, options.attemptTimeoutMs) > event.startedAt);
    const lastSent = inSpan.reduce<WriteSample | undefined>((latest, w) => (!latest || w.at > latest.at ? w : latest), undefined);
    // No acknowledgement since the event started, or still failing at the end of the span: the window has not closed.
    const openEnded = !acks.some((a) => a > event.startedAt) || (lastSent !== undefined && !lastSent.ok && !acks.some((a) => a > lastSent.at));
    const gap = longestGap(acks, event.startedAt, spanStart, event.endedAt, openEnded);
    const outage = failures.length > 0 || gap.ms > options.stallThresholdMs;
    // The failed-over shard always reports its longest gap, however short: that is the event's
    // measurement, at a resolution of one write period. Other shards report one only for an outage.
    const reportGap = outage || record.shard === event.shard;
    const reads = record.reads.filter((r) => r.at > spanStart && r.at <= event.endedAt);
    const firstFailureKnownAt = failures.length > 0 ? Math.min(...failures.map((w) => knownAt(w, options.attemptTimeoutMs))) : undefined;
    return {
        shard: record.shard,
        outage,
        windowMs: reportGap ? gap.ms : 0,
        ...(reportGap && gap.from !== undefined ? { lastAckBefore: gap.from } : {}),
        ...(reportGap && gap.to !== undefined ? { firstAckAfter: gap.to } : {}),
        recovered: !openEnded,
        failedWrites: failures.length,
        staleReads: reads.filter((r) => r.ok && r.stale).length,
        failedReads: reads.filter((r) => !r.ok).length,
        lostSeqs: lost.map((w) => w.seq),
        rpoMs: rpoOf(lost),
        ...(firstFailureKnownAt !== undefined ? { firstFailureKnownAt } : {}),
    };
}

/** Per-event results, in the order of `events`; each event's span starts where the previous one ended. */
export function measureEvents(records: readonly ShardRecord[], events: readonly DrillEvent[], options: MeasureOptions): EventResult[] {
    const seenMissing = new Map<string, Set<number>>(records.map((r) => [r.shard, new Set<number>()]));
    let spanStart = options.start;
    return events.map((event) => {
        if (!records.some((r) => r.shard === event.shard)) {
            throw new Error(`event ${event.kind} names shard ${JSON.stringify(event.shard)}. Accepted: one of the recorded shards ` +
                `${records.map((r) => r.shard).join(", ")}.`);
        }
        const shards = records.map((record) => {
            const loss = event.verification.shards[record.shard] ?? { missing: [] };
            const seen = seenMissing.get(record.shard)!;
            const lost = loss.missing.filter((w) => !seen.has(w.seq));
            lost.forEach((w) => seen.add(w.seq));
            return measureShard(record, event, spanStart, options, lost);
        });
        const own = shards.find((s) => s.shard === event.shard)!;
        spanStart = event.endedAt;
        return {
            kind: event.kind,
            shard: event.shard,
            startedAt: event.startedAt,
            ...(event.recoveredAt !== undefined ? { recoveredAt: event.recoveredAt } : {}),
            endedAt: event.endedAt,
            detectMs: own.firstFailureKnownAt !== undefined ? own.firstFailureKnownAt - event.startedAt : null,
            windowMs: Math.max(...shards.map((s) => s.windowMs)),
            recoveryMs: own.firstAckAfter !== undefined ? own.firstAckAfter - event.startedAt : null,
            recovered: shards.every((s) => s.recovered),
            lostAckedWrites: shards.reduce((sum, s) => sum + s.lostSeqs.length, 0),
            rpoMs: Math.max(...shards.map((s) => s.rpoMs)),
            staleReads: shards.reduce((sum, s) => sum + s.staleReads, 0),
            unverified: [...event.verification.unreadable],
            shards: shards.map(({ firstFailureKnownAt: _unused, ...rest }) => rest),
        };
    });
}

export function drillTotals(records: readonly ShardRecord[], results: readonly EventResult[]): DrillTotals {
    const writes = records.flatMap((r) => r.writes);
    const reads = records.flatMap((r) => r.reads);
    return {
        events: results.length,
        writesAttempted: writes.length,
        writesAcknowledged: writes.filter((w) => w.ok).length,
        writesFailed: writes.filter((w) => !w.ok).length,
        reads: reads.length,
        staleReads: reads.filter((r) => r.ok && r.stale).length,
        lostAckedWrites: results.reduce((sum, r) => sum + r.lostAckedWrites, 0),
        maxWindowMs: results.reduce((max, r) => Math.max(max, r.windowMs), 0),
        eventsNotRecovered: results.filter((r) => !r.recovered).length,
    };
}

/** Maximal runs of failed writes in send order, each from the first failure to the next acknowledgement (or `end`). */
export function downIntervals(writes: readonly WriteSample[], attemptTimeoutMs: number, end: number): Interval[] {
    const ordered = [...writes].sort((a, b) => a.at - b.at);
    const down: Interval[] = [];
    let openedAt: number | undefined;
    for (const w of ordered) {
        if (!w.ok && openedAt === undefined) {
            openedAt = w.at;
        } else if (w.ok && openedAt !== undefined) {
            down.push({ from: openedAt, to: knownAt(w, attemptTimeoutMs) });
            openedAt = undefined;
        }
    }
    if (openedAt !== undefined) {
        down.push({ from: openedAt, to: end });
    }
    return down;
}

/** The chart's input: every shard's samples and down intervals, and the events as markers. */
export function toTimeline(title: string, records: readonly ShardRecord[], results: readonly EventResult[], span: Interval, attemptTimeoutMs: number): AvailabilityTimeline {
    const shards: ShardAvailability[] = records.map((r) => ({
        shard: r.shard,
        label: r.label,
        samples: r.writes,
        down: downIntervals(r.writes, attemptTimeoutMs, span.to),
    }));
    const events: TimelineEvent[] = results.flatMap((r) => [
        { at: r.startedAt, label: `${r.kind} started`, shard: r.shard },
        ...(r.detectMs !== null ? [{ at: r.startedAt + r.detectMs, label: "first failed write", shard: r.shard }] : []),
        ...(r.recoveryMs !== null ? [{ at: r.startedAt + r.recoveryMs, label: "writes acknowledged again", shard: r.shard }] : []),
    ]);
    return { title, start: span.from, end: span.to, shards, events };
}

export interface Spread {
    n: number;
    median: number;
    min: number;
    max: number;
}

/** Median (the mean of the middle two for an even count), min and max; undefined for no values. */
export function spread(values: readonly number[]): Spread | undefined {
    if (values.length === 0) {
        return undefined;
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { n: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}
