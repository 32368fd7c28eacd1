/**
 * The one place that decides what to do with the answer to a call that changes something in AWS:
 * snapshots, TestFailover, the failover and the detach, deletions, writer parameter writes. Each is
 * sent through a client that makes a single attempt (RegionClients ...ForChanges): an SDK retry cannot
 * tell whether the first attempt took effect; this can, because the caller says how to look for it.
 *
 * - Accepted: done.
 * - Not processed (throttled, errors.ts changeAnswer): nothing happened. Asked again after an
 *   exponential backoff with full jitter (as the SDK's own retry strategy does, and "Exponential Backoff
 *   And Jitter", AWS Architecture Blog), for a bounded time; before each new attempt the change is
 *   looked for, since someone else may have made it meanwhile.
 * - Unclear (no answer, a server error): the request may have taken effect. The state is read again;
 *   a change that shows is taken as made. Otherwise an UnclearChangeError goes back to the caller,
 *   which knows whether asking again is safe (a promotion is asked again, a snapshot is not).
 * - Refused: thrown as it is.
 */
import { Clock } from "./clock";
import { AwsCallContext, AwsCallError, callAws, changeAnswer } from "./errors";
import { formatDuration } from "./printer";
import { StepContext, firstLine } from "./progress";

/** How long throttling may hold a change up, from its first throttled answer, unless the caller says otherwise. */
export const THROTTLE_BOUND_MS = 2 * 60_000;
/** The backoff before the n-th new attempt is a uniform draw up to min(MAX, BASE·2^(n-1)), as the SDK's (MAXIMUM_RETRY_DELAY 20 s). */
export const THROTTLE_BACKOFF_BASE_MS = 1000;
export const THROTTLE_BACKOFF_MAX_MS = 20_000;

/** Why the change is looked for: after a throttled answer only its own effect counts; after an unclear one, also a change under way. */
export type LookReason = "throttled" | "unclear";

export interface ChangeRequest {
    context: AwsCallContext;
    /** Sends the request once. */
    send(signal?: AbortSignal): Promise<unknown>;
    /**
     * Reads whether the change shows already: a phrase saying what shows it, for the run's output
     * ("the datastore now shows ..."), or undefined. Someone else's change, or an attempt whose answer
     * was lost, can have made it. `answer` is the failure that made the look necessary; a look that
     * cannot be made throws.
     */
    lookFor(reason: LookReason, signal?: AbortSignal, answer?: AwsCallError): Promise<string | undefined>;
    clock: Clock;
    signal?: AbortSignal;
    /** Told every throttled answer, every look and every wait. Default: nobody. */
    step?: Pick<StepContext, "found">;
    /** How long throttling may hold the change up, from its first throttled answer. Default THROTTLE_BOUND_MS. */
    throttleBoundMs?: number;
    /** No new attempt is started after this instant (epoch ms), whatever the bound. Default: none. */
    deadline?: number;
    /** Source of jitter in [0, 1). Default Math.random. */
    random?: () => number;
}

export type ChangeOutcome =
    | { result: "accepted"; throttled: number }
    /** The change showed before an answer said so: `seen` says how. */
    | { result: "already"; seen: string; reason: LookReason; throttled: number };

/** The change was throttled until the bound: none of the attempts was processed, so nothing was changed by them. */
export class ChangeThrottledError extends AwsCallError {
    constructor(context: AwsCallContext, last: AwsCallError, readonly attempts: number, readonly waitedMs: number) {
        super(context, last.cause ?? last);
        this.name = "ChangeThrottledError";
        this.message = `AWS throttled ${context.operation} in ${context.region} ${attempts} times over ${formatDuration(waitedMs)} ` +
            `(last answer: ${last.code}: ${firstLine(errorText(last.cause ?? last))}). A throttled request is not processed, so nothing was ` +
            `changed by ${context.operation}. Other tools calling ${context.service} in this account and region share the limit: wait a few ` +
            "minutes, then run the same command again.";
    }
}

/** An unclear answer whose change does not show: `stateRead` false when the state could not be read either. */
export class UnclearChangeError extends AwsCallError {
    constructor(context: AwsCallContext, original: AwsCallError, readonly stateRead: boolean) {
        super(context, original.cause ?? original);
        this.name = "UnclearChangeError";
    }
}

function errorText(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/** The wait before attempt number `attempt + 1` after `attempt` throttled answers in a row. */
export function throttleBackoffMs(attempt: number, random: () => number = Math.random): number {
    return random() * Math.min(THROTTLE_BACKOFF_MAX_MS, THROTTLE_BACKOFF_BASE_MS * 2 ** (attempt - 1));
}

/** Sends a change and settles what its answer means (see the file comment). */
export async function sendChange(request: ChangeRequest): Promise<ChangeOutcome> {
    const { context, clock, signal, step } = request;
    const random = request.random ?? Math.random;
    const what = `${context.operation} in ${context.region}`;
    let throttled = 0;
    let firstThrottledAt: number | undefined;
    for (;;) {
        let error: AwsCallError;
        try {
            await callAws(context, () => request.send(signal));
            return { result: "accepted", throttled };
        } catch (e) {
            if (!(e instanceof AwsCallError)) {
                throw e;
            }
            error = e;
        }
        const answer = changeAnswer(error.kind);
        if (answer === "refused") {
            throw error;
        }
        if (answer === "unclear") {
            return settleUnclear(request, error, throttled);
        }
        throttled += 1;
        firstThrottledAt ??= clock.now();
        const pause = throttleBackoffMs(throttled, random);
        const bound = Math.min(firstThrottledAt + (request.throttleBoundMs ?? THROTTLE_BOUND_MS), request.deadline ?? Infinity);
        if (clock.now() + pause > bound) {
            throw new ChangeThrottledError(context, error, throttled, clock.now() - firstThrottledAt);
        }
        step?.found(`${what} answered ${error.code} (${firstLine(errorText(error.cause ?? error))}): AWS did not process it, so nothing changed; ` +
            `looking for the change, then asking again in ${formatDuration(pause)} (throttled ${throttled} time${throttled === 1 ? "" : "s"}; ` +
            `giving up ${formatDuration(Math.max(0, bound - clock.now()))} from now)`, { level: "warn" });
        await clock.sleep(pause, signal);
        let seen: string | undefined;
        try {
            seen = await request.lookFor("throttled", signal, error);
        } catch (lookError) {
            // Our attempts were all throttled, so nothing of ours is under way: asking again is safe, and AWS refuses a duplicate.
            step?.found(`could not look for the change before asking again (${firstLine(lookError)}); asking anyway`, { level: "warn" });
        }
        if (seen !== undefined) {
            step?.found(`${seen}: the change was made meanwhile, so ${context.operation} is not asked again`, { level: "warn" });
            return { result: "already", seen, reason: "throttled", throttled };
        }
    }
}

/** An unclear answer: the state decides; a change that does not show leaves the error to the caller. */
async function settleUnclear(request: ChangeRequest, error: AwsCallError, throttled: number): Promise<ChangeOutcome> {
    const { context, step, signal } = request;
    let seen: string | undefined;
    try {
        seen = await request.lookFor("unclear", signal, error);
    } catch (lookError) {
        step?.found(`${context.operation} in ${context.region} answered ${error.code} (${error.kind}), and reading the state failed too ` +
            `(${firstLine(lookError)}): whether it took effect is unknown`, { level: "warn" });
        throw new UnclearChangeError(context, error, false);
    }
    const answered = `${context.operation} in ${context.region} answered ${error.code} (${error.kind})`;
    if (seen === undefined) {
        step?.found(`${answered}; the state read again does not show the change`, { level: "warn" });
        throw new UnclearChangeError(context, error, true);
    }
    step?.found(`${answered}, but ${seen}: the change may be under way (made by an attempt whose answer was lost), so it is waited for ` +
        "and not asked again", { level: "warn" });
    return { result: "already", seen, reason: "unclear", throttled };
}
