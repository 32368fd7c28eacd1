/**
 * `failover-shard`: fail one shard over to a replica in another availability zone when automatic
 * failover did not (runbook scenario 1). A thin command: checks of its flags, confirmation, how to
 * reach the data plane and the report here (the flags in specs.ts); the checks and calls in
 * recovery/lib/shard-failover/.
 */
import { StackConfig } from "../../components/config/types";
import { describeTarget } from "../dataplane/connect";
import { confirmChange } from "../lib/confirm";
import { UsageError, flagName, rerunWithYes } from "../lib/flags";
import { RefusedError } from "../lib/retarget/preflight";
import { SHARD_ID_PATTERN } from "../lib/shard-failover/target";
import { runShardFailover } from "../lib/shard-failover/run";
import { DataPlaneAccess } from "../lib/shard-failover/verify-writes";
import { CommandContext } from "./context";
import { runCommand } from "./runner";
import { FAILOVER_SHARD_SPEC, FailoverShardOptions, REDIS_PASSWORD_ENV } from "./specs";

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

export async function run(values: FailoverShardOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
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
}
