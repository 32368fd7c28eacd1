/**
 * `snapshot`: takes a manual snapshot of the stack's current primary, waits until it is available and
 * reports its name. The deploy workflow runs it before an engine version or node type change, so a
 * rolling replacement of every node always has a recovery point taken just before it.
 *
 * It runs with the deployment's credentials (permissions.ts): it is a routine step of deployments, and
 * the recovery role stays limited to what an outage needs.
 */
import { confirmChange } from "../lib/confirm";
import { COMMON_FLAGS, CommandSpec, FlagSpec, FlagValues, UsageError, commandHelp, flagName, parseFlags, rerunWithYes } from "../lib/flags";
import { runSnapshot } from "../lib/snapshots/run";
import { TAG_VALUE_ACCEPTED, tagValueProblem } from "../lib/snapshots/take";
import { Command } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_USAGE } from "./exit-codes";
import { runCommand } from "./runner";

const MINUTE = 60_000;
/** Snapshots of large shards take a while, and one may have to wait for a backup already running. */
const DEFAULT_WAIT_TIMEOUT = 60 * MINUTE;

export const SNAPSHOT_FLAGS = [
    COMMON_FLAGS[0],
    { key: "reason", kind: "string", required: true, accepted: `why the snapshot is taken, ${TAG_VALUE_ACCEPTED}`,
        description: "Why the snapshot is taken; kept on the snapshot as its reason tag, so whoever finds it later knows what it is for." },
    { key: "region", kind: "string", accepted: "a member region of the stack, for example us-west-2",
        description: "Snapshot the member in this region instead of the current primary (a secondary's data trails the primary's by the replication lag). " +
            "Default: the region of the current primary, as the Global Datastore reports it." },
    { key: "requestedBy", kind: "string", accepted: `who asks, ${TAG_VALUE_ACCEPTED}`,
        description: "Who asks for the snapshot (a person, a pipeline run); kept as its requested-by tag. Default: no such tag." },
    { key: "waitTimeout", kind: "duration", default: DEFAULT_WAIT_TIMEOUT, min: MINUTE, max: 6 * 60 * MINUTE,
        description: "How long to wait in all: for a backup already running on the group to finish, then for this snapshot to be available." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type SnapshotOptions = FlagValues<typeof SNAPSHOT_FLAGS>;

export const SNAPSHOT_SPEC: CommandSpec<typeof SNAPSHOT_FLAGS> = {
    name: "snapshot",
    summary: "Take a manual snapshot of the current primary, wait until it is available and report its name.",
    examples: [
        "snapshot --stack prod --reason \"before the engine upgrade\" --dry-run",
        "snapshot --stack prod --reason \"before the engine upgrade\" --yes",
        "snapshot --stack prod --reason \"deploy 1a2b3c: node type change\" --requested-by \"deploy workflow\" --yes --json",
    ],
    flags: SNAPSHOT_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

/** --reason and --requested-by become tag values: checked here, before anything is read. */
function checkTagFlags(values: SnapshotOptions): void {
    for (const key of ["reason", "requestedBy"] as const) {
        const value = values[key];
        const problem = value === undefined ? undefined : tagValueProblem(value);
        if (value !== undefined && problem) {
            throw new UsageError(`${flagName(key)} ${JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value)} is not valid: ${problem}. ` +
                `Accepted: ${TAG_VALUE_ACCEPTED}.`, SNAPSHOT_SPEC.name);
        }
    }
}

/** A word the shell passes through as it is: a reason usually has spaces. */
export const snapshotCommand: Command = {
    spec: SNAPSHOT_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(SNAPSHOT_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(SNAPSHOT_SPEC, ctx.invocation));
            return 0;
        }
        checkTagFlags(values);
        const rerun = rerunWithYes(ctx.invocation, SNAPSHOT_SPEC.name, argv);
        return runCommand(ctx, {
            program: SNAPSHOT_SPEC.name, inputs: values, measuresRecovery: false, whenStackUnavailable: "use-stack-file",
            stackFileConsequence: "A snapshot does not change the stack, so nothing is left to reconcile; the ids to look for come from the configuration.",
        }, async (driver, progress) => {
            const result = await runSnapshot({
                reason: values.reason, requestedBy: values.requestedBy, region: values.region, dryRun: values.dryRun, waitTimeoutMs: values.waitTimeout,
            }, {
                driver, clients: ctx.clients, progress, signal: ctx.signal, rerunWithYes: rerun,
                confirm: async (plan, replicationGroupId) => {
                    await confirmChange({ yes: values.yes, plan, expected: replicationGroupId, expectedWhat: "the replication group to snapshot", rerunWithYes: rerun, io: ctx.confirmIo });
                },
            });
            return { outcome: "succeeded", summary: result.summary, nextSteps: result.nextSteps };
        });
    },
};
