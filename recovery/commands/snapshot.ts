/**
 * `snapshot`: takes a manual snapshot of the stack's current primary, waits until it is available and
 * reports its name. The deploy workflow runs it before an engine version or node type change, so a
 * rolling replacement of every node always has a recovery point taken just before it.
 *
 * It runs with the deployment's credentials (permissions.ts): it is a routine step of deployments, and
 * the recovery role stays limited to what an outage needs.
 */
import { confirmChange } from "../lib/confirm";
import { UsageError, flagName, rerunWithYes } from "../lib/flags";
import { runSnapshot } from "../lib/snapshots/run";
import { TAG_VALUE_ACCEPTED, tagValueProblem } from "../lib/snapshots/tag-value";
import { CommandContext } from "./context";
import { runCommand } from "./runner";
import { SNAPSHOT_SPEC, SnapshotOptions } from "./specs";

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

export async function run(values: SnapshotOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
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
}
