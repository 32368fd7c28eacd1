// Time is injected everywhere the recovery programs wait or timestamp, so tests and benchmarks can run
// minutes of simulated control-plane time in milliseconds (see tests/recovery/fake/virtual-clock.ts).

export interface Clock {
    /** Milliseconds since the epoch. */
    now(): number;
    /** Resolves after `ms`; rejects with the signal's reason when aborted first. */
    sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
    now: () => Date.now(),
    sleep: (ms, signal) =>
        new Promise<void>((resolve, reject) => {
            if (signal?.aborted) {
                reject(signal.reason);
                return;
            }
            const timer = setTimeout(() => {
                signal?.removeEventListener("abort", onAbort);
                resolve();
            }, ms);
            const onAbort = () => {
                clearTimeout(timer);
                reject(signal!.reason);
            };
            signal?.addEventListener("abort", onAbort, { once: true });
        }),
};
