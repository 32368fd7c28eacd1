/**
 * The control-plane half of retarget-primary: make the target accept writes, by a promotion or, in an
 * outage, by detaching it (detach.ts). Every change goes through change.ts with a single attempt per
 * request (RegionClients elastiCacheForChanges): a throttled request is asked again, and an unclear
 * failure (no answer, a server error) is followed by a re-read of the datastore, because a call whose
 * answer was lost may well have started the very change it asked for; a definite refusal is a
 * refusal, whatever else is changing the datastore.
 */
import { LookReason, UnclearChangeError, sendChange } from "../change";
import { AwsCallError, AwsErrorKind, classifyAwsError, isTransient } from "../errors";
import { formatDuration } from "../printer";
import { StepContext, firstLine } from "../progress";
import { WaitAbortedError, WaitError } from "../wait";
import { PromotionState, PromotionTarget, readMembership, readPromotion, requestFailover, waitUntilPromoted, waitUntilStandalone } from "./control-plane";
import { detachPersistently, primaryOutcome } from "./detach";
import { Promotion } from "./outcome";
import { PreflightResult, RefusedError } from "./preflight";
import { PromotionDeps, remaining, waitContext } from "./promotion-deps";
import { RetargetRequest } from "./run";

export type { PromotionDeps } from "./promotion-deps";

/** Kinds after which the request may have taken effect although no acceptance came back (errors.ts changeAnswer "unclear"). */
const UNCLEAR: readonly AwsErrorKind[] = ["server-error", "unreachable"];
/** Pause between two failover requests after an unclear failure that did not start the promotion, doubling up to the cap. */
const FIRST_RETRY_MS = 2000;
const MAX_RETRY_MS = 15_000;

/**
 * Asks for the failover until AWS accepts it or shows it under way. change.ts settles each answer:
 * a throttled request is asked again (the target's role is read first), an unclear one is followed by
 * a re-read of the datastore, where a target that is PRIMARY, or a datastore that is modifying, means
 * the promotion may run (started by the attempt whose answer was lost): it is then waited for and
 * never asked again. An unclear failure that shows no promotion is asked again here, until `deadline`.
 * A refusal (InvalidGlobalReplicationGroupState) is thrown as it is, for the caller to decide, unless
 * an earlier attempt of this call was unclear: then the refusal may be our own promotion running, and
 * a re-read decides. Anything else stops here.
 */
export async function requestFailoverCarefully(t: PromotionTarget, deadline: number, deps: PromotionDeps, step: StepContext): Promise<"accepted" | "under-way"> {
    const clock = deps.progress.clock;
    let pause = FIRST_RETRY_MS;
    let unclearBefore = false;
    const underWay = (poll: PromotionState, reason: LookReason) =>
        poll.role === "PRIMARY" || (reason === "unclear" && poll.datastoreStatus === "modifying");
    for (;;) {
        try {
            deps.report.markFirstMutatingCall(`FailoverGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region}`);
            const outcome = await sendChange({
                context: { region: t.region, service: "elasticache", operation: "FailoverGlobalReplicationGroup" },
                send: (signal) => requestFailover(deps.change, t, signal),
                lookFor: async (reason, signal) => {
                    const poll = await readPromotion(deps.read, t, signal);
                    return underWay(poll, reason) ? `the datastore now shows ${poll.state}` : undefined;
                },
                clock, signal: deps.signal, step, deadline,
            });
            if (outcome.result === "already") {
                return "under-way";
            }
            step.found("FailoverGlobalReplicationGroup accepted");
            return "accepted";
        } catch (e) {
            if (!(e instanceof AwsCallError)) {
                throw e;
            }
            if (e.kind === "invalid-state" && unclearBefore) {
                const poll = await readPromotion(deps.read, t, deps.signal).catch(() => undefined);
                if (poll && underWay(poll, "unclear")) {
                    step.found(`FailoverGlobalReplicationGroup answered ${e.code} (${e.kind}), but the datastore now shows ${poll.state}: the promotion ` +
                        "may be under way (started by an earlier attempt whose answer was lost), so it is waited for and not asked again", { level: "warn" });
                    return "under-way";
                }
            }
            if (!UNCLEAR.includes(e.kind) || clock.now() + pause > deadline) {
                throw e;
            }
            unclearBefore = true;
            step.found(`FailoverGlobalReplicationGroup failed (${firstLine(e)}), and ` + (e instanceof UnclearChangeError && e.stateRead
                ? `the datastore read again shows no promotion, so the promotion did not start: asking again in ${formatDuration(pause)}`
                : `the datastore could not be read: asking again in ${formatDuration(pause)} (a promotion already running makes AWS refuse it, ` +
                    "and the datastore is read again then)"), { level: "warn" });
            await clock.sleep(pause, deps.signal);
            pause = Math.min(pause * 2, MAX_RETRY_MS);
        }
    }
}

/** A failover AWS refused because the datastore is busy: someone else's change, so the planned run stops having changed nothing. */
async function refusedByState(t: PromotionTarget, e: AwsCallError, deps: PromotionDeps): Promise<RefusedError> {
    const seen = await readPromotion(deps.read, t, deps.signal).then((p) => p.state, (readError) => `unknown (reading it failed: ${firstLine(readError)})`);
    return new RefusedError(`AWS refused FailoverGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region} (${e.code}: ` +
        `${firstLine(e.cause ?? e)}): someone else is changing the datastore ${t.datastoreId} (it shows ${seen}), for example a scaling, an ` +
        "upgrade or a promotion from the console. This run changed nothing. Wait until it is available (aws elasticache " +
        `describe-global-replication-groups --global-replication-group-id ${t.datastoreId} --show-member-info --region ${t.region}), ` +
        "then run the same command again: it continues from whatever state it finds.");
}

/** planned: promote and wait; the run stops on any failure that leaves the promotion not under way. */
export async function promotePlanned(t: PromotionTarget, req: RetargetRequest, deps: PromotionDeps): Promise<Promotion> {
    await deps.progress.step("promote", `promoting ${t.replicationGroupId} in ${req.target}`, async (step) => {
        let how: "accepted" | "under-way";
        try {
            how = await requestFailoverCarefully(t, deps.progress.clock.now() + req.waitTimeoutMs, deps, step);
        } catch (e) {
            throw e instanceof AwsCallError && e.kind === "invalid-state" ? await refusedByState(t, e, deps) : e;
        }
        step.next("poll DescribeGlobalReplicationGroups in the target region until the roles have swapped");
        await waitUntilPromoted(deps.read, t, req.waitTimeoutMs, waitContext(deps, "promote"), { changeSeen: how === "under-way" });
        deps.report.markWritesAccepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
    });
    return "promoted";
}

/**
 * Failures after which an outage run detaches instead: the promotion timed out or ended without the
 * target in charge, AWS refuses it, or the target's region answers badly. Never a login problem (denied
 * access, credentials): a detach would fail the same way, and the message must reach the human as it is.
 */
export function promotionCannotComplete(e: unknown): boolean {
    if (e instanceof WaitAbortedError) {
        return false;
    }
    const cause = e instanceof WaitError ? e.cause : e;
    if (cause !== undefined) {
        const kind = cause instanceof AwsCallError ? cause.kind : classifyAwsError(cause);
        if (kind === "access-denied" || kind === "credentials") {
            return false;
        }
    }
    return e instanceof WaitError || (e instanceof AwsCallError && (e.kind === "invalid-state" || isTransient(e.kind) || e.kind === "unreachable"));
}

/**
 * outage: a promotion needs the old primary to hand over. Tried (or, with `alreadyRequested`, waited
 * for) until --promotion-timeout; when it cannot complete, the target is looked at once more (it may be
 * PRIMARY by now: primaryOutcome) and otherwise detached.
 */
export async function promoteOrDetach(t: PromotionTarget, req: RetargetRequest, deps: PromotionDeps, alreadyRequested: boolean): Promise<Promotion> {
    const { progress, report } = deps;
    const deadline = progress.clock.now() + req.promotionTimeoutMs;
    const doing = alreadyRequested ? `waiting for the promotion of ${t.replicationGroupId} already in progress (deadline ${req.promotionTimeoutMs / 1000} s)`
        : `trying to promote ${t.replicationGroupId} (deadline ${req.promotionTimeoutMs / 1000} s)`;
    const promoted = await progress.step("promote", doing, async (step): Promise<Promotion | undefined> => {
        try {
            // A rerun found the datastore already changing: available again with the target SECONDARY ends the wait.
            let changeSeen = alreadyRequested;
            if (!alreadyRequested) {
                changeSeen = (await requestFailoverCarefully(t, deadline, deps, step)) === "under-way";
            }
            await waitUntilPromoted(deps.read, t, remaining(progress.clock, deadline), waitContext(deps, "promote"), { changeSeen });
            report.markWritesAccepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
            return "promoted";
        } catch (e) {
            if (!promotionCannotComplete(e)) {
                throw e;
            }
            step.found(`the promotion did not complete: ${firstLine(e)}`, { level: "warn" });
        }
        const taken = await lookAgain(t, deps, step);
        if (taken) {
            step.summarize(taken === "promoted" ? "promotion completed" : `${t.replicationGroupId} is PRIMARY and accepts writes; the datastore is still changing`);
            return taken;
        }
        step.next(`detach ${t.replicationGroupId} from ${t.datastoreId} so it accepts writes on its own`);
        step.skip("promotion did not complete; detaching instead");
        return undefined;
    });
    return promoted ?? detachPersistently(t, req, deps);
}

/** One more look before detaching: a target that is PRIMARY by now is taken as it is (primaryOutcome). */
async function lookAgain(t: PromotionTarget, deps: PromotionDeps, step: StepContext): Promise<Promotion | undefined> {
    try {
        return primaryOutcome(await readMembership(deps.read, t, deps.signal), t, deps.report, step);
    } catch (e) {
        // The detach reads the membership before each request anyway.
        step.found(`reading ${t.replicationGroupId}'s membership failed (${firstLine(e)}); going on to the detach`, { level: "warn" });
        return undefined;
    }
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
