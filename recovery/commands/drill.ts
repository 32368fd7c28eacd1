/**
 * `drill`: fail the stack's shards over one by one (and, with --global-round-trip, promote a secondary
 * region and back) while a canary measures what clients lose. A thin command: flags, confirmation and
 * the report here; the drill in recovery/lib/shard-failover/drill.ts.
 */
import { confirmChange } from "../lib/confirm";
import { COMMON_FLAGS, CommandSpec, ExitCode, FlagSpec, FlagValues, commandHelp, parseFlags, rerunWithYes } from "../lib/flags";
import { checkShardsFlag } from "../lib/shard-failover/drill-plan";
import { runDrill } from "../lib/shard-failover/drill";
import { Command } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_USAGE } from "./exit-codes";
import { REDIS_USER_FLAG, dataPlaneAccess } from "./failover-shard";
import { runCommand } from "./runner";

const MINUTE = 60_000;

/** Exit code 3 of the drill: the failovers happened, one of their measurements is missing. */
export const EXIT_LOSS_UNKNOWN: ExitCode = {
    code: 3,
    meaning: "partial: the failovers ran and their windows were measured, but the canary's reader could not read every shard afterwards, " +
        "so the acknowledged writes lost are unknown for the events and shards the summary names (not 0)",
};

export const DRILL_FLAGS = [
    COMMON_FLAGS[0],
    { key: "shards", kind: "string", default: "all", accepted: "all, or node group ids separated by commas, such as 0001,0003",
        description: "Shards of the primary region's replication group to fail over, in turn (TestFailover: 15 node groups per rolling 24 h)." },
    { key: "globalRoundTrip", kind: "boolean", description: "After the shards: promote the first secondary region (retarget-primary, planned), " +
        "then promote the primary region back, measuring both." },
    REDIS_USER_FLAG,
    { key: "rate", kind: "number", default: 20, min: 1, max: 500, unit: "writes per second per shard", description: "Canary traffic (the same rate of reads)." },
    { key: "settle", kind: "duration", default: 10_000, min: 0, max: 10 * MINUTE, description: "Canary traffic before the first event and after each one, " +
        "before the reader checks for lost writes." },
    { key: "waitTimeout", kind: "duration", default: 30 * MINUTE, min: 10_000, max: 3 * 60 * MINUTE, description: "How long one failover or promotion may take." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type DrillOptions = FlagValues<typeof DRILL_FLAGS>;

export const DRILL_SPEC: CommandSpec<typeof DRILL_FLAGS> = {
    name: "drill",
    summary: "Fail shards over (and optionally the region) while a canary measures the write-unavailability window and the acknowledged writes lost.",
    examples: [
        "drill --stack staging --dry-run",
        "drill --stack staging --shards all --yes --json",
        "drill --stack staging --shards 0001 --global-round-trip --yes",
    ],
    flags: DRILL_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_LOSS_UNKNOWN],
};

export const drillCommand: Command = {
    spec: DRILL_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(DRILL_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(DRILL_SPEC, ctx.invocation));
            return 0;
        }
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
    },
};
