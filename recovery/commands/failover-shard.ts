/**
 * `failover-shard`: fail one shard over to a replica in another availability zone when automatic
 * failover did not (runbook scenario 1). A thin command: flags, confirmation, how to reach the data
 * plane and the report here; the checks and calls in recovery/lib/shard-failover/.
 */
import { StackConfig } from "../../components/config/types";
import { describeTarget } from "../dataplane/connect";
import { confirmChange } from "../lib/confirm";
import { COMMON_FLAGS, CommandSpec, ExitCode, FlagSpec, FlagValues, UsageError, commandHelp, flagName, parseFlags, rerunWithYes } from "../lib/flags";
import { RefusedError } from "../lib/retarget/preflight";
import { SHARD_ID_PATTERN } from "../lib/shard-failover/target";
import { runShardFailover } from "../lib/shard-failover/run";
import { DataPlaneAccess } from "../lib/shard-failover/verify-writes";
import { Command, CommandContext } from "./context";
import { EXIT_DONE, EXIT_FAILED, EXIT_USAGE } from "./exit-codes";
import { runCommand } from "./runner";

const MINUTE = 60_000;

/** The environment variable that holds the data-plane password (or AUTH token). Never a flag: flags end up in shell history. */
export const REDIS_PASSWORD_ENV = "REDIS_PASSWORD";

/** Exit code 3 means something else here than for retarget-primary: the change happened, its proof is missing. */
export const EXIT_WRITES_NOT_VERIFIED: ExitCode = {
    code: 3,
    meaning: "partial: the failover completed, but writes could not be verified through the data plane (not configured or not reachable); " +
        "the next steps say how to check by hand",
};

/** --redis-user, shared with the drill: the data plane is reached the same way. */
export const REDIS_USER_FLAG = {
    key: "redisUser", kind: "string", accepted: "a password user of the stack's configuration (users), for example app",
    description: `User for the data-plane checks, with the password from the environment variable ${REDIS_PASSWORD_ENV}. ` +
        "Default: the first password user of the stack's configuration (none with an AUTH token).",
} as const satisfies FlagSpec;

export const FAILOVER_SHARD_FLAGS = [
    COMMON_FLAGS[0],
    { key: "region", kind: "string", required: true, accepted: "a region of the stack, for example us-east-1", description: "Region of the replication group whose shard fails over." },
    { key: "shard", kind: "string", required: true, accepted: "a node group id of four digits, such as 0002", description: "The shard (node group) to fail over." },
    REDIS_USER_FLAG,
    { key: "waitTimeout", kind: "duration", default: 30 * MINUTE, min: 10_000, max: 3 * 60 * MINUTE, description: "How long to follow the failover's " +
        "events until \"Finished recovery for cache nodes\" before giving up (a rerun keeps following it)." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type FailoverShardOptions = FlagValues<typeof FAILOVER_SHARD_FLAGS>;

export const FAILOVER_SHARD_SPEC: CommandSpec<typeof FAILOVER_SHARD_FLAGS> = {
    name: "failover-shard",
    summary: "Fail one shard over to a replica in another availability zone (TestFailover), follow it to the end and verify writes.",
    examples: [
        "failover-shard --stack prod --region us-east-1 --shard 0002 --dry-run",
        "failover-shard --stack prod --region us-east-1 --shard 0002 --yes",
        "failover-shard --stack prod --region us-east-1 --shard 0002 --redis-user app --yes --json",
    ],
    flags: FAILOVER_SHARD_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_WRITES_NOT_VERIFIED],
};

/** The malformed --shard is a usage error: nothing is read. */
export function checkShardFlag(shard: string, command: string): void {
    if (!SHARD_ID_PATTERN.test(shard)) {
        throw new UsageError(`${flagName("shard")} ${JSON.stringify(shard)} is not valid. Accepted: a node group id of four digits, such as 0001 or 0002.`, command);
    }
}

/**
 * How the run reaches the data plane: the CLI's connection with TLS, the user (--redis-user or the
 * stack's first password user) and the password from REDIS_PASSWORD; or why it cannot. A user the
 * stack does not have is bad input and stops the run before anything is asked of AWS.
 */
export function dataPlaneAccess(ctx: CommandContext, config: StackConfig, redisUser: string | undefined): DataPlaneAccess {
    let username: string | undefined;
    if (config.auth.mode === "rbac") {
        const passwordUsers = config.auth.users.filter((u) => u.authentication === "password").map((u) => u.name);
        if (redisUser !== undefined && !passwordUsers.includes(redisUser)) {
            throw new RefusedError(`${flagName("redisUser")} ${JSON.stringify(redisUser)} is not a password user of stack ${config.stack}. ` +
                `Accepted: ${passwordUsers.join(", ") || "none (the stack has only IAM users)"}.`);
        }
        username = redisUser ?? passwordUsers[0];
        if (username === undefined) {
            return { available: false, why: `stack ${config.stack} has no password user (IAM users need a token this command does not make)` };
        }
    } else if (redisUser !== undefined) {
        throw new RefusedError(`${flagName("redisUser")} ${JSON.stringify(redisUser)} is given, but stack ${config.stack} authenticates with an AUTH token, ` +
            `not users. Accepted: no ${flagName("redisUser")}; put the AUTH token in ${REDIS_PASSWORD_ENV}.`);
    }
    const connect = ctx.connectDataPlane;
    if (!connect) {
        return { available: false, why: "this run has no data-plane connection" };
    }
    const password = ctx.env?.[REDIS_PASSWORD_ENV];
    if (!password) {
        return { available: false, why: `${REDIS_PASSWORD_ENV} is not set: export the password of ${username ? `user ${username}` : "the AUTH token"} to verify writes` };
    }
    const target = (endpoint: { host: string; port: number }) => ({ seeds: [endpoint], tls: true, auth: { ...(username !== undefined ? { username } : {}), password } });
    return { available: true, connect: (endpoint) => connect(target(endpoint)), describe: (endpoint) => describeTarget(target(endpoint)) };
}

export const failoverShardCommand: Command = {
    spec: FAILOVER_SHARD_SPEC,
    async run(argv, ctx) {
        const { values, help } = parseFlags(FAILOVER_SHARD_SPEC, argv);
        if (help) {
            ctx.stdout.write(commandHelp(FAILOVER_SHARD_SPEC, ctx.invocation));
            return 0;
        }
        checkShardFlag(values.shard, FAILOVER_SHARD_SPEC.name);
        const rerun = rerunWithYes(ctx.invocation, FAILOVER_SHARD_SPEC.name, argv);
        return runCommand(ctx, {
            program: FAILOVER_SHARD_SPEC.name, inputs: values, whenStackUnavailable: "use-stack-file",
            stackFileConsequence: "failover-shard never changes the stack: the replication group's id comes from the configuration and its endpoint from AWS.",
        }, (driver, progress, report) => runShardFailover({
            region: values.region, shard: values.shard, dryRun: values.dryRun, waitTimeoutMs: values.waitTimeout,
        }, {
            driver, clients: ctx.clients, progress, report, signal: ctx.signal, rerunWithYes: rerun,
            dataPlane: (config) => dataPlaneAccess(ctx, config, values.redisUser),
            confirm: async (plan) => {
                await confirmChange({ yes: values.yes, plan, expected: values.shard, expectedWhat: "the shard id", rerunWithYes: rerun, io: ctx.confirmIo });
            },
        }));
    },
};
