import { Clock } from "../../../recovery/lib/clock";

interface Sleeper {
    due: number;
    /** Tie-breaker: sleepers due at the same instant wake in the order they went to sleep. */
    seq: number;
    wake: () => void;
}

/**
 * A Clock whose `sleep` returns as soon as nothing else can run, with time jumped to the sleeper's
 * due instant. Minutes of simulated control-plane time pass in milliseconds of real time.
 *
 * Time only moves when every pending promise chain has settled (checked with setImmediate), and
 * then only to the earliest due sleeper, so concurrent pollers wake in due order and see the time
 * they asked for. Test-only.
 */
export class VirtualClock implements Clock {
    private current: number;
    private sleepers: Sleeper[] = [];
    private nextSeq = 0;
    private advanceScheduled = false;

    /** @param startMs virtual epoch milliseconds at creation; default 2025-01-15T10:00:00Z. */
    constructor(startMs: number = Date.UTC(2025, 0, 15, 10, 0, 0)) {
        this.current = startMs;
    }

    now(): number {
        return this.current;
    }

    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        if (!Number.isFinite(ms) || ms < 0) {
            return Promise.reject(new RangeError(`VirtualClock.sleep: ms must be a finite number >= 0, got ${ms}`));
        }
        if (signal?.aborted) {
            return Promise.reject(signal.reason);
        }
        return new Promise<void>((resolve, reject) => {
            const sleeper: Sleeper = {
                due: this.current + ms,
                seq: this.nextSeq++,
                wake: () => {
                    signal?.removeEventListener("abort", onAbort);
                    resolve();
                },
            };
            const onAbort = () => {
                this.sleepers = this.sleepers.filter((s) => s !== sleeper);
                reject(signal!.reason);
            };
            signal?.addEventListener("abort", onAbort, { once: true });
            this.sleepers.push(sleeper);
            this.sleepers.sort((a, b) => a.due - b.due || a.seq - b.seq);
            this.scheduleAdvance();
        });
    }

    /**
     * Moves time forward by `ms` at once, waking every sleeper due on the way (in due order). For
     * tests that need "a minute later" without a sleeper of their own.
     */
    advance(ms: number): void {
        if (!Number.isFinite(ms) || ms < 0) {
            throw new RangeError(`VirtualClock.advance: ms must be a finite number >= 0, got ${ms}`);
        }
        const target = this.current + ms;
        while (this.sleepers.length > 0 && this.sleepers[0].due <= target) {
            const sleeper = this.sleepers.shift()!;
            this.current = Math.max(this.current, sleeper.due);
            sleeper.wake();
        }
        this.current = target;
    }

    /** Sleepers not yet woken; a test can assert nothing is left waiting. */
    pendingSleepers(): number {
        return this.sleepers.length;
    }

    private scheduleAdvance(): void {
        if (this.advanceScheduled) {
            return;
        }
        this.advanceScheduled = true;
        setImmediate(() => {
            this.advanceScheduled = false;
            this.wakeEarliest();
        });
    }

    /** Wakes every sleeper due at the earliest instant, then lets their continuations run first. */
    private wakeEarliest(): void {
        const first = this.sleepers[0];
        if (!first) {
            return;
        }
        this.current = Math.max(this.current, first.due);
        while (this.sleepers.length > 0 && this.sleepers[0].due <= this.current) {
            this.sleepers.shift()!.wake();
        }
        if (this.sleepers.length > 0) {
            this.scheduleAdvance();
        }
    }
}
