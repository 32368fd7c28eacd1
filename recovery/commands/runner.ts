/**
 * What every recovery command does around its own work: pick the printer, open the stack, keep the
 * narrative, and always write the report (also when the run fails halfway), then print a summary a
 * human can act on: outcome, recovery time, estimated data loss, next steps, where the report is.
 */
import * as path from "node:path";
import { Progress, firstLine } from "../lib/progress";
import { Outcome, ReportDocument, RunReport } from "../lib/report";
import { jsonLinesPrinter, humanPrinter } from "../lib/printer";
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

/** Opens the stack, or, when it is unavailable and the command allows it, falls back to its stack file. */
async function openStack(ctx: CommandContext, opts: RunOptions, progress: Progress): Promise<StackDriver> {
    const stackName = opts.inputs.stack;
    try {
        return await progress.step("open-stack", `selecting stack ${stackName}`, async (step) => {
            const opened = await openWithin(ctx, stackName, opts.openStackTimeoutMs);
            step.summarize(`stack ${opened.stackName} selected`);
            return opened;
        });
    } catch (e) {
        if (!(e instanceof StackUnavailableError)) {
            throw e;
        }
        if (opts.whenStackUnavailable !== "use-stack-file") {
            throw new RefusedError(`${opts.whenStackUnavailable.refuse}, and it cannot be opened: ${e.message} Nothing was changed; ` +
                "run the same command again once it can be.");
        }
        return progress.step("stack-file", `reading the configuration of stack ${stackName} from the project's stack file instead`, async (step) => {
            const driver = StackFileDriver.open(stackName, ctx.projectDir, e);
            const file = path.basename(driver.file);
            step.found(`stack ${stackName} cannot be opened (${unavailableBriefly(e)}: ` +
                `${e.detail}). The configuration comes from ${file} as checked out here` +
                `${driver.secretKeys.length ? `; the secret values (${driver.secretKeys.join(", ")}) are not read, recovery does not need them` : ""}. ` +
                (opts.stackFileConsequence ?? "The control-plane steps run as usual; the stack itself is NOT reconciled by this run: it must be reconciled later " +
                "with --reconcile-only, and no deployment may run before that."), { level: "warn" });
            step.summarize(`configuration from ${file}; the stack will be reconciled later`);
            return driver;
        });
    }
}

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

function summaryLines(doc: ReportDocument, summary: string, files: { json: string; markdown: string }, measuresRecovery: boolean): string[] {
    const rt = doc.recoveryTime;
    return [
        "",
        `${doc.program}: ${doc.outcome.toUpperCase()}: ${summary}`,
        ...(measuresRecovery ? [
            `  recovery time: ${rt === "not reached" ? "not reached" : `${rt.seconds} s from the start of the run (writes accepted at ${rt.writesAcceptedAt}: ${rt.detail})`}`,
            ...(typeof doc.promotionTime === "object" ? [`  promotion time: ${doc.promotionTime.seconds} s from ${doc.promotionTime.firstMutatingCall}`] : []),
            ...(doc.fullRedundancyTime ? [`  time to full redundancy: ${doc.fullRedundancyTime.seconds} s from the start of the run (${doc.fullRedundancyTime.detail})`] : []),
            `  estimated data loss: ${dataLossLine(doc.recoveryPoint)}`,
        ] : []),
        ...(doc.nextSteps.length ? ["  next steps:", ...doc.nextSteps.map((s, i) => `    ${i + 1}. ${s}`)] : []),
        `  report: ${files.markdown} (and ${files.json})`,
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
    const summary = result?.summary ?? (error !== undefined ? firstLine(error) : "done");
    if (error !== undefined) {
        ctx.stderr.write(`error: ${error instanceof Error ? error.message : String(error)}\n`);
        if (opts.inputs.debug && error instanceof Error && error.stack) {
            ctx.stderr.write(`${error.stack}\n`);
        }
    }
    if (opts.inputs.json) {
        ctx.stdout.write(`${JSON.stringify({
            type: "summary", program: opts.program, outcome: finished.report.outcome, summary,
            recoveryTime: finished.report.recoveryTime, recoveryPoint: finished.report.recoveryPoint,
            nextSteps: finished.report.nextSteps, report: { json: finished.json, markdown: finished.markdown },
            ...(error !== undefined ? { error: firstLine(error) } : {}),
        })}\n`);
    } else {
        ctx.stdout.write(summaryLines(finished.report, summary, finished, opts.measuresRecovery ?? true).join("\n"));
    }
    if (error !== undefined) {
        return EXIT_FAILED.code;
    }
    return finished.report.outcome === "partial" ? EXIT_RECONCILE_DEFERRED.code : EXIT_DONE.code;
}
