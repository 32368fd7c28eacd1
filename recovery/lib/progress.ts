/**
 * The run's narrative. Library code receives a Progress and tells it, step by step, what it is doing,
 * what it found and what comes next; Progress stamps each event with the injected clock, forwards it
 * to the printers the command chose, and keeps everything for the run's report.
 */
import { Clock, systemClock } from "./clock";
import { Emit, Level, RecoveryEvent, StepResult } from "./events";

/** Events outside any step (the run's own findings and next steps) carry this step name. */
export const RUN_STEP = "run";

export interface StepRecord {
    name: string;
    doing: string;
    startedAt: number;
    /** Undefined while the step runs, and in a report written while it still ran. */
    finishedAt?: number;
    result?: StepResult;
    summary?: string;
    /** Every event of the step after its start: findings, waiting states, next steps. */
    events: RecoveryEvent[];
}

export interface FoundOptions {
    /** Default "info". */
    level?: Level;
    detail?: Record<string, unknown>;
}

/** What a step's body can say about itself. */
export interface StepContext {
    readonly name: string;
    found(what: string, options?: FoundOptions): void;
    next(text: string): void;
    /** The summary printed and reported when the step ends well. Default "done". */
    summarize(text: string): void;
    /** Ends the step as skipped, with the reason as its summary, once the body returns. */
    skip(reason: string): void;
    /** For helpers that emit their own events for this step, such as the polling loop's "waiting". */
    readonly emit: Emit;
}

export interface ProgressOptions {
    /** Default systemClock. */
    clock?: Clock;
    /** Printers or other listeners; each receives every event as it happens. Default none. */
    sinks?: Emit[];
}

export class Progress {
    readonly clock: Clock;
    readonly startedAt: number;
    private readonly sinks: Emit[];
    private readonly recorded: RecoveryEvent[] = [];
    private readonly stepRecords: StepRecord[] = [];

    constructor(options: ProgressOptions = {}) {
        this.clock = options.clock ?? systemClock;
        this.sinks = options.sinks ?? [];
        this.startedAt = this.clock.now();
    }

    get events(): readonly RecoveryEvent[] {
        return this.recorded;
    }

    get steps(): readonly StepRecord[] {
        return this.stepRecords;
    }

    /**
     * Records and forwards an event. A step-started or step-finished that did not come from step() (a
     * helper with only an Emit, such as guard.previewThenUp) opens or closes a step record too, so
     * the report and the run's own checks see every step, however it was told.
     */
    readonly emit: Emit = (event) => {
        if (event.type === "step-started") {
            this.stepRecords.push({ name: event.step, doing: event.doing, startedAt: event.at, events: [] });
        } else if (event.type === "step-finished") {
            const open = this.openStep(event.step);
            if (open) {
                open.finishedAt = event.at;
                open.result = event.result;
                open.summary = event.summary;
            }
        }
        this.publish(event);
    };

    private openStep(name: string): StepRecord | undefined {
        return [...this.stepRecords].reverse().find((s) => s.name === name && s.finishedAt === undefined);
    }

    /** Records and forwards an event. A failing printer must not fail the recovery, so its errors are dropped. */
    private publish(event: RecoveryEvent): void {
        this.recorded.push(event);
        const open = this.openStep(event.step);
        if (open && event.type !== "step-started" && event.type !== "step-finished") {
            open.events.push(event);
        }
        for (const sink of this.sinks) {
            try {
                sink(event);
            } catch {
                // The report still has the event; a broken pipe to a printer is not a reason to stop a failover.
            }
        }
    }

    found(what: string, options: FoundOptions = {}, step = RUN_STEP): void {
        this.emit({ type: "found", at: this.clock.now(), step, level: options.level ?? "info", what, ...(options.detail ? { detail: options.detail } : {}) });
    }

    next(text: string, step = RUN_STEP): void {
        this.emit({ type: "next", at: this.clock.now(), step, next: text });
    }

    /**
     * Runs one step: emits step-started, runs the body, emits step-finished with its result and
     * summary. A body that throws finishes the step as failed with a short reason (shortReason), and
     * the error goes on to the caller unchanged: whoever ends the run prints its full message, once.
     */
    async step<T>(name: string, doing: string, body: (step: StepContext) => Promise<T>): Promise<T> {
        if (!name.trim() || !doing.trim()) {
            throw new Error(`Progress.step needs a name and what it is doing; got name ${JSON.stringify(name)}, doing ${JSON.stringify(doing)}.`);
        }
        const record: StepRecord = { name, doing, startedAt: this.clock.now(), events: [] };
        this.stepRecords.push(record);
        this.publish({ type: "step-started", at: record.startedAt, step: name, doing });
        let summary = "done";
        let skipped: string | undefined;
        const context: StepContext = {
            name,
            found: (what, options) => this.found(what, options, name),
            next: (text) => this.next(text, name),
            summarize: (text) => {
                summary = text;
            },
            skip: (reason) => {
                skipped = reason;
            },
            emit: this.emit,
        };
        try {
            const value = await body(context);
            this.finishStep(record, skipped === undefined ? "ok" : "skipped", skipped ?? summary);
            return value;
        } catch (error) {
            this.finishStep(record, "failed", shortReason(error));
            throw error;
        }
    }

    private finishStep(record: StepRecord, result: StepResult, summary: string): void {
        record.finishedAt = this.clock.now();
        record.result = result;
        record.summary = summary;
        this.publish({ type: "step-finished", at: record.finishedAt, step: record.name, result, summary });
    }
}

export function firstLine(error: unknown): string {
    const text = error instanceof Error ? error.message : String(error);
    return text.split("\n")[0];
}

/** The longest reason a failed step's line gives; the full message follows once, at the end of the run. */
export const SHORT_REASON_CHARS = 160;

/**
 * What a failed step's line says: the error's first sentence, cut at a word to SHORT_REASON_CHARS
 * ("..." marks a cut). The step line tells where it failed; the full message, which can run to several
 * hundred characters, is printed once, in the run's summary, so it is read once and near the end.
 */
export function shortReason(error: unknown): string {
    const line = firstLine(error);
    const sentence = /^.*?[.!?](?=\s|$)/.exec(line)?.[0] ?? line;
    if (sentence.length <= SHORT_REASON_CHARS) {
        return sentence;
    }
    const cut = sentence.slice(0, SHORT_REASON_CHARS);
    const atWord = cut.slice(0, Math.max(cut.lastIndexOf(" "), SHORT_REASON_CHARS / 2)).replace(/[\s,;:(]+$/, "");
    return `${atWord}...`;
}
