/**
 * Test-only: headless Chromium (Debian's `chromium` package), to see a rendered SVG as a reader's
 * browser shows it. `.ci/run` installs it, and there (CI=true) a missing binary fails the run; on a
 * developer's machine without it the tests that need it are skipped, saying so once.
 *
 * No driver library: each page runs once, from a file, with the command-line switches Chromium's
 * headless mode has (`--dump-dom` prints the DOM after the page's scripts ran, `--screenshot` writes a
 * PNG), in a fresh profile directory, with no network, sync or update traffic.
 */
import { execFile } from "node:child_process";
import { constants as fsConstants, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";

const NAMES = ["chromium", "chromium-browser", "google-chrome"];
/** A page on a busy machine: Chromium's start is most of it. */
const RUN_TIMEOUT_MS = 90_000;

let warned = false;

async function onPath(name: string): Promise<string | undefined> {
    for (const dir of (process.env.PATH ?? "").split(path.delimiter).filter(Boolean)) {
        const candidate = path.join(dir, name);
        try {
            await fs.access(candidate, fsConstants.X_OK);
            return candidate;
        } catch {
            // not here
        }
    }
    return undefined;
}

/** The Chromium binary, or undefined when none is installed. */
export async function findChromium(): Promise<string | undefined> {
    for (const name of NAMES) {
        const found = await onPath(name);
        if (found) {
            return found;
        }
    }
    return undefined;
}

/** Call first in a before hook: the binary; skips the block, or fails in CI, when Chromium is not installed. */
export async function requireChromium(context: Mocha.Context): Promise<string> {
    const found = await findChromium();
    if (found) {
        return found;
    }
    const message = `no ${NAMES.join(" or ")} on PATH. Install it (Debian/Ubuntu: apt-get install chromium) to run the tests that render in a browser.`;
    if (process.env.CI === "true") {
        throw new Error(message);
    }
    if (!warned) {
        warned = true;
        process.stderr.write(`\nSKIPPING the tests that render in headless Chromium: ${message}\n\n`);
    }
    context.skip();
}

/** Runs Chromium headless on one file with `args` in a fresh profile, and resolves to its stdout. */
export async function runHeadless(binary: string, file: string, args: readonly string[]): Promise<string> {
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), "chromium-profile-"));
    try {
        const { stdout } = await promisify(execFile)(binary, [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--hide-scrollbars", `--user-data-dir=${profile}`, ...args, `file://${file}`,
        ], { timeout: RUN_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 });
        return stdout;
    } finally {
        await fs.rm(profile, { recursive: true, force: true });
    }
}
