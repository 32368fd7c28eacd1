/**
 * `retire-generation`: remove an inactive generation after a final snapshot. Only on this explicit
 * command, never the active generation.
 */
import { confirmChange } from "../lib/confirm";
import { COMMON_FLAGS, CommandSpec, FlagSpec, UsageError, commandHelp, flagName, parseFlags, rerunWithYes } from "../lib/flags";
import { runRetire } from "../lib/generations/retire";
import { Command } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_USAGE } from "./exit-codes";
import { runCommand } from "./runner";

const MINUTE = 60_000;

export const RETIRE_FLAGS = [
    COMMON_FLAGS[0],
    { key: "generation", kind: "string", required: true, accepted: "the number of an inactive generation, from 1 to 99 (stack output generations)",
        description: "The inactive generation to remove (see the stack output `generations`)." },
    { key: "waitTimeout", kind: "duration", default: 60 * MINUTE, min: 10_000, max: 6 * 60 * MINUTE, description: "How long to wait for the final snapshot to become available." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export const RETIRE_SPEC: CommandSpec<typeof RETIRE_FLAGS> = {
    name: "retire-generation",
    summary: "Remove an inactive generation (an old one kept for investigation, or a failed build) after taking a final snapshot of it.",
    examples: ["retire-generation --stack prod --generation 1 --dry-run", "retire-generation --stack prod --generation 1 --yes"],
    flags: RETIRE_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

export const retireGenerationCommand: Command = {
    spec: RETIRE_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(RETIRE_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(RETIRE_SPEC, ctx.invocation));
            return 0;
        }
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
    },
};
