/**
 * Tests that run real Redis servers need Debian's redis-server. `.ci/run` installs it, and there (CI=true)
 * a missing binary fails the run. On a developer's machine without it those tests are skipped, each
 * file saying so once, so `npm test` still works on a fresh machine.
 */
import { resolveRedisServer } from "../../recovery/local/process";

let warned = false;

/** Call first in a before hook: skips the block, or fails in CI, when redis-server is not installed. */
export async function requireRedisServer(context: Mocha.Context): Promise<void> {
    try {
        await resolveRedisServer("redis-server");
    } catch (e) {
        if (process.env.CI === "true") {
            throw e;
        }
        if (!warned) {
            warned = true;
            process.stderr.write(`\nSKIPPING the tests that run real Redis servers: ${(e as Error).message}\n\n`);
        }
        context.skip();
    }
}
