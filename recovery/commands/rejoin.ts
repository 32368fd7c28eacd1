/**
 * `rejoin`: after an outage detach, when the old region answers again, retire the old datastore and
 * its stale members and let the program rebuild the datastore around the serving cluster.
 */
import { confirmChange } from "../lib/confirm";
import { commandHelp, flagName, parseFlags } from "../lib/flags";
import { runRejoin } from "../lib/rejoin";
import { Command } from "./context";
import { runCommand } from "./runner";
import { REJOIN_SPEC } from "./specs";

export const rejoinCommand: Command = {
    spec: REJOIN_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(REJOIN_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(REJOIN_SPEC, ctx.invocation));
            return 0;
        }
        const rerun = `${ctx.invocation} ${REJOIN_SPEC.name} ${argv.filter((a) => a !== flagName("dryRun")).join(" ")} ${flagName("yes")}`;
        // Rejoin rebuilds the datastore through a stack update: without the stack there is nothing it can do safely.
        const whenStackUnavailable = { refuse: `rejoin rebuilds the datastore through an update of stack ${values.stack}, so it needs the stack itself` };
        return runCommand(ctx, { program: REJOIN_SPEC.name, inputs: values, measuresRecovery: false, whenStackUnavailable }, async (driver, progress, report) => {
            report.setRecoveryPoint({ source: "not applicable: rejoin retires stale copies (each with a final snapshot) while the serving cluster keeps all writes" });
            const result = await runRejoin({ dryRun: values.dryRun, waitTimeoutMs: values.waitTimeout }, {
                driver, clients: ctx.clients, progress, invocation: ctx.invocation, signal: ctx.signal,
                confirm: async (plan, servingRegion) => {
                    await confirmChange({ yes: values.yes, plan, expected: servingRegion, expectedWhat: "the serving region", rerunWithYes: rerun, io: ctx.confirmIo });
                },
            });
            return { outcome: "succeeded", summary: result.summary, nextSteps: result.nextSteps };
        });
    },
};
