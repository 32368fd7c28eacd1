/**
 * The one polling loop for every long operation (promotion, detach, creation, snapshot). Checking one
 * poll result is the caller's business; the loop owns the cadence, the deadline, cancellation,
 * transient errors, and what gets reported.
 *
 * Cadence: the first interval is about 1 s and intervals grow, but the next poll never starts later
 * than max(2 s, 5% of the time waited so far) after the previous one. So an operation that finishes
 * after T is noticed by T + max(2 s, 5% of T): a one-minute promotion within 3 s, a 30-minute
 * creation within 90 s. The SDK's own waiters poll every 15 s to 120 s (sdkWaiterDelayMs below), which
 * costs up to two minutes of recovery time for nothing.
 */
import { Clock, systemClock } from "./clock";
import { AwsCallError, AwsErrorKind, classifyAwsError, isTransient } from "./errors";
import { Emit } from "./events";
import { formatDuration, isoTime } from "./printer";
import { firstLine } from "./progress";

/** What one poll saw. `done` ends the wait; `failed` (a reason) ends it with an error. */
export interface PollResult {
    state: string;
    done: boolean;
    failed?: string;
}

export interface WaitOptions {
    /** What is awaited, for messages: "global datastore ldgnf-prod to become available". */
    waitingFor: string;
    /** Reads the current state once. Errors it throws are classified (see AwsCallError). */
    check: (signal?: AbortSignal) => Promise<PollResult>;
    /** Required: how long to wait, in milliseconds, before giving up. */
    timeoutMs: number;
    signal?: AbortSignal;
    /** Default systemClock. */
    clock?: Clock;
    /** Receives a "waiting" event whenever the observed state changes. */
    emit?: Emit;
    /** Step name for the events. Default "wait". */
    step?: string;
    /** Consecutive unreachable errors before the wait fails. Default 3. */
    maxConsecutiveUnreachable?: number;
    /** Source of jitter in [0, 1). Default Math.random. */
    random?: () => number;
}

/** A run of identical consecutive observations. */
export interface StateRun {
    state: string;
    polls: number;
    firstAt: number;
    lastAt: number;
}

export interface WaitResult {
    state: string;
    elapsedMs: number;
    polls: number;
    history: StateRun[];
}

export const FIRST_INTERVAL_MS = 1000;
const GROWTH = 1.5;
const MIN_CAP_MS = 2000;
const CAP_FRACTION = 0.05;
const JITTER = 0.2;

/** The longest the loop may wait between two poll starts, `elapsedMs` into the wait. */
export function maxIntervalMs(elapsedMs: number): number {
    return Math.max(MIN_CAP_MS, CAP_FRACTION * elapsedMs);
}

/**
 * The interval before poll number `attempt + 1` (attempt counts from 1), started `elapsedMs` into
 * the wait: exponential from about 1 s, capped by maxIntervalMs, jittered downwards only so the cap
 * holds whatever the random draw.
 */
export function pollIntervalMs(attempt: number, elapsedMs: number, random: () => number = Math.random): number {
    const nominal = Math.min(FIRST_INTERVAL_MS * GROWTH ** (attempt - 1), maxIntervalMs(elapsedMs));
    return nominal * (1 - JITTER * random());
}

/**
 * The delay the SDK's generated waiters (waitUntilReplicationGroupAvailable and friends) sleep before
 * poll number `attempt + 1`, reproduced from @smithy/util-waiter for comparisons: the first retry
 * waits exactly minDelay, later ones a uniform draw between minDelay and minDelay·2^(attempt-1)
 * (capped at maxDelay), and once that ceiling is passed exactly maxDelay, without jitter. Near the
 * deadline the SDK shortens the delay to what remains minus 500 ms.
 */
export function sdkWaiterDelayMs(
    attempt: number,
    options: { minDelayMs?: number; maxDelayMs?: number; remainingMs?: number; random?: () => number } = {},
): number {
    const min = options.minDelayMs ?? 15_000;
    const max = options.maxDelayMs ?? 120_000;
    const random = options.random ?? Math.random;
    const ceiling = Math.log(max / min) / Math.log(2) + 1;
    if (attempt > ceiling) {
        return max;
    }
    const waitFor = min + random() * (Math.min(min * 2 ** (attempt - 1), max) - min);
    if (options.remainingMs !== undefined && waitFor > options.remainingMs) {
        return Math.max(0, options.remainingMs - 500);
    }
    return waitFor;
}

export class WaitError extends Error {
    constructor(message: string, readonly waitingFor: string, readonly history: StateRun[], options?: { cause?: unknown }) {
        super(message, options);
        this.name = "WaitError";
    }

    get lastState(): string | undefined {
        return this.history[this.history.length - 1]?.state;
    }
}

export class WaitTimeoutError extends WaitError {
    override name = "WaitTimeoutError";
}

export class WaitAbortedError extends WaitError {
    override name = "WaitAbortedError";
}

/** A summary like "modifying x12 over 23.4s, available x1 at 0ms". */
export function describeHistory(history: StateRun[]): string {
    const byState = new Map<string, { polls: number; spanMs: number }>();
    for (const run of history) {
        const seen = byState.get(run.state) ?? { polls: 0, spanMs: 0 };
        seen.polls += run.polls;
        seen.spanMs += run.lastAt - run.firstAt;
        byState.set(run.state, seen);
    }
    return [...byState].map(([state, s]) => `${state} x${s.polls} over ${formatDuration(s.spanMs)}`).join(", ") || "none";
}

function errorState(kind: AwsErrorKind): string {
    return `error: ${kind}`;
}

function checkOptions(options: WaitOptions): void {
    if (!options.waitingFor?.trim()) {
        throw new Error("waitFor needs waitingFor: a description of what is awaited, for messages.");
    }
    if (!Number.isFinite(options.timeoutMs) || options.timeoutMs <= 0) {
        throw new Error(`waitFor(${options.waitingFor}): timeoutMs is ${JSON.stringify(options.timeoutMs)}. Accepted: a positive number of milliseconds.`);
    }
    const max = options.maxConsecutiveUnreachable;
    if (max !== undefined && (!Number.isInteger(max) || max < 1)) {
        throw new Error(`waitFor(${options.waitingFor}): maxConsecutiveUnreachable is ${JSON.stringify(max)}. Accepted: a whole number of 1 or more.`);
    }
}

export async function waitFor(options: WaitOptions): Promise<WaitResult> {
    checkOptions(options);
    const clock = options.clock ?? systemClock;
    const random = options.random ?? Math.random;
    const maxUnreachable = options.maxConsecutiveUnreachable ?? 3;
    const step = options.step ?? "wait";
    const { waitingFor, signal } = options;
    const start = clock.now();
    const deadline = start + options.timeoutMs;
    const history: StateRun[] = [];
    let polls = 0;
    let unreachableInARow = 0;

    const observe = (state: string, at: number) => {
        const last = history[history.length - 1];
        if (last?.state === state) {
            last.polls += 1;
            last.lastAt = at;
            return;
        }
        history.push({ state, polls: 1, firstAt: at, lastAt: at });
        options.emit?.({ type: "waiting", at, step, waitingFor, state, elapsedMs: at - start });
    };
    const seen = () => `States seen: ${describeHistory(history)}.`;
    const aborted = (reason: unknown): never => {
        throw new WaitAbortedError(`Stopped waiting for ${waitingFor} after ${formatDuration(clock.now() - start)} ` +
            `(${firstLine(reason ?? "aborted")}). Last state: ${history[history.length - 1]?.state ?? "none yet"}. ${seen()}`,
        waitingFor, history, { cause: reason });
    };

    for (;;) {
        if (signal?.aborted) {
            aborted(signal.reason);
        }
        const pollStart = clock.now();
        polls += 1;
        try {
            const result = await options.check(signal);
            unreachableInARow = 0;
            observe(result.state, pollStart);
            if (result.failed !== undefined) {
                throw new WaitError(`${waitingFor} failed after ${formatDuration(pollStart - start)}: ${result.failed} ` +
                    `(state ${result.state}). ${seen()}`, waitingFor, history);
            }
            if (result.done) {
                return { state: result.state, elapsedMs: pollStart - start, polls, history };
            }
        } catch (error) {
            if (error instanceof WaitError) {
                throw error;
            }
            if (signal?.aborted) {
                aborted(signal.reason);
            }
            const kind = error instanceof AwsCallError ? error.kind : classifyAwsError(error);
            observe(errorState(kind), pollStart);
            if (kind === "unreachable") {
                unreachableInARow += 1;
                if (unreachableInARow >= maxUnreachable) {
                    throw new WaitError(`Gave up waiting for ${waitingFor}: ${unreachableInARow} polls in a row could not reach AWS. ` +
                        `Last error: ${firstLine(error)} ${seen()}`, waitingFor, history, { cause: error });
                }
            } else if (!isTransient(kind)) {
                throw new WaitError(`Stopped waiting for ${waitingFor}: ${firstLine(error)} ${seen()}`, waitingFor, history, { cause: error });
            }
        }

        const now = clock.now();
        if (now >= deadline) {
            // The poll just made started at or after the deadline, so the last state reported is current.
            throw new WaitTimeoutError(`Timed out after ${formatDuration(now - start)} waiting for ${waitingFor} ` +
                `(deadline ${isoTime(deadline)}). Last state: ${history[history.length - 1].state}. ${seen()}`, waitingFor, history);
        }
        const nextStart = pollStart + pollIntervalMs(polls, pollStart - start, random);
        try {
            await clock.sleep(Math.max(0, Math.min(nextStart, deadline) - now), signal);
        } catch (reason) {
            aborted(reason);
        }
    }
}
