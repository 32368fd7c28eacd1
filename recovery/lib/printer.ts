/**
 * Printers for recovery events: one human line per event, or one JSON object per line for tools. The
 * command picks one and hands it to Progress; the library itself never writes anywhere.
 */
import { Emit, RecoveryEvent } from "./events";

/** Where a printer writes: process.stdout, process.stderr, or anything with the same two members. */
export interface Output {
    write(text: string): unknown;
    isTTY?: boolean;
}

/** ISO 8601 in UTC with milliseconds: 2025-03-01T02:04:05.123Z. */
export function isoTime(ms: number): string {
    return new Date(ms).toISOString();
}

/** Durations for people: 850ms, 12.3s, 4m 05s, 1h 02m 03s. */
export function formatDuration(ms: number): string {
    if (ms < 1000) {
        return `${Math.round(ms)}ms`;
    }
    if (ms < 60_000) {
        return `${(ms / 1000).toFixed(1)}s`;
    }
    const totalSeconds = Math.round(ms / 1000);
    const h = Math.floor(totalSeconds / 3600);
    const m = Math.floor((totalSeconds % 3600) / 60);
    const s = String(totalSeconds % 60).padStart(2, "0");
    return h > 0 ? `${h}h ${String(m).padStart(2, "0")}m ${s}s` : `${m}m ${s}s`;
}

const ANSI = { yellow: "\u001b[33m", red: "\u001b[31m", bold: "\u001b[1m", reset: "\u001b[0m" };

export interface HumanPrinterOptions {
    /** Colour warnings and errors. Default: only when the output is a terminal and NO_COLOR is not set. */
    color?: boolean;
}

function detail(values: Record<string, unknown> | undefined): string {
    if (!values || Object.keys(values).length === 0) {
        return "";
    }
    return ` (${Object.entries(values).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(", ")})`;
}

export function humanPrinter(out: Output, options: HumanPrinterOptions = {}): Emit {
    const color = options.color ?? (out.isTTY === true && !process.env.NO_COLOR);
    const paint = (code: string, text: string) => (color ? `${code}${text}${ANSI.reset}` : text);
    const started = new Map<string, number>();
    return (event: RecoveryEvent) => {
        let text: string;
        switch (event.type) {
            case "step-started":
                started.set(event.step, event.at);
                text = `started: ${event.doing}`;
                break;
            case "found":
                text = event.level === "error" ? paint(ANSI.red + ANSI.bold, `ERROR: ${event.what}`)
                    : event.level === "warn" ? paint(ANSI.yellow + ANSI.bold, `WARNING: ${event.what}`)
                        : `found: ${event.what}`;
                text += detail(event.detail);
                break;
            case "waiting":
                text = `waiting for ${event.waitingFor}: ${event.state} (after ${formatDuration(event.elapsedMs)})`;
                break;
            case "next":
                text = `next: ${event.next}`;
                break;
            case "step-finished": {
                const since = started.get(event.step);
                const took = since === undefined ? "" : ` [${formatDuration(event.at - since)}]`;
                text = event.result === "failed" ? paint(ANSI.red + ANSI.bold, `FAILED: ${event.summary}`) + took
                    : `${event.result}: ${event.summary}${took}`;
                break;
            }
        }
        out.write(`${isoTime(event.at)} [${event.step}] ${text}\n`);
    };
}

/** An error's whole message (not only its first line). */
export function errorMessage(error: unknown): string {
    return error instanceof Error ? error.message : String(error);
}

/**
 * Prints an error the one way every recovery program does: `error: <the whole message>`, then its
 * cause when the message does not already say it, and the stack trace only with --debug. Called once
 * per run, by whoever ends it.
 */
export function writeError(out: Output, error: unknown, debug: boolean): void {
    out.write(`error: ${errorMessage(error)}\n`);
    const cause = (error as { cause?: unknown } | undefined)?.cause;
    if (cause instanceof Error && !errorMessage(error).includes(cause.message)) {
        out.write(`  caused by: ${cause.message}\n`);
    }
    if (debug && error instanceof Error && error.stack) {
        out.write(`${error.stack}\n`);
    }
}

/** One JSON object per event and line, with `time` (ISO) next to `at` (epoch milliseconds). */
export function jsonLinesPrinter(out: Output): Emit {
    return (event: RecoveryEvent) => {
        out.write(`${JSON.stringify({ time: isoTime(event.at), ...event })}\n`);
    };
}
