/**
 * The outage half of retarget-primary's control-plane part: detach the target so it accepts writes on
 * its own, or, when it turns out PRIMARY meanwhile, take that instead. AWS refuses a detach while the
 * datastore is not available, so a refused request is asked again on its own slow cadence while the
 * membership is read at the polling loop's pace: a promotion that completes, or a detach whose answer
 * was lost, is seen within seconds, and AWS is not asked to change anything every second.
 */
import { sendChange } from "../change";
import { AwsCallError } from "../errors";
import { formatDuration } from "../printer";
import { StepContext, firstLine } from "../progress";
import { RunReport } from "../report";
import { WaitTimeoutError, waitFor } from "../wait";
import { MembershipState, PromotionTarget, isSettled, readMembership, requestDetach, waitUntilStandalone } from "./control-plane";
import { Promotion } from "./outcome";
import { PromotionDeps, remaining, waitContext } from "./promotion-deps";
import { RetargetRequest } from "./run";

/** After AWS refuses a detach, the next request waits this long plus up to DETACH_RETRY_JITTER_MS; reads go on meanwhile. */
export const DETACH_RETRY_MS = 15_000;
export const DETACH_RETRY_JITTER_MS = 15_000;

/**
 * What a target that is PRIMARY means for the writer. PRIMARY of a settled datastore: the promotion
 * completed. PRIMARY while the datastore is still modifying, with its own group available: it accepts
 * writes (its own region says so), so the writer may move while the datastore is reported as it is.
 * Otherwise (or not PRIMARY) undefined: nothing to take yet.
 */
export function primaryOutcome(m: MembershipState, t: PromotionTarget, report: RunReport, step: StepContext): Promotion | undefined {
    if (m.kind !== "primary") {
        return undefined;
    }
    if (isSettled(m.datastoreStatus)) {
        report.markWritesAccepted(`${t.replicationGroupId} PRIMARY of an available ${t.datastoreId}`);
        step.found(`${t.replicationGroupId} is PRIMARY of ${t.datastoreId}, which is ${m.datastoreStatus}: the promotion completed`);
        return "promoted";
    }
    if (m.groupStatus === "available") {
        report.markWritesAccepted(`${t.replicationGroupId} PRIMARY and available as ${t.region} reports it, while ${t.datastoreId} is ${m.datastoreStatus}`);
        step.found(`${t.replicationGroupId} is PRIMARY and ${t.region} reports it available, so it accepts writes; ${t.datastoreId} is still ` +
            `${m.datastoreStatus ?? "not visible"}: the writer moves now, and the datastore is reported as it is (${m.state})`, { level: "warn" });
        return "primary-unsettled";
    }
    return undefined;
}

/** Why AWS would not detach, for the message when it never does. */
function neverAccepted(t: PromotionTarget, req: RetargetRequest, refusals: number, last: AwsCallError | undefined, lastState: string): string {
    return `AWS refused DisassociateGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region} ${refusals} time(s) over ` +
        `${formatDuration(req.waitTimeoutMs)} (--wait-timeout); last answer: ${last ? `${last.code}: ${firstLine(last.cause ?? last)}` : "none"}; ` +
        `last state: ${lastState}. AWS documents this refusal for a datastore that is not available; a promotion that cannot reach the ` +
        "old primary's region keeps it modifying, and whether AWS ever lets a detach through then is not documented. " +
        `${t.replicationGroupId} does not accept writes yet. Options: run the same command again (it goes on asking), with a longer --wait-timeout; ` +
        "or ask AWS Support to end the stuck operation. Nothing else was changed.";
}

/** The target stayed PRIMARY of a datastore that never settled, and its own group never showed available. */
function primaryNeverSettled(t: PromotionTarget, req: RetargetRequest, lastState: string): string {
    return `${t.replicationGroupId} is PRIMARY of ${t.datastoreId}, but for ${formatDuration(req.waitTimeoutMs)} (--wait-timeout) neither the ` +
        `datastore nor ${t.replicationGroupId} itself became available (last state: ${lastState}); a primary cannot be detached, so there is ` +
        `nothing to do but wait. Check it (aws elasticache describe-replication-groups --replication-group-id ${t.replicationGroupId} --region ${t.region}); ` +
        "run the same command again, which moves the writer as soon as the group is available; if the datastore stays modifying, ask AWS Support " +
        "to end the stuck operation. Nothing was changed by this run.";
}

/**
 * Detaches the target, asking again while AWS answers InvalidGlobalReplicationGroupState, until
 * --wait-timeout; then waits until it is standalone and available. Before each request the
 * membership is read, so a detach whose answer was lost is seen and not asked for twice, and a
 * target that became PRIMARY meanwhile ends the step (primaryOutcome) instead of failing it.
 */
export async function detachPersistently(t: PromotionTarget, req: RetargetRequest, deps: PromotionDeps): Promise<Promotion> {
    const { progress, report } = deps;
    const clock = progress.clock;
    const random = deps.random ?? Math.random;
    return progress.step("detach", `detaching ${t.replicationGroupId} from ${t.datastoreId} (asking again while AWS refuses, every ` +
        `${formatDuration(DETACH_RETRY_MS)} to ${formatDuration(DETACH_RETRY_MS + DETACH_RETRY_JITTER_MS)}, for up to ${formatDuration(req.waitTimeoutMs)})`, async (step) => {
        const deadline = clock.now() + req.waitTimeoutMs;
        let refusals = 0;
        let lastRefusal: AwsCallError | undefined;
        let last: MembershipState | undefined;
        let nextRequestAt = clock.now();
        let lastRequestAt: number | undefined;
        let tookPrimary: Promotion | undefined;
        try {
            await waitFor({
                waitingFor: `AWS to accept the detach of ${t.replicationGroupId} in ${t.region}`,
                timeoutMs: req.waitTimeoutMs, ...waitContext(deps, "detach"),
                check: async (signal) => {
                    last = await readMembership(deps.read, t, signal);
                    switch (last.kind) {
                        case "standalone":
                        case "disassociating":
                            // Accepted by a request whose answer was lost: it was accepted no earlier than it was sent.
                            if (lastRequestAt !== undefined) {
                                report.markDetachAccepted(lastRequestAt);
                            }
                            return { state: last.state, done: true };
                        case "gone":
                            return { state: last.state, done: false, failed: `${t.replicationGroupId} no longer exists in ${t.region}` };
                        case "primary":
                            tookPrimary = primaryOutcome(last, t, report, step);
                            return { state: tookPrimary ? last.state : `${last.state}: a primary cannot be detached, waiting for it to be available`,
                                done: tookPrimary !== undefined };
                        case "secondary":
                            break;
                    }
                    if (clock.now() < nextRequestAt) {
                        return { state: `refused (${lastRefusal?.code}), ${last.state}`, done: false };
                    }
                    try {
                        report.markFirstMutatingCall(`DisassociateGlobalReplicationGroup of ${t.replicationGroupId} in ${t.region}`);
                        lastRequestAt = clock.now();
                        const outcome = await sendChange({
                            context: { region: t.region, service: "elasticache", operation: "DisassociateGlobalReplicationGroup" },
                            send: (s) => requestDetach(deps.change, t, s),
                            lookFor: async (_reason, s) => {
                                const seen = await readMembership(deps.read, t, s);
                                return seen.kind === "standalone" || seen.kind === "disassociating" ? `${t.replicationGroupId} shows ${seen.state}` : undefined;
                            },
                            clock, signal, step, deadline,
                        });
                        if (outcome.result === "already") {
                            // Accepted by a request whose answer was lost, or by someone else: no earlier than it was sent.
                            report.markDetachAccepted(lastRequestAt);
                            return { state: outcome.seen, done: true };
                        }
                    } catch (e) {
                        if (e instanceof AwsCallError && e.kind === "invalid-state") {
                            refusals += 1;
                            lastRefusal = e;
                            nextRequestAt = clock.now() + DETACH_RETRY_MS + random() * DETACH_RETRY_JITTER_MS;
                            return { state: `refused (${e.code}), ${last.state}`, done: false };
                        }
                        throw e;
                    }
                    report.markDetachAccepted();
                    step.found(`DisassociateGlobalReplicationGroup accepted${refusals ? ` after ${refusals} refusal(s)` : ""}`);
                    return { state: "detach accepted", done: true };
                },
            });
        } catch (e) {
            if (e instanceof WaitTimeoutError && last?.kind === "primary") {
                throw new Error(primaryNeverSettled(t, req, last.state), { cause: e });
            }
            if (e instanceof WaitTimeoutError && refusals > 0) {
                throw new Error(neverAccepted(t, req, refusals, lastRefusal, last?.state ?? "unknown"), { cause: e });
            }
            throw e;
        }
        if (tookPrimary) {
            step.summarize(`no detach: ${t.replicationGroupId} became PRIMARY (${tookPrimary === "promoted" ? "promotion completed" : "datastore still changing"})`);
            return tookPrimary;
        }
        await waitUntilStandalone(deps.read, t.region, t.replicationGroupId, remaining(clock, deadline), waitContext(deps, "detach"));
        report.markWritesAccepted(`${t.replicationGroupId} standalone and available in ${t.region}`);
        return "detached";
    });
}
