/**
 * `restore-from-snapshot`: after data corruption, build the next generation from the newest good
 * snapshot, verify it, cut the writer over. A thin command: checks of its flags, confirmation and
 * reporting here (the flags in specs.ts); the stages in recovery/lib/restore/.
 */
import { confirmChange } from "../lib/confirm";
import { UsageError, flagName, rerunWithYes } from "../lib/flags";
import { runRestore } from "../lib/restore/run";
import { CommandContext } from "./context";
import { runCommand } from "./runner";
import { RESTORE_SPEC, RestoreOptions } from "./specs";

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

export async function run(values: RestoreOptions, argv: readonly string[], ctx: CommandContext): Promise<number> {
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
}

/** An ISO 8601 instant with a time zone, in the past. */
export function parsePastInstant(text: string, nowMs: number): number {
    const at = /^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(text) ? Date.parse(text) : NaN;
    if (Number.isNaN(at) || at >= nowMs) {
        throw new UsageError(`${flagName("before")} ${JSON.stringify(text)} is not valid${Number.isNaN(at) ? "" : ": it is not in the past"}. ` +
            "Accepted: an ISO 8601 time in the past with a time zone, such as 2026-11-20T14:05:00Z.", RESTORE_SPEC.name);
    }
    return at;
}
