/**
 * `drill`: fail the stack's shards over one by one (and, with --global-round-trip, promote a secondary
 * region and back) while a canary measures what clients lose. A thin command: confirmation and the
 * report here (the flags in specs.ts); the drill in recovery/lib/shard-failover/drill.ts.
 */
import { confirmChange } from "../lib/confirm";
import { rerunWithYes } from "../lib/flags";
import { checkShardsFlag } from "../lib/shard-failover/drill-plan";
import { runDrill } from "../lib/shard-failover/drill";
import { CommandContext } from "./context";
import { dataPlaneAccess } from "./failover-shard";
import { runCommand } from "./runner";
import { DRILL_SPEC, DrillOptions } from "./specs";

export async function run(values: DrillOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
    checkShardsFlag(values.shards, DRILL_SPEC.name);
    const rerun = rerunWithYes(ctx.invocation, DRILL_SPEC.name, argv);
    return runCommand(ctx, {
        program: DRILL_SPEC.name, inputs: values, measuresRecovery: false,
        // A promotion reconciles the stack; the shard failovers alone could go on from the stack file, a round trip could not.
        whenStackUnavailable: values.globalRoundTrip ? { refuse: "--global-round-trip reconciles the stack after each promotion, so it needs the stack itself" }
            : "use-stack-file",
        stackFileConsequence: "Shard failovers never change the stack: the replication group's id comes from the configuration and its endpoint from AWS.",
    }, (driver, progress, report) => runDrill({
        shards: values.shards, globalRoundTrip: values.globalRoundTrip, dryRun: values.dryRun, ratePerShard: values.rate,
        settleMs: values.settle, waitTimeoutMs: values.waitTimeout,
    }, {
        driver, clients: ctx.clients, progress, report, signal: ctx.signal, invocation: ctx.invocation, rerunWithYes: rerun,
        reportDir: ctx.reportDir, program: DRILL_SPEC.name,
        dataPlane: (config) => dataPlaneAccess(ctx, config, values.redisUser),
        confirm: async (plan) => {
            await confirmChange({ yes: values.yes, plan, expected: driver.stackName, expectedWhat: "the stack name", rerunWithYes: rerun, io: ctx.confirmIo });
        },
    }));
}
