/**
 * `backup-drill`: restore the newest snapshot into a temporary stack, verify it, report the restore time
 * and the recovery point, destroy the temporary stack.
 */
import { confirmChange } from "../lib/confirm";
import { rerunWithYes } from "../lib/flags";
import { runBackupDrill } from "../lib/backup-drill/run";
import { CommandContext } from "./context";
import { parseExpectedKeys } from "./restore-from-snapshot";
import { runCommand } from "./runner";
import { BACKUP_DRILL_SPEC, BackupDrillOptions } from "./specs";

export async function run(values: BackupDrillOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
    const expectedKeys = parseExpectedKeys(values.expectedKeys, BACKUP_DRILL_SPEC.name);
    const rerun = rerunWithYes(ctx.invocation, BACKUP_DRILL_SPEC.name, argv);
    const whenStackUnavailable = { refuse: `backup-drill reads the outputs of stack ${values.stack} (network, key, endpoints)` };
    return runCommand(ctx, { program: BACKUP_DRILL_SPEC.name, inputs: values, measuresRecovery: false, whenStackUnavailable }, async (driver, progress, report) => {
        const result = await runBackupDrill({
            snapshot: values.snapshot, dryRun: values.dryRun, tolerancePercent: values.tolerancePercent,
            expectedKeys, markerMaxAgeMs: values.markerMaxAge,
            redisUser: values.redisUser, redisPassword: ctx.env?.REDIS_PASSWORD, keep: values.keep,
        }, {
            driver, clients: ctx.clients, progress, report, invocation: ctx.invocation, signal: ctx.signal,
            temporaryStacks: ctx.temporaryStacks, connectDataPlane: ctx.connectDataPlane,
            confirm: async (plan, expected) => {
                await confirmChange({ yes: values.yes, plan, expected, expectedWhat: "the region the drill restores into", rerunWithYes: rerun, io: ctx.confirmIo });
            },
        });
        return { outcome: values.dryRun ? "nothing-to-do" : "succeeded", summary: result.summary, nextSteps: result.nextSteps };
    });
}
