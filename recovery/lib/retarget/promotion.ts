/**
 * The control-plane half of retarget-primary: make the target accept writes, by a promotion or, in an
 * outage, by detaching it. Every change is asked with a single attempt (RegionClients
 * elastiCacheForChanges), and an unclear failure is followed by a re-read of the datastore, because a
 * call whose answer was lost may well have started the very change it asked for.
 */
import { Clock } from "../clock";
import { AwsCallError, AwsErrorKind, isTransient } from "../errors";
import { formatDuration } from "../printer";
import { Progress, StepContext, firstLine } from "../progress";
import { RunReport } from "../report";
import { WaitAbortedError, WaitError, WaitTimeoutError, waitFor } from "../wait";
import {
    ClientsFor, MembershipState, PromotionTarget, WaitContext, readMembership, readPromotion, requestDetach, requestFailover,
    waitUntilPromoted, waitUntilStandalone,
} from "./control-plane";
import { Promotion } from "./outcome";
import { PreflightResult } from "./preflight";
import { RetargetRequest } from "./run";

export interface PromotionDeps {
    /** Clients for reads and polling. */
    read: ClientsFor;
    /** Clients for changes: one attempt per call. */
    change: ClientsFor;
    progress: Progress;
    report: RunReport;
    signal?: AbortSignal;
}

/** Kinds after which asking again may help: AWS answered badly this time, or the answer did not arrive. */
const RETRYABLE: readonly AwsErrorKind[] = ["throttled", "server-error", "unreachable"];
/** Pause between two failover requests after a retryable failure, doubling up to the cap. */
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 15_000;

function waitContext(deps: PromotionDeps, step: string): WaitContext {
    return { clock: deps.progress.clock as Clock, emit: deps.progress.emit, step, signal: deps.signal };
}

function remaining(clock: Clock, deadline: number): number {
    return Math.max(1, deadline - clock.now());
}

/**
 * Asks for the failover until AWS accepts it or shows it under way. After any failure other than
 * denied access or credentials, the datastore is read again: a target that is PRIMARY, or a datastore
 * that is modifying, means the promotion runs (perhaps started by an attempt whose answer was lost),
 * so it is waited for and never asked again. Throttling, server errors and unanswered calls are
 * retried until `deadline`; anything else stops here.
 */
export async function requestFailoverCarefully(t: PromotionTarget, deadline: number, deps: PromotionDeps, step: StepContext): Promise<"accepted" | "under-way"> {
    const clock = deps.progress.clock;
    let pause = FIRST_RETRY_MS;
    for (;;) {
        try {
            deps.report.markFirstMutatingCall(`FailoverGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region}`);
            await requestFailover(deps.change, t, deps.signal);
            step.found("FailoverGlobalReplicationGroup accepted");
            return "accepted";
        } catch (e) {
            if (!(e instanceof AwsCallError) || e.kind === "access-denied" || e.kind === "credentials") {
                throw e;
            }
            let seen: string;
            try {
                const poll = await readPromotion(deps.read, t, deps.signal);
                if (poll.role === "PRIMARY" || poll.datastoreStatus === "modifying") {
                    step.found(`FailoverGlobalReplicationGroup answered ${e.code} (${e.kind}), but the datastore now shows ${poll.state}: ` +
                        "the promotion is under way, so it is waited for and not asked again", { level: "warn" });
                    return "under-way";
                }
                seen = poll.state;
            } catch (readError) {
                seen = `nothing: reading it failed too (${firstLine(readError)})`;
            }
            if (!RETRYABLE.includes(e.kind) || clock.now() + pause > deadline) {
                throw e;
            }
            step.found(`FailoverGlobalReplicationGroup failed (${firstLine(e)}); the datastore shows ${seen}, so the promotion did not start: ` +
                `asking again in ${formatDuration(pause)}`, { level: "warn" });
            await clock.sleep(pause, deps.signal);
            pause = Math.min(pause * 2, MAX_RETRY_MS);
        }
    }
}

/** planned: promote and wait; the run stops on any failure that leaves the promotion not under way. */
export async function promotePlanned(t: PromotionTarget, req: RetargetRequest, deps: PromotionDeps): Promise<Promotion> {
    await deps.progress.step("promote", `promoting ${t.replicationGroupId} in ${req.target}`, async (step) => {
        await requestFailoverCarefully(t, deps.progress.clock.now() + req.waitTimeoutMs, deps, step);
        step.next("poll DescribeGlobalReplicationGroups in the target region until the roles have swapped");
        await waitUntilPromoted(deps.read, t, req.waitTimeoutMs, waitContext(deps, "promote"));
        deps.report.markWritesAccepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
    });
    return "promoted";
}

/** Failures after which an outage run detaches instead: the promotion timed out, or AWS refuses it. */
function promotionCannotComplete(e: unknown): boolean {
    if (e instanceof WaitAbortedError) {
        return false;
    }
    return e instanceof WaitError || (e instanceof AwsCallError && (e.kind === "invalid-state" || isTransient(e.kind) || e.kind === "unreachable"));
}

/**
 * outage: a promotion needs the old primary to hand over. Tried (or, with `alreadyRequested`, waited
 * for) until --promotion-timeout; when it cannot complete, the target is detached.
 */
export async function promoteOrDetach(t: PromotionTarget, req: RetargetRequest, deps: PromotionDeps, alreadyRequested: boolean): Promise<Promotion> {
    const { progress, report } = deps;
    const deadline = progress.clock.now() + req.promotionTimeoutMs;
    const doing = alreadyRequested ? `waiting for the promotion of ${t.replicationGroupId} already in progress (deadline ${req.promotionTimeoutMs / 1000} s)`
        : `trying to promote ${t.replicationGroupId} (deadline ${req.promotionTimeoutMs / 1000} s)`;
    const promoted = await progress.step("promote", doing, async (step) => {
        try {
            if (!alreadyRequested) {
                await requestFailoverCarefully(t, deadline, deps, step);
            }
            await waitUntilPromoted(deps.read, t, remaining(progress.clock, deadline), waitContext(deps, "promote"));
            report.markWritesAccepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
            return true;
        } catch (e) {
            if (!promotionCannotComplete(e)) {
                throw e;
            }
            step.found(`the promotion did not complete: ${firstLine(e)}`, { level: "warn" });
            step.next(`detach ${t.replicationGroupId} from ${t.datastoreId} so it accepts writes on its own`);
            step.skip("promotion did not complete; detaching instead");
            return false;
        }
    });
    return promoted ? "promoted" : detachPersistently(t, req, deps);
}

/** Why AWS would not detach, for the message when it never does. */
function neverAccepted(t: PromotionTarget, req: RetargetRequest, refusals: number, last: AwsCallError | undefined, lastState: string): string {
    return `AWS refused DisassociateGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region} ${refusals} time(s) over ` +
        `${formatDuration(req.waitTimeoutMs)} (--wait-timeout); last answer: ${last ? `${last.code}: ${firstLine(last.cause ?? last)}` : "none"}; ` +
        `last state: ${lastState}. AWS documents this refusal for a datastore that is not available; a promotion that cannot reach the ` +
        "old primary's region keeps it modifying, and whether AWS ever lets a detach through then is not documented. " +
        `${t.replicationGroupId} does not accept writes yet. Options: run the same command again (it goes on asking), with a longer --wait-timeout; ` +
        "or ask AWS Support to end the stuck operation. Nothing else was changed."
}

/**
 * Detaches the target, asking again while AWS answers InvalidGlobalReplicationGroupState, until
 * --wait-timeout; then waits until it is standalone and available. Before each request the
 * membership is read, so a detach whose answer was lost is seen and not asked for twice.
 */
export async function detachPersistently(t: PromotionTarget, req: RetargetRequest, deps: PromotionDeps): Promise<Promotion> {
    const { progress, report } = deps;
    const clock = progress.clock;
    await progress.step("detach", `detaching ${t.replicationGroupId} from ${t.datastoreId} (asking again while AWS refuses, for up to ` +
        `${formatDuration(req.waitTimeoutMs)})`, async (step) => {
        const deadline = clock.now() + req.waitTimeoutMs;
        let refusals = 0;
        let lastRefusal: AwsCallError | undefined;
        let last: MembershipState | undefined;
        try {
            await waitFor({
                waitingFor: `AWS to accept the detach of ${t.replicationGroupId} in ${t.region}`,
                timeoutMs: req.waitTimeoutMs, ...waitContext(deps, "detach"),
                check: async (signal) => {
                    last = await readMembership(deps.read, t, signal);
                    if (last.kind === "standalone" || last.kind === "disassociating") {
                        return { state: last.state, done: true };
                    }
                    if (last.kind === "gone") {
                        return { state: last.state, done: false, failed: `${t.replicationGroupId} no longer exists in ${t.region}` };
                    }
                    if (last.kind === "primary") {
                        return { state: last.state, done: false, failed: `${t.replicationGroupId} is now PRIMARY of ${t.datastoreId} while it is ` +
                            `${last.datastoreStatus}: a primary cannot be detached. Wait until the datastore is available ` +
                            `(aws elasticache describe-global-replication-groups --show-member-info --region ${t.region}), then run the same command ` +
                            "again: it finds the target in charge and moves the writer" };
                    }
                    try {
                        deps.report.markFirstMutatingCall(`DisassociateGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region}`);
                        await requestDetach(deps.change, t, signal);
                    } catch (e) {
                        if (e instanceof AwsCallError && e.kind === "invalid-state") {
                            refusals += 1;
                            lastRefusal = e;
                            return { state: `refused (${e.code}), ${last.state}`, done: false };
                        }
                        throw e;
                    }
                    step.found(`DisassociateGlobalReplicationGroup accepted${refusals ? ` after ${refusals} refusal(s)` : ""}`);
                    return { state: "detach accepted", done: true };
                },
            });
        } catch (e) {
            if (e instanceof WaitTimeoutError && refusals > 0) {
                throw new Error(neverAccepted(t, req, refusals, lastRefusal, last?.state ?? "unknown"), { cause: e });
            }
            throw e;
        }
        await waitUntilStandalone(deps.read, t.region, t.replicationGroupId, remaining(clock, deadline), waitContext(deps, "detach"));
        report.markWritesAccepted(`${t.replicationGroupId} standalone and available in ${t.region}`);
    });
    return "detached";
}

/** Carries out the decision preflight took; returns how the target came to accept writes. */
export async function carryOut(req: RetargetRequest, pre: PreflightResult, t: PromotionTarget, deps: PromotionDeps): Promise<Promotion> {
    const { progress, report } = deps;
    const accepted = (how: string) => report.markWritesAccepted(how);
    const decision = pre.decision;
    switch (decision.action) {
        case "reconcile":
            progress.found(decision.standalone ? `${t.replicationGroupId} already accepts writes (detached before this run)`
                : `${req.target} was already the primary before this run; no control-plane call`);
            return decision.standalone ? "detached" : "already";
        case "wait-detach":
            await progress.step("detach", `waiting for ${t.replicationGroupId} to be standalone and available (detach already requested)`, async () => {
                await waitUntilStandalone(deps.read, req.target, t.replicationGroupId, req.waitTimeoutMs, waitContext(deps, "detach"));
                accepted(`${t.replicationGroupId} standalone and available in ${req.target}`);
            });
            return "detached";
        case "detach":
            return detachPersistently(t, req, deps);
        case "wait-promotion":
            if (req.mode === "outage") {
                return promoteOrDetach(t, req, deps, true);
            }
            await progress.step("promote", `waiting for the promotion of ${t.replicationGroupId} already in progress`, async () => {
                await waitUntilPromoted(deps.read, t, req.waitTimeoutMs, waitContext(deps, "promote"));
                accepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
            });
            return "promoted";
        case "failover":
            return req.mode === "outage" ? promoteOrDetach(t, req, deps, false) : promotePlanned(t, req, deps);
    }
}
