/**
 * `rejoin`: after an outage detach, when the old region answers again, retire the old datastore and
 * its stale members and let the program rebuild the datastore around the serving cluster.
 */
import { confirmChange } from "../lib/confirm";
import { UsageError, flagName, rerunWithYes } from "../lib/flags";
import { runRejoin } from "../lib/rejoin";
import { CommandContext } from "./context";
import { runCommand } from "./runner";
import { REJOIN_SPEC, RejoinOptions } from "./specs";

export async function run(values: RejoinOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
    const detachedAtMs = parseDetachedAt(values.detachedAt, ctx.clock.now());
    const rerun = rerunWithYes(ctx.invocation, REJOIN_SPEC.name, argv);
    // Rejoin rebuilds the datastore through a stack update: without the stack there is nothing it can do safely.
    const whenStackUnavailable = { refuse: `rejoin rebuilds the datastore through an update of stack ${values.stack}, so it needs the stack itself` };
    return runCommand(ctx, { program: REJOIN_SPEC.name, inputs: values, measuresRecovery: false, whenStackUnavailable }, async (driver, progress, report) => {
        report.setRecoveryPoint({ source: "not applicable: rejoin retires stale copies (each with a final snapshot) while the serving cluster keeps all writes" });
        const result = await runRejoin({
            dryRun: values.dryRun, waitTimeoutMs: values.waitTimeout, detachedAtMs, acceptLostWrites: values.acceptLostWrites, dnsChecked: values.dnsChecked,
        }, {
            driver, clients: ctx.clients, progress, invocation: ctx.invocation, reportDir: ctx.reportDir, signal: ctx.signal,
            confirm: async (plan, servingRegion) => {
                await confirmChange({ yes: values.yes, plan, expected: servingRegion, expectedWhat: "the serving region", rerunWithYes: rerun, io: ctx.confirmIo });
            },
        });
        return { outcome: "succeeded", summary: result.summary, nextSteps: result.nextSteps };
    });
}

/** --detached-at: an ISO time in the past; undefined when not given. */
function parseDetachedAt(text: string | undefined, nowMs: number): number | undefined {
    if (text === undefined) {
        return undefined;
    }
    const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(at) || at >= nowMs) {
        throw new UsageError(`${flagName("detachedAt")} ${JSON.stringify(text)} is not valid${Number.isNaN(at) ? "" : ": it is not in the past"}. ` +
            "Accepted: an ISO 8601 time in the past with a time zone, such as 2025-01-15T10:04:32Z.", REJOIN_SPEC.name);
    }
    return at;
}
