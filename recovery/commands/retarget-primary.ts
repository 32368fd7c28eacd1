/**
 * `retarget-primary`: promote a secondary region and bring the stack in line. A thin command: checks
 * across flags, confirmation and reporting here (the flags in specs.ts); the decisions and calls in
 * recovery/lib/retarget/.
 */
import { confirmChange } from "../lib/confirm";
import { UsageError, flagName, rerunWithYes } from "../lib/flags";
import { OUTAGE_STACK_TIMEOUT_MS } from "../lib/retarget/deadline";
import { runRetarget } from "../lib/retarget/run";
import { CommandContext } from "./context";
import { runCommand } from "./runner";
import { RETARGET_SPEC, RetargetOptions } from "./specs";

export async function run(values: RetargetOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
    if (values.detach && values.mode !== "outage") {
        throw new UsageError(`${flagName("detach")} is given with --mode ${values.mode}. Accepted: ${flagName("detach")} only with --mode outage ` +
            "(a planned promotion hands over cleanly and needs no detach).", RETARGET_SPEC.name);
    }
    const rerun = rerunWithYes(ctx.invocation, RETARGET_SPEC.name, argv);
    // The promotion needs only the configuration, so it goes ahead without the stack; --reconcile-only is all about the stack.
    const whenStackUnavailable = values.reconcileOnly
        ? { refuse: `${flagName("reconcileOnly")} only updates stack ${values.stack}, so it needs the stack itself` }
        : "use-stack-file" as const;
    const stackFileConsequence = values.mode === "outage"
        ? "Outage mode needs only the configuration: it never updates the stack, and no deployment may run until rejoin (or --reconcile-only) has." : undefined;
    const openStackTimeoutMs = values.mode === "outage" ? OUTAGE_STACK_TIMEOUT_MS : undefined;
    return runCommand(ctx, { program: RETARGET_SPEC.name, inputs: values, whenStackUnavailable, stackFileConsequence, openStackTimeoutMs }, (driver, progress, report) => runRetarget({
        target: values.to, mode: values.mode, reconcileOnly: values.reconcileOnly, maxLagSeconds: values.maxLagSeconds,
        force: values.force, detach: values.detach, dryRun: values.dryRun, promotionTimeoutMs: values.promotionTimeout, waitTimeoutMs: values.waitTimeout,
    }, {
        driver, clients: ctx.clients, progress, report, invocation: ctx.invocation, signal: ctx.signal,
        confirm: async (plan) => {
            await confirmChange({ yes: values.yes, plan, expected: values.to, expectedWhat: "the target region", rerunWithYes: rerun, io: ctx.confirmIo });
        },
    }));
}
