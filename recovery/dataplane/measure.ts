/**
 * The drill's numbers, computed from what the canary recorded: per failover event the time to the
 * first failed write, the write-unavailability window, the acknowledged writes lost and the stale reads, then totals (the
 * median and spread over runs are in recovery/drill/spread.ts). Pure functions over samples, so the
 * maths is tested on synthetic timelines and the live drill only has to record faithfully.
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
 * - A shard recovered when writes were acknowledged after the event started and the span does not
 *   end failing: its last write succeeded, or fewer than RECOVERED_AFTER_ACKS writes failed at the
 *   very end, right after at least RECOVERED_AFTER_ACKS consecutive acknowledged ones (one slow
 *   answer at the end of a healthy settle period is not an outage that never ended).
 * - The window is what a client sees, not the cluster's own failover: it includes the time the client
 *   takes to find the new primary (a cluster client refreshes its slot map after a MOVED answer or a
 *   failed connection). Its resolution is one write period.
 * - Time to the first failed write, two ways, on the event's shard (null when no write failed there):
 *   from the event's start (firstFailureAfterStartMs: for an AWS TestFailover that is the API call,
 *   and AWS starts the failover a minute or two later, so this mostly measures AWS's delay) and from
 *   the last acknowledgement before it (firstFailureAfterLastAckMs). Either is the client's view: a
 *   write that gets no answer only counts as failed after the canary's attempt timeout and the
 *   client's own retries, so neither says when the cluster noticed the failure.
 * - promotedAfterStartMs: from the event's start to when the orchestration saw the new primary in
 *   place (the local drill: the cluster's roles settled, as often as it polls them); null when it did
 *   not say. recoveryAfterStartMs: from the event's start to the first acknowledgement after the
 *   outage. The window above is the headline: it does not depend on when the event is taken to start.
 * - Recovery point objective (RPO) of a shard: from the acknowledgement of the newest surviving write
 *   before the loss to the acknowledgement of the newest lost one; 0 when nothing was lost. A shard the
 *   reader could not read after the event has no figure (null): its loss is unknown, never 0, and so
 *   are the event's lost writes and RPO.
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
    /** When the new primary was seen in place (roles settled), as the orchestration polls it; undefined when not seen or not polled. */
    promotedAt?: number;
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
    /** Consecutive acknowledged writes that, right before a few failed ones at the end of the span, still count as recovered. Default RECOVERED_AFTER_ACKS. */
    recoveredAfterAcks?: number;
}

/** See "A shard recovered" above. */
export const RECOVERED_AFTER_ACKS = 3;

export interface ShardEventResult {
    shard: string;
    outage: boolean;
    /** 0 without an outage, except on the event's own shard. */
    windowMs: number;
    /** Acknowledgement that opened the window (the last success before the outage); undefined if none in the span. */
    lastAckBefore?: number;
    /** Acknowledgement that closed it; undefined if writes never succeeded again within the span. */
    firstAckAfter?: number;
    /** Writes were acknowledged after the event started and the span does not end failing (see "A shard recovered"). */
    recovered: boolean;
    failedWrites: number;
    staleReads: number;
    failedReads: number;
    /** The reader read this shard after the event; when false, its loss is unknown (lostSeqs and rpoMs null). */
    verified: boolean;
    /** Acknowledged writes newly found missing after this event, by sequence number; null when the shard was not read. */
    lostSeqs: number[] | null;
    rpoMs: number | null;
}

export interface EventResult {
    kind: string;
    shard: string;
    startedAt: number;
    recoveredAt?: number;
    endedAt: number;
    /**
     * From the event's start (for TestFailover: the API call) to the first failed write on its shard
     * becoming known (its error, or the canary's attempt timeout); null when none failed.
     */
    firstFailureAfterStartMs: number | null;
    /**
     * From the last acknowledgement before the first failed write on the event's shard to that failure
     * becoming known; null when none failed. The client's view (attempt timeout, retries), not when the cluster noticed.
     */
    firstFailureAfterLastAckMs: number | null;
    /** From the event's start to the new primary seen in place (DrillEvent.promotedAt); null when not seen. */
    promotedAfterStartMs: number | null;
    /** The write-unavailability window (RTO as clients see it), max over shards: the headline. */
    windowMs: number;
    /** From the event's start (for TestFailover: the API call) to the first acknowledgement after the outage on its shard; null when none. */
    recoveryAfterStartMs: number | null;
    /** Every shard recovered (see ShardEventResult.recovered). */
    recovered: boolean;
    /** Acknowledged writes lost over all shards; null (unknown) when the reader could not read a shard. */
    lostAckedWrites: number | null;
    /** Lost writes the reader found on the shards it read: all of them when every shard was read, a lower bound otherwise. */
    lostAckedWritesFound: number;
    /** Max over shards; null (unknown) when the reader could not read a shard. */
    rpoMs: number | null;
    staleReads: number;
    /** Shards the reader could not verify after the event: their loss is unknown. */
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
    /** Null (unknown) when any event has an unverified shard. */
    lostAckedWrites: number | null;
    maxWindowMs: number;
    eventsNotRecovered: number;
    /** Events after which the reader could not read some shard: their loss is unknown. */
    eventsUnverified: number;
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

/**
 * Whether the writes of a span (in send order) end with the shard taking writes: the last one
 * succeeded, or fewer than `k` failed at the very end, right after `k` consecutive acknowledged ones
 * acknowledged after the event started.
 */
function endsTakingWrites(ordered: readonly WriteSample[], startedAt: number, k: number, attemptTimeoutMs: number): boolean {
    let failedAtEnd = 0;
    while (failedAtEnd < ordered.length && !ordered[ordered.length - 1 - failedAtEnd].ok) {
        failedAtEnd += 1;
    }
    if (failedAtEnd === 0) {
        return true;
    }
    const before = ordered.slice(0, ordered.length - failedAtEnd).slice(-k);
    return failedAtEnd < k && before.length === k && before.every((w) => w.ok && knownAt(w, attemptTimeoutMs) > startedAt);
}

type MeasuredShard = ShardEventResult & { firstFailureKnownAt?: number; lastAckBeforeFailure?: number };

function measureShard(record: ShardRecord, event: DrillEvent, spanStart: number, options: MeasureOptions, lost: LostWrite[] | null): MeasuredShard {
    const inSpan = record.writes.filter((w) => w.at > spanStart && w.at <= event.endedAt).sort((a, b) => a.at - b.at);
    const acks = inSpan.filter((w) => w.ok).map((w) => knownAt(w, options.attemptTimeoutMs)).sort((a, b) => a - b);
    const failures = inSpan.filter((w) => !w.ok && knownAt(w, options.attemptTimeoutMs) > event.startedAt);
    const lastSent = inSpan[inSpan.length - 1];
    // No acknowledgement since the event started, or still failing at the end of the span (an answer
    // that arrived after the last write was sent counts as taking writes): the window has not closed.
    const endsFailing = lastSent !== undefined && !acks.some((a) => a > lastSent.at) &&
        !endsTakingWrites(inSpan, event.startedAt, options.recoveredAfterAcks ?? RECOVERED_AFTER_ACKS, options.attemptTimeoutMs);
    const openEnded = !acks.some((a) => a > event.startedAt) || endsFailing;
    const gap = longestGap(acks, event.startedAt, spanStart, event.endedAt, openEnded);
    const outage = failures.length > 0 || gap.ms > options.stallThresholdMs;
    // The failed-over shard always reports its longest gap, however short: that is the event's
    // measurement, at a resolution of one write period. Other shards report one only for an outage.
    const reportGap = outage || record.shard === event.shard;
    const reads = record.reads.filter((r) => r.at > spanStart && r.at <= event.endedAt);
    const firstFailureKnownAt = failures.length > 0 ? Math.min(...failures.map((w) => knownAt(w, options.attemptTimeoutMs))) : undefined;
    // The last acknowledgement before the failure may belong to the previous span: an event that starts
    // right after another one fails writes before this span has acknowledged any.
    const acksBeforeFailure = firstFailureKnownAt === undefined ? [] : record.writes.filter((w) => w.ok)
        .map((w) => knownAt(w, options.attemptTimeoutMs)).filter((a) => a <= firstFailureKnownAt).sort((a, b) => a - b);
    const lastAckBeforeFailure = acksBeforeFailure.length > 0 ? acksBeforeFailure[acksBeforeFailure.length - 1] : undefined;
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
        verified: lost !== null,
        lostSeqs: lost === null ? null : lost.map((w) => w.seq),
        rpoMs: lost === null ? null : rpoOf(lost),
        ...(firstFailureKnownAt !== undefined ? { firstFailureKnownAt } : {}),
        ...(lastAckBeforeFailure !== undefined ? { lastAckBeforeFailure } : {}),
    };
}

/** The sum, or null when any part is unknown. */
function knownSum(values: readonly (number | null)[]): number | null {
    return values.some((v) => v === null) ? null : values.reduce<number>((sum, v) => sum + (v as number), 0);
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
            if (event.verification.unreadable.includes(record.shard)) {
                return measureShard(record, event, spanStart, options, null);
            }
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
            promotedAfterStartMs: event.promotedAt !== undefined ? event.promotedAt - event.startedAt : null,
            firstFailureAfterStartMs: own.firstFailureKnownAt !== undefined ? own.firstFailureKnownAt - event.startedAt : null,
            firstFailureAfterLastAckMs: own.firstFailureKnownAt !== undefined && own.lastAckBeforeFailure !== undefined
                ? own.firstFailureKnownAt - own.lastAckBeforeFailure : null,
            windowMs: Math.max(...shards.map((s) => s.windowMs)),
            recoveryAfterStartMs: own.firstAckAfter !== undefined ? own.firstAckAfter - event.startedAt : null,
            recovered: shards.every((s) => s.recovered),
            lostAckedWrites: knownSum(shards.map((s) => s.lostSeqs?.length ?? null)),
            lostAckedWritesFound: shards.reduce((sum, s) => sum + (s.lostSeqs?.length ?? 0), 0),
            rpoMs: shards.some((s) => s.rpoMs === null) ? null : Math.max(...shards.map((s) => s.rpoMs as number)),
            staleReads: shards.reduce((sum, s) => sum + s.staleReads, 0),
            unverified: records.map((r) => r.shard).filter((shard) => event.verification.unreadable.includes(shard)),
            shards: shards.map(({ firstFailureKnownAt: _unused, lastAckBeforeFailure: _alsoUnused, ...rest }) => rest),
        };
    });
}

/**
 * "2 acknowledged writes lost (RPO 40 ms)", or, when the reader could not read a shard, that the loss
 * is unknown, naming the shards: never "0 lost" for writes nobody checked.
 */
export function describeLoss(r: Pick<EventResult, "lostAckedWrites" | "lostAckedWritesFound" | "rpoMs" | "unverified">): string {
    if (r.lostAckedWrites === null || r.rpoMs === null) {
        return `acknowledged writes lost UNKNOWN: the reader could not read ${r.unverified.join(", ")} after the event ` +
            `(${r.lostAckedWritesFound} found lost on the shards it read)`;
    }
    return `${r.lostAckedWrites} acknowledged writes lost (RPO ${r.rpoMs} ms)`;
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
        lostAckedWrites: knownSum(results.map((r) => r.lostAckedWrites)),
        maxWindowMs: results.reduce((max, r) => Math.max(max, r.windowMs), 0),
        eventsNotRecovered: results.filter((r) => !r.recovered).length,
        eventsUnverified: results.filter((r) => r.unverified.length > 0).length,
    };
}

/**
 * Maximal runs of failed writes in send order, each from the first failure to the next acknowledgement
 * (or `end`), sorted and never overlapping: a write sent before an acknowledgement arrived may fail
 * after it (a slow answer closes a run after the next failure was sent), and that failure extends the
 * run instead of opening one inside it.
 */
export function downIntervals(writes: readonly WriteSample[], attemptTimeoutMs: number, end: number): Interval[] {
    const ordered = [...writes].sort((a, b) => a.at - b.at);
    const down: Interval[] = [];
    const close = (from: number, to: number) => {
        const last = down[down.length - 1];
        if (last && from <= last.to) {
            last.to = Math.max(last.to, to);
        } else {
            down.push({ from, to });
        }
    };
    let openedAt: number | undefined;
    for (const w of ordered) {
        if (!w.ok && openedAt === undefined) {
            openedAt = w.at;
        } else if (w.ok && openedAt !== undefined) {
            close(openedAt, knownAt(w, attemptTimeoutMs));
            openedAt = undefined;
        }
    }
    if (openedAt !== undefined) {
        close(openedAt, end);
    }
    return down;
}

/** The chart's input: every shard's samples and down intervals, the events as markers, and notes that explain what the chart shows. */
export function toTimeline(title: string, records: readonly ShardRecord[], results: readonly EventResult[], span: Interval, attemptTimeoutMs: number,
    notes: readonly string[] = []): AvailabilityTimeline {
    const shards: ShardAvailability[] = records.map((r) => ({
        shard: r.shard,
        label: r.label,
        samples: r.writes,
        down: downIntervals(r.writes, attemptTimeoutMs, span.to),
    }));
    const events: TimelineEvent[] = results.flatMap((r) => [
        { at: r.startedAt, label: `${r.kind} started`, shard: r.shard },
        ...(r.firstFailureAfterStartMs !== null ? [{ at: r.startedAt + r.firstFailureAfterStartMs, label: "first failed write", shard: r.shard }] : []),
        ...(r.promotedAfterStartMs !== null ? [{ at: r.startedAt + r.promotedAfterStartMs, label: "promoted (roles settled)", shard: r.shard }] : []),
        ...(r.recoveryAfterStartMs !== null ? [{ at: r.startedAt + r.recoveryAfterStartMs, label: "writes acknowledged again", shard: r.shard }] : []),
    ]);
    return { title, start: span.from, end: span.to, shards, events, ...(notes.length > 0 ? { notes: [...notes] } : {}) };
}
