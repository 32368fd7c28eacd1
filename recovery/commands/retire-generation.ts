/**
 * `retire-generation`: remove an inactive generation after a final snapshot. Only on this explicit
 * command, never the active generation.
 */
import { confirmChange } from "../lib/confirm";
import { UsageError, flagName, rerunWithYes } from "../lib/flags";
import { runRetire } from "../lib/generations/retire";
import { CommandContext } from "./context";
import { runCommand } from "./runner";
import { RETIRE_SPEC, RetireOptions } from "./specs";

export async function run(values: RetireOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
    if (!/^\d{1,2}$/.test(values.generation) || Number(values.generation) < 1) {
        throw new UsageError(`${flagName("generation")} ${JSON.stringify(values.generation)} is not valid. Accepted: the number of an inactive generation, ` +
            "from 1 to 99 (the stack output generations lists them).", RETIRE_SPEC.name);
    }
    const generation = Number(values.generation);
    const rerun = rerunWithYes(ctx.invocation, RETIRE_SPEC.name, argv);
    const whenStackUnavailable = { refuse: `retire-generation removes a generation through an update of stack ${values.stack}, so it needs the stack itself` };
    return runCommand(ctx, { program: RETIRE_SPEC.name, inputs: values, measuresRecovery: false, whenStackUnavailable }, async (driver, progress, report) => {
        report.setRecoveryPoint({ source: "not applicable: retiring an inactive generation moves no writes" });
        const result = await runRetire({ generation, dryRun: values.dryRun, waitTimeoutMs: values.waitTimeout }, {
            driver, clients: ctx.clients, progress, invocation: ctx.invocation, signal: ctx.signal,
            confirm: async (plan, expected) => {
                await confirmChange({ yes: values.yes, plan, expected, expectedWhat: "the generation's number", rerunWithYes: rerun, io: ctx.confirmIo });
            },
        });
        return { outcome: values.dryRun ? "nothing-to-do" : "succeeded", summary: result.summary, nextSteps: result.nextSteps };
    });
}
