/**
 * A bound on a call that has no timeout of its own, such as a Pulumi operation against a state backend
 * that hangs. The call is not cancelled (the Automation API cannot be), only no longer waited for.
 */
import { Clock } from "../clock";
import { formatDuration } from "../printer";

/** `what` did not finish within the bound. */
export class DeadlineError extends Error {
    constructor(readonly what: string, readonly timeoutMs: number) {
        super(`${what} did not finish within ${formatDuration(timeoutMs)}`);
        this.name = "DeadlineError";
    }
}

/** Resolves or rejects as `work` does, or rejects with DeadlineError after `timeoutMs` on `clock`, whichever comes first. */
export async function withinTimeout<T>(work: Promise<T>, timeoutMs: number, clock: Clock, what: string, signal?: AbortSignal): Promise<T> {
    if (!Number.isFinite(timeoutMs) || timeoutMs <= 0) {
        throw new Error(`withinTimeout(${what}): timeoutMs is ${JSON.stringify(timeoutMs)}. Accepted: a positive number of milliseconds.`);
    }
    const timer = new AbortController();
    const stop = () => timer.abort(signal?.reason);
    signal?.addEventListener("abort", stop, { once: true });
    // Rejects with the caller's abort reason when aborted; with the timer's own abort once the work settled, which nobody sees.
    const expired = clock.sleep(timeoutMs, timer.signal).then(() => {
        throw new DeadlineError(what, timeoutMs);
    });
    try {
        return await Promise.race([work, expired]);
    } finally {
        signal?.removeEventListener("abort", stop);
        timer.abort();
        // The race is decided; the loser's rejection must not surface as unhandled.
        expired.catch(() => undefined);
        work.catch(() => undefined);
    }
}

/**
 * How long an outage run waits for the stack (opening it, reading its outputs) before it goes on with
 * the stack file and the ids the configuration derives: the state backend may live in the failed
 * region, and a backend that hangs instead of failing must not hold up the promotion.
 */
export const OUTAGE_STACK_TIMEOUT_MS = 20_000;
