/**
 * Mocha root hooks (.mocharc.json requires this file, in mocha's own process and in each parallel
 * worker). Kept free of imports: the main process of a parallel run loads it too and runs no test.
 */

const atSerialRunEnd = new Set<() => Promise<void>>();

/**
 * `stop` runs once a serial run has run every file: for what a test process may keep between files
 * (tests/helpers/shared-pack.ts), which would otherwise keep mocha from exiting. A parallel worker runs
 * the root hooks around each of its files, so there it never runs: what it keeps ends with the worker.
 */
export function atRunEnd(stop: () => Promise<void>): void {
    atSerialRunEnd.add(stop);
}

export const mochaHooks = {
    async afterAll(this: Mocha.Context): Promise<void> {
        if (process.env.MOCHA_WORKER_ID === undefined && atSerialRunEnd.size > 0) {
            this.timeout(30_000);
            await Promise.all([...atSerialRunEnd].map((stop) => stop()));
        }
    },
};
