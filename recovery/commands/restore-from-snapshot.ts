/**
 * `restore-from-snapshot`: after data corruption, build the next generation from the newest good
 * snapshot, verify it, cut the writer over. A thin command: flags, confirmation and reporting here; the
 * stages in recovery/lib/restore/.
 */
import { confirmChange } from "../lib/confirm";
import { COMMON_FLAGS, CommandSpec, FlagSpec, UsageError, commandHelp, flagName, parseFlags, rerunWithYes } from "../lib/flags";
import { runRestore } from "../lib/restore/run";
import { Command } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_USAGE } from "./exit-codes";
import { runCommand } from "./runner";

const MINUTE = 60_000;

/** Flags of the data-plane verification, shared with backup-drill. */
export const EXPECTED_KEYS_FLAG = { key: "expectedKeys", kind: "string", accepted: "a whole number of keys, such as 1500000",
    description: "How many keys the restored cluster should hold in all. Default: CloudWatch CurrItems of the source cluster's shards at the snapshot's time." } as const satisfies FlagSpec;

/** --expected-keys as a number; undefined when not given. */
export function parseExpectedKeys(text: string | undefined, command: string): number | undefined {
    if (text === undefined) {
        return undefined;
    }
    if (!/^\d{1,13}$/.test(text)) {
        throw new UsageError(`${flagName("expectedKeys")} ${JSON.stringify(text)} is not valid. Accepted: a whole number of keys, such as 1500000.`, command);
    }
    return Number(text);
}
export const TOLERANCE_FLAG = { key: "tolerancePercent", kind: "number", default: 5, min: 0, max: 100, unit: "%",
    description: "How far each shard's key count may be from what it should hold." } as const satisfies FlagSpec;
export const REDIS_USER_FLAG = { key: "redisUser", kind: "string", accepted: "an RBAC user name of the stack, such as app",
    description: "User for the data-plane verification (password from the REDIS_PASSWORD environment variable). Default: the stack's first password user." } as const satisfies FlagSpec;

export const RESTORE_FLAGS = [
    COMMON_FLAGS[0],
    { key: "before", kind: "string", accepted: "an ISO 8601 time in the past with a time zone, such as 2026-11-20T14:05:00Z",
        description: "When the corruption started: the newest snapshot whose every node snapshot was taken before this instant is chosen. Required unless --snapshot is given." },
    { key: "snapshot", kind: "string", accepted: "the name of an available snapshot of one of the current generation's replication groups, in any member region",
        description: "Restore this snapshot instead of choosing one by --before." },
    EXPECTED_KEYS_FLAG,
    TOLERANCE_FLAG,
    { key: "markerMaxAge", kind: "duration", default: 15 * MINUTE, min: 0, max: 7 * 24 * 60 * MINUTE,
        description: "A recovery-point marker written longer than this before the snapshot counts as stale (the data is older than the snapshot says) and fails verification." },
    REDIS_USER_FLAG,
    { key: "waitForSecondaries", kind: "boolean", description: "Build the whole new generation, secondaries included, before the cutover (the writer then waits for them). " +
        "Default: the writer moves as soon as the founding group created from the snapshot is verified and its datastore exists; the secondaries join " +
        "afterwards while the cache runs in that one region, and the run follows them to the end." },
    { key: "waitTimeout", kind: "duration", default: 120 * MINUTE, min: 10_000, max: 12 * 60 * MINUTE, description: "How long to wait for each stage AWS takes: " +
        "the founding replication group, created from the snapshot, and its datastore to become available, then the secondaries to join." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export const RESTORE_SPEC: CommandSpec<typeof RESTORE_FLAGS> = {
    name: "restore-from-snapshot",
    summary: "After data corruption: build the next generation from the newest good snapshot in any member region, verify its data, cut the writer over, then let its secondaries join.",
    examples: [
        "restore-from-snapshot --stack prod --before 2026-11-20T14:05:00Z --dry-run",
        "restore-from-snapshot --stack prod --before 2026-11-20T14:05:00Z --yes",
        "restore-from-snapshot --stack prod --snapshot prod-us-east-1-2026-11-20-03-00 --yes",
        "restore-from-snapshot --stack prod --before 2026-11-20T14:05:00Z --wait-for-secondaries --yes",
    ],
    flags: RESTORE_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

export const restoreFromSnapshotCommand: Command = {
    spec: RESTORE_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(RESTORE_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(RESTORE_SPEC, ctx.invocation));
            return 0;
        }
        const before = values.before === undefined ? undefined : parsePastInstant(values.before, ctx.clock.now());
        if (before === undefined && values.snapshot === undefined) {
            throw new UsageError(`neither ${flagName("before")} nor ${flagName("snapshot")} is given. Accepted: ${flagName("before")} <when the corruption started>, ` +
                `such as 2026-11-20T14:05:00Z, or ${flagName("snapshot")} <name>.`, RESTORE_SPEC.name);
        }
        const expectedKeys = parseExpectedKeys(values.expectedKeys, RESTORE_SPEC.name);
        const rerun = rerunWithYes(ctx.invocation, RESTORE_SPEC.name, argv);
        const whenStackUnavailable = { refuse: `restore-from-snapshot builds and cuts over through updates of stack ${values.stack}, so it needs the stack itself` };
        return runCommand(ctx, { program: RESTORE_SPEC.name, inputs: values, whenStackUnavailable }, async (driver, progress, report) => runRestore({
            before, snapshot: values.snapshot, waitForSecondaries: values.waitForSecondaries, dryRun: values.dryRun, waitTimeoutMs: values.waitTimeout, tolerancePercent: values.tolerancePercent,
            expectedKeys, markerMaxAgeMs: values.markerMaxAge,
            redisUser: values.redisUser, redisPassword: ctx.env?.REDIS_PASSWORD,
        }, {
            driver, clients: ctx.clients, progress, report, invocation: ctx.invocation, signal: ctx.signal, connectDataPlane: ctx.connectDataPlane,
            confirm: async (plan, expected) => {
                await confirmChange({ yes: values.yes, plan, expected, expectedWhat: "the new generation's number", rerunWithYes: rerun, io: ctx.confirmIo });
            },
        }));
    },
};

/** An ISO 8601 instant with a time zone, in the past. */
export function parsePastInstant(text: string, nowMs: number): number {
    const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(at) || at >= nowMs) {
        throw new UsageError(`${flagName("before")} ${JSON.stringify(text)} is not valid${Number.isNaN(at) ? "" : ": it is not in the past"}. ` +
            "Accepted: an ISO 8601 time in the past with a time zone, such as 2026-11-20T14:05:00Z.", RESTORE_SPEC.name);
    }
    return at;
}
