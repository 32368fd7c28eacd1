/**
 * `backup-drill`: restore the newest snapshot into a temporary stack, verify it, report the restore time
 * and the recovery point, destroy the temporary stack.
 */
import { confirmChange } from "../lib/confirm";
import { COMMON_FLAGS, CommandSpec, FlagSpec, commandHelp, parseFlags, rerunWithYes } from "../lib/flags";
import { runBackupDrill } from "../lib/backup-drill/run";
import { Command } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_USAGE } from "./exit-codes";
import { runCommand } from "./runner";
import { EXPECTED_KEYS_FLAG, REDIS_USER_FLAG, TOLERANCE_FLAG, parseExpectedKeys } from "./restore-from-snapshot";

const MINUTE = 60_000;

export const BACKUP_DRILL_FLAGS = [
    COMMON_FLAGS[0],
    { key: "snapshot", kind: "string", accepted: "the name of an available snapshot of the stack's current primary replication group",
        description: "Restore this snapshot instead of the newest one." },
    EXPECTED_KEYS_FLAG,
    TOLERANCE_FLAG,
    { key: "markerMaxAge", kind: "duration", default: 26 * 60 * MINUTE, min: 0, max: 7 * 24 * 60 * MINUTE,
        description: "A recovery-point marker written longer than this before the snapshot counts as stale. Default 26h: a daily heartbeat or drill." },
    REDIS_USER_FLAG,
    { key: "keep", kind: "boolean", description: "Leave the temporary stack and its cache in place after the drill, for a closer look (you destroy it)." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export const BACKUP_DRILL_SPEC: CommandSpec<typeof BACKUP_DRILL_FLAGS> = {
    name: "backup-drill",
    summary: "Restore the newest snapshot into a temporary stack, verify its data, report restore time and recovery point, destroy the temporary stack.",
    examples: ["backup-drill --stack prod --dry-run", "backup-drill --stack prod --yes", "backup-drill --stack staging --yes --json"],
    flags: BACKUP_DRILL_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

export const backupDrillCommand: Command = {
    spec: BACKUP_DRILL_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(BACKUP_DRILL_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(BACKUP_DRILL_SPEC, ctx.invocation));
            return 0;
        }
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
    },
};
