/**
 * Test-only: headless Chromium (Debian's `chromium` package), to see a rendered SVG as a reader's
 * browser shows it. `.ci/run` installs it, and there (CI=true) a missing binary fails the run; on a
 * developer's machine without it the tests that need it are skipped, saying so once.
 *
 * No driver library: one browser per caller, spoken to over its DevTools pipe (`--remote-debugging-pipe`:
 * the browser reads protocol messages from its file descriptor 3 and writes to 4, each message JSON
 * ended by a NUL byte; Chromium's components/devtools/devtools_pipe), with the few commands of the
 * Chrome DevTools Protocol a page needs (chromedevtools.github.io/devtools-protocol: Target.createTarget,
 * attachToTarget with flatten, Emulation.setDeviceMetricsOverride, Page.navigate, loadEventFired,
 * captureScreenshot, Runtime.evaluate): open a tab, set its viewport, load a file, take a screenshot,
 * read the DOM. Starting the browser is most of its CPU (about 2 s here), so a test loads all its pages
 * in one. A fresh profile directory, no network, sync or update traffic. Should the test process end
 * without close(), the pipe closes and the browser exits with it (seen here: none is left behind).
 */
import { ChildProcess, spawn } from "node:child_process";
import { constants as fsConstants, promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Readable, Writable } from "node:stream";

const NAMES = ["chromium", "chromium-browser", "google-chrome"];
/** How long the browser's start, or one command, may take on a busy machine. */
const COMMAND_TIMEOUT_MS = 90_000;

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

/** One headless browser; its pages are loaded one at a time. Always close() it. */
export interface HeadlessBrowser {
    /** Loads `file` in a new tab whose viewport is width x height CSS pixels and returns a PNG of that viewport. */
    screenshot(file: string, width: number, height: number): Promise<Buffer>;
    /** Loads `file` in a new tab of that viewport and returns the DOM once the page has loaded, as `--dump-dom` prints it. */
    dumpDom(file: string, width: number, height: number): Promise<string>;
    /** Closes the browser and removes its profile. */
    close(): Promise<void>;
}

interface Pending {
    resolve(result: Record<string, unknown>): void;
    reject(error: Error): void;
}

/** Starts Chromium headless with its DevTools pipe open, in a fresh profile. */
export async function launchHeadless(binary: string): Promise<HeadlessBrowser> {
    const profile = await fs.mkdtemp(path.join(os.tmpdir(), "chromium-profile-"));
    const child: ChildProcess = spawn(binary, [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--hide-scrollbars", `--user-data-dir=${profile}`, "--remote-debugging-pipe", "about:blank",
    ], { stdio: ["ignore", "ignore", "pipe", "pipe", "pipe"] });
    const toBrowser = child.stdio[3] as Writable;
    const fromBrowser = child.stdio[4] as Readable;
    let stderr = "";
    child.stderr!.on("data", (d: Buffer) => {
        stderr = (stderr + d.toString()).slice(-4096);
    });
    let ended: Error | undefined;
    const pending = new Map<number, Pending>();
    const waiters: Array<{ method: string; sessionId: string; resolve(): void }> = [];
    /** The browser is gone: every command waiting for an answer, and every later one, fails with `error`. */
    const end = (error: Error): void => {
        ended ??= error;
        pending.forEach((p) => p.reject(ended!));
        pending.clear();
    };
    const exited = new Promise<void>((resolve) => child.once("exit", (code, signal) => {
        end(new Error(`Chromium exited (${signal ?? `code ${code}`})${stderr.trim() ? `: ${stderr.trim()}` : ""}`));
        resolve();
    }));
    child.once("error", (e) => end(new Error(`Chromium (${binary}) did not start: ${e.message}`)));
    // Writes fail with EPIPE once the browser is gone; the exit above is what callers see.
    toBrowser.on("error", () => undefined);

    let buffered = "";
    fromBrowser.setEncoding("utf8");
    fromBrowser.on("data", (chunk: string) => {
        buffered += chunk;
        let end: number;
        while ((end = buffered.indexOf("\0")) >= 0) {
            const message = JSON.parse(buffered.slice(0, end)) as { id?: number; result?: Record<string, unknown>; error?: { message: string }; method?: string; sessionId?: string };
            buffered = buffered.slice(end + 1);
            if (message.id !== undefined) {
                const call = pending.get(message.id);
                pending.delete(message.id);
                if (message.error) {
                    call?.reject(new Error(`Chromium: ${message.error.message}`));
                } else {
                    call?.resolve(message.result ?? {});
                }
            } else if (message.method) {
                const at = waiters.findIndex((w) => w.method === message.method && w.sessionId === message.sessionId);
                if (at >= 0) {
                    waiters.splice(at, 1)[0].resolve();
                }
            }
        }
    });

    let nextId = 1;
    const send = (method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> => {
        if (ended) {
            return Promise.reject(ended);
        }
        const id = nextId++;
        return withTimeout(new Promise((resolve, reject) => {
            pending.set(id, { resolve, reject });
            toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
        }), `${method}`);
    };
    const nextEvent = (method: string, sessionId: string): Promise<void> =>
        withTimeout(new Promise<void>((resolve) => waiters.push({ method, sessionId, resolve })), `waiting for ${method}`);

    /** Runs `use` on a new tab showing `file` with the given viewport, and closes the tab. */
    async function withPage<T>(file: string, width: number, height: number, use: (sessionId: string) => Promise<T>): Promise<T> {
        const { targetId } = await send("Target.createTarget", { url: "about:blank" }) as { targetId: string };
        try {
            const { sessionId } = await send("Target.attachToTarget", { targetId, flatten: true }) as { sessionId: string };
            await send("Emulation.setDeviceMetricsOverride", { width, height, deviceScaleFactor: 1, mobile: false }, sessionId);
            await send("Page.enable", {}, sessionId);
            const loaded = nextEvent("Page.loadEventFired", sessionId);
            const { errorText } = await send("Page.navigate", { url: `file://${file}` }, sessionId) as { errorText?: string };
            if (errorText) {
                throw new Error(`Chromium could not load ${file}: ${errorText}`);
            }
            await loaded;
            return await use(sessionId);
        } finally {
            await send("Target.closeTarget", { targetId }).catch(() => undefined);
        }
    }

    const browser: HeadlessBrowser = {
        screenshot: (file, width, height) => withPage(file, width, height, async (sessionId) => {
            const { data } = await send("Page.captureScreenshot", { format: "png" }, sessionId) as { data: string };
            return Buffer.from(data, "base64");
        }),
        dumpDom: (file, width, height) => withPage(file, width, height, async (sessionId) => {
            const { result } = await send("Runtime.evaluate", { expression: "document.documentElement.outerHTML", returnByValue: true }, sessionId) as { result: { value: string } };
            return result.value;
        }),
        async close() {
            try {
                if (!ended) {
                    await send("Browser.close").catch(() => undefined);
                    const stopped = await Promise.race([exited.then(() => true), new Promise<boolean>((resolve) => setTimeout(resolve, 10_000, false).unref())]);
                    if (!stopped) {
                        child.kill("SIGKILL");
                        await exited;
                    }
                }
            } finally {
                await fs.rm(profile, { recursive: true, force: true });
            }
        },
    };
    try {
        // The browser answers once it is up: a start that fails shows here, with its stderr.
        await send("Browser.getVersion");
    } catch (e) {
        child.kill("SIGKILL");
        await browser.close();
        throw e;
    }
    return browser;
}

function withTimeout<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
        promise,
        new Promise<T>((_, reject) => {
            timer = setTimeout(() => reject(new Error(`Chromium: no answer to ${what} within ${COMMAND_TIMEOUT_MS / 1000} s`)), COMMAND_TIMEOUT_MS);
        }),
    ]).finally(() => clearTimeout(timer));
}
