/**
 * The lost-writes check as rejoin runs it: where the window starts (the detach), where it must end
 * (the moment the writers were moved, or the moment before a deletion), and how long to wait for
 * CloudWatch to publish that end. Counting itself is writes.ts.
 */
import { RegionClients } from "../clients";
import { Progress, StepContext } from "../progress";
import { RefusedError } from "../retarget/preflight";
import { WaitTimeoutError, waitFor } from "../wait";
import { DetachTime } from "./detach-time";
import { WriteCheckTarget, WriteCount, countPrimaryWrites, describeUncovered, judgeWrites, newestPeriodCovered } from "./writes";

/**
 * How long rejoin waits for CloudWatch to publish the minute the window must end in. A datapoint is
 * normally readable one to two minutes after its minute ends; five minutes allows for a slow region
 * without holding the recovery long. After that the missing minutes make the count unknown.
 */
export const COVERAGE_WAIT_MS = 5 * 60_000;

export interface LostWritesDeps {
    clients: RegionClients;
    progress: Progress;
    signal?: AbortSignal;
}

/** The refusal when the window cannot even start: nothing has changed at that point. */
export function unknownDetachTime(servingRegion: string, servingGroupId: string): RefusedError {
    return new RefusedError(`the detach time of ${servingGroupId} is unknown: no event of it in ${servingRegion} mentions a disassociation ` +
        "(AWS keeps events for 14 days), and the report directory holds no report of the outage run that detached it. Without it, the writes " +
        "the old primary took after the detach cannot be counted. Give it with --detached-at <ISO time>: the outage run's JSON report " +
        "records detachAcceptedAt and, when the replication lag metric had gone silent, recoveryPoint.silentSince.at; give the earlier " +
        "of the two. Nothing was changed.");
}

export interface LostWritesCheck {
    counts: WriteCount[];
    /** One sentence per group that took writes, or whose writes cannot be told. */
    problems: string[];
}

/**
 * The window without its newest minutes that CloudWatch has not published yet: what a count that did
 * not wait can speak for. Gaps earlier in the window stay (they are gaps, not delay).
 */
function endAtLastPublished(c: WriteCount): WriteCount {
    const trailing = c.uncovered.filter((r) => r.to === c.windowEnd);
    if (trailing.length === 0) {
        return c;
    }
    const cut = Math.min(...trailing.map((r) => r.from));
    const uncovered = c.uncovered.filter((r) => r.from < cut).map((r) => ({ ...r, to: Math.min(r.to, cut) }));
    return { ...c, windowEnd: cut, uncovered, complete: uncovered.length === 0 };
}

/**
 * Counts each group's writes from the detach to `untilMs`. With `waitForCoverage`, first waits (at
 * most COVERAGE_WAIT_MS) until CloudWatch has published the minute holding `untilMs`; without it (a
 * dry run), the window ends at the last minute CloudWatch has published.
 */
export async function countLostWrites(targets: readonly WriteCheckTarget[], detached: DetachTime, untilMs: number, waitForCoverage: boolean,
    deps: LostWritesDeps, step: StepContext): Promise<LostWritesCheck> {
    const { clients, progress, signal } = deps;
    const count = (t: WriteCheckTarget) => countPrimaryWrites(clients.cloudWatch(t.region), t, detached.at, untilMs, signal);
    const counts: WriteCount[] = [];
    for (const target of targets) {
        let last = await count(target);
        if (waitForCoverage && !newestPeriodCovered(last)) {
            try {
                await waitFor({
                    waitingFor: `CloudWatch to publish the writes of ${target.replicationGroupId} through the minute of ${new Date(untilMs).toISOString()}`,
                    timeoutMs: COVERAGE_WAIT_MS, clock: progress.clock, emit: step.emit, step: step.name, signal,
                    check: async () => {
                        last = await count(target);
                        const trailing = last.uncovered.filter((r) => r.to === last.windowEnd);
                        return { state: trailing.length ? `not yet published: ${describeUncovered(trailing)}` : "published", done: newestPeriodCovered(last) };
                    },
                });
            } catch (e) {
                if (!(e instanceof WaitTimeoutError)) {
                    throw e;
                }
                last = await count(target);
                step.found(`CloudWatch had not published every minute up to ${new Date(untilMs).toISOString()} after ` +
                    `${COVERAGE_WAIT_MS / 60_000} minutes; the minutes still missing count as unknown`, { level: "warn" });
            }
        }
        counts.push(waitForCoverage ? last : endAtLastPublished(last));
    }
    const problems: string[] = [];
    for (const c of counts) {
        const verdict = judgeWrites(c);
        step.found(verdict.text, { level: verdict.lost ? "warn" : "info", detail: { counted: c.counted, complete: c.complete, uncovered: c.uncovered } });
        if (verdict.lost) {
            problems.push(verdict.text);
        }
    }
    return { counts, problems };
}
