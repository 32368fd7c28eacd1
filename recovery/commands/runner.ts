/**
 * What every recovery command does around its own work: pick the printer, open the stack, keep the
 * narrative, and always write the report (also when the run fails halfway), then print a summary a
 * human can act on: outcome, recovery time, estimated data loss, next steps, where the report is.
 */
import * as path from "node:path";
import { Progress, shortReason } from "../lib/progress";
import { FinishedReport, Outcome, ReportDocument, RunReport } from "../lib/report";
import { errorMessage, jsonLinesPrinter, humanPrinter, writeError } from "../lib/printer";
import { silentLagSummary } from "../lib/lag";
import { BackendUnreachableError, StackDriver, StackUnavailableError } from "../lib/stack-driver";
import { DeadlineError, withinTimeout } from "../lib/retarget/deadline";
import { NoStackSourceError, StackFileDriver, unavailableBriefly } from "../lib/stack-file";
import { NotConfirmedError } from "../lib/confirm";
import { RefusedError } from "../lib/retarget/preflight";
import { CommandContext } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_RECONCILE_DEFERRED } from "./exit-codes";

export interface CommandResult {
    outcome: Outcome;
    summary: string;
    nextSteps: string[];
}

export interface RunOptions {
    program: string;
    /** The parsed flags, recorded in the report. */
    inputs: Record<string, unknown> & { stack: string; json: boolean; debug: boolean };
    /**
     * Whether the command moves writes to another cluster, so recovery time and data loss mean
     * something. Default true; rejoin only restores redundancy while the serving cluster keeps serving.
     */
    measuresRecovery?: boolean;
    /**
     * When the stack cannot be opened because its state backend or the Pulumi CLI is unavailable:
     * "use-stack-file" goes on with the configuration from the project's Pulumi.<stack>.yaml (the body
     * gets a StackFileDriver and must leave the stack for later), or `refuse` says why the command
     * needs the stack itself, and the run stops there with nothing changed.
     */
    whenStackUnavailable: "use-stack-file" | { refuse: string };
    /**
     * What going on with the stack file means for the stack, said in the warning. Default: the stack is
     * not reconciled by this run and must be with --reconcile-only before any deployment.
     */
    stackFileConsequence?: string;
    /**
     * How long opening the stack may take before it counts as unavailable (then `whenStackUnavailable`
     * applies). Default: unbounded. An outage run bounds it: a state backend in the failed region may
     * hang rather than fail.
     */
    openStackTimeoutMs?: number;
}

/** Errors that stop a run on purpose before anything changed: the message is the whole story. */
function isRefusal(error: unknown): boolean {
    return error instanceof RefusedError || error instanceof NotConfirmedError || error instanceof NoStackSourceError;
}

/**
 * Opens the stack, or, when it is unavailable and the command allows it, falls back to its stack file.
 * Going on from the stack file is not a failure of the run, so the open-stack step then ends as
 * skipped (why, and what the run does instead), never as FAILED.
 */
async function openStack(ctx: CommandContext, opts: RunOptions, progress: Progress): Promise<StackDriver> {
    const stackName = opts.inputs.stack;
    const fallBack = opts.whenStackUnavailable === "use-stack-file";
    const opened = await progress.step("open-stack", `selecting stack ${stackName}`, async (step) => {
        try {
            const driver = await openWithin(ctx, stackName, opts.openStackTimeoutMs);
            step.summarize(`stack ${driver.stackName} selected`);
            return driver;
        } catch (e) {
            if (!(e instanceof StackUnavailableError) || !fallBack) {
                throw e;
            }
            step.skip(`stack ${stackName} cannot be opened (${unavailableBriefly(e)}: ${e.detail}); going on with its stack file`);
            return e;
        }
    }).catch((e: unknown) => {
        if (e instanceof StackUnavailableError && opts.whenStackUnavailable !== "use-stack-file") {
            throw new RefusedError(`${opts.whenStackUnavailable.refuse}, and it cannot be opened: ${e.message} Nothing was changed; ` +
                "run the same command again once it can be.");
        }
        throw e;
    });
    if (!(opened instanceof StackUnavailableError)) {
        return opened;
    }
    const e = opened;
    return progress.step("stack-file", `reading the configuration of stack ${stackName} from the project's stack file instead`, async (step) => {
        const driver = StackFileDriver.open(stackName, ctx.projectDir, e);
        const file = path.basename(driver.file);
        step.found(`stack ${stackName} cannot be opened (${unavailableBriefly(e)}: ` +
            `${e.detail}). The configuration comes from ${file} as checked out here` +
            `${driver.secretKeys.length ? `; the secret values (${driver.secretKeys.join(", ")}) are not read, recovery does not need them` : ""}. ` +
            (opts.stackFileConsequence ?? `The control-plane steps run as usual; the stack itself is NOT reconciled by this run: ${RECONCILE_LATER}`), { level: "warn" });
        step.summarize(`configuration from ${file}${opts.stackFileConsequence ? "" : "; the stack must be reconciled later"}`);
        return driver;
    });
}

/** What a run that went on from the stack file leaves to do, when the command does not say otherwise. */
const RECONCILE_LATER = "it must be reconciled later with --reconcile-only, and no deployment may run before that.";

/** Opens the stack; a bound that expires counts as an unavailable backend. */
async function openWithin(ctx: CommandContext, stackName: string, timeoutMs: number | undefined): Promise<StackDriver> {
    if (timeoutMs === undefined) {
        return ctx.openStack(stackName);
    }
    try {
        return await withinTimeout(ctx.openStack(stackName), timeoutMs, ctx.clock, `selecting stack ${stackName}`, ctx.signal);
    } catch (e) {
        if (e instanceof DeadlineError) {
            throw new BackendUnreachableError(stackName, "select", `${e.message}: the state backend hangs`, e);
        }
        throw e;
    }
}

/** "0.4 s of writes (source)", or why it is unknown. */
function dataLossLine(rp: ReportDocument["recoveryPoint"]): string {
    if (rp === "unknown") {
        return "unknown";
    }
    if (rp.estimatedDataLossSeconds !== undefined) {
        return `${rp.estimatedDataLossSeconds} s of writes (${rp.source})`;
    }
    return `${rp.silentSince ? silentLagSummary(rp.silentSince.at, rp.silentSince.seconds) : "not measured"} (${rp.source})`;
}

/** The summary's opening line: the outcome, and what the run did or in which step it failed. */
function headline(doc: ReportDocument, summary: string | undefined, failedStep: string | undefined): string {
    const outcome = `${doc.program}: ${doc.outcome.toUpperCase()}`;
    if (summary !== undefined) {
        return `${outcome}: ${summary}`;
    }
    return failedStep ? `${outcome} in step ${failedStep}` : outcome;
}

/** The rest of the summary, after the headline (and the error, when there is one). */
function summaryTail(doc: ReportDocument, files: FinishedReport, measuresRecovery: boolean): string[] {
    const rt = doc.recoveryTime;
    return [
        ...(measuresRecovery ? [
            `  recovery time: ${rt === "not reached" ? "not reached" : `${rt.seconds} s from the start of the run (writes accepted at ${rt.writesAcceptedAt}: ${rt.detail})`}`,
            ...(typeof doc.promotionTime === "object" ? [`  promotion time: ${doc.promotionTime.seconds} s from ${doc.promotionTime.firstMutatingCall}`] : []),
            ...(doc.fullRedundancyTime ? [`  time to full redundancy: ${doc.fullRedundancyTime.seconds} s from the start of the run (${doc.fullRedundancyTime.detail})`] : []),
            `  estimated data loss: ${dataLossLine(doc.recoveryPoint)}`,
        ] : []),
        ...(doc.nextSteps.length ? ["  next steps:", ...doc.nextSteps.map((s, i) => `    ${i + 1}. ${s}`)] : []),
        `  report: ${files.markdown} (and ${files.json})` +
            `${files.notWrittenTo ? `; ${files.notWrittenTo.directory} could not be written (${files.notWrittenTo.reason})` : ""}`,
        "",
    ];
}

/**
 * Runs `body` with a progress narrative and a report, and resolves to the exit code (exit-codes.ts):
 * 0 done (or nothing to do), 1 refused or failed, 3 partial (the promotion is done, the stack is not
 * reconciled). The error, if any, is printed here, once.
 */
export async function runCommand(ctx: CommandContext, opts: RunOptions,
    body: (driver: StackDriver, progress: Progress, report: RunReport) => Promise<CommandResult>): Promise<number> {
    const sinks = [opts.inputs.json ? jsonLinesPrinter(ctx.stdout) : humanPrinter(ctx.stdout)];
    const progress = new Progress({ clock: ctx.clock, sinks });
    const report = new RunReport({ program: opts.program, inputs: opts.inputs, progress, directory: ctx.reportDir });
    let result: CommandResult | undefined;
    let error: unknown;
    try {
        result = await body(await openStack(ctx, opts, progress), progress, report);
    } catch (e) {
        error = e;
    }
    const refused = error !== undefined && isRefusal(error);
    // Some failures know better than the generic advice (a reconcile refused after the config changed must not be rerun).
    const ownSteps = (error as { nextSteps?: unknown } | undefined)?.nextSteps;
    const nextSteps = result?.nextSteps ?? (Array.isArray(ownSteps) ? ownSteps as string[] : undefined) ?? (refused
        ? ["Nothing was changed. Fix what the message above says, then run the command again."]
        : ["Read the error above and the report. Then run the same command again: it starts from the state it finds " +
            "and does not repeat a call whose effect is already visible."]);
    const outcome: Outcome | undefined = result?.outcome ?? (refused ? "failed" : undefined);
    const finished = await report.finish({ outcome, error, nextSteps });
    // The failed step's line gave a short reason; the full message is printed here, once, inside the
    // summary: after the outcome, before the next steps, so it is the last thing read before acting.
    if (opts.inputs.json) {
        ctx.stdout.write(`${JSON.stringify({
            type: "summary", program: opts.program, outcome: finished.report.outcome, summary: result?.summary ?? (error !== undefined ? shortReason(error) : "done"),
            recoveryTime: finished.report.recoveryTime, recoveryPoint: finished.report.recoveryPoint,
            nextSteps: finished.report.nextSteps,
            report: { json: finished.json, markdown: finished.markdown, ...(finished.notWrittenTo ? { notWrittenTo: finished.notWrittenTo } : {}) },
            ...(error !== undefined ? { error: errorMessage(error) } : {}),
        })}\n`);
        if (error !== undefined) {
            writeError(ctx.stderr, error, opts.inputs.debug);
        }
    } else {
        const failedStep = [...progress.steps].reverse().find((s) => s.result === "failed")?.name;
        ctx.stdout.write(`\n${headline(finished.report, result?.summary ?? (error === undefined ? "done" : undefined), failedStep)}\n`);
        if (error !== undefined) {
            writeError(ctx.stderr, error, opts.inputs.debug);
        }
        ctx.stdout.write(summaryTail(finished.report, finished, opts.measuresRecovery ?? true).join("\n"));
    }
    if (error !== undefined) {
        return EXIT_FAILED.code;
    }
    return finished.report.outcome === "partial" ? EXIT_RECONCILE_DEFERRED.code : EXIT_DONE.code;
}
