/**
 * rejoin: after an outage run detached the target, the serving cluster runs standalone and the old
 * datastore lingers with the old members. Everything that can refuse without changing anything runs
 * first (the Route 53 record, the detach time, a preview that must leave the serving cluster alone).
 * Then the writer parameter of every region is pointed at the serving cluster, so nothing writes to the
 * old primary any more, and the old primary is checked for writes it took after the detach (they
 * would survive only in its final snapshot), again right before it is deleted. Since a cluster that
 * holds data cannot join a datastore as a secondary, the old datastore and its stale members are
 * retired (with final snapshots), and the program rebuilds the datastore around the serving cluster,
 * adding the other regions as fresh secondaries. Nothing is ever sent to the serving cluster, and the
 * guard refuses any plan that would replace or delete it.
 *
 * Like retarget-primary it decides from what it observes: a rerun skips what is already gone, and
 * finishes an interrupted stack update when the new datastore already exists.
 */
import { memberRegions } from "../../components/config/types";
import { replicationGroupId, writerParameterName } from "../../components/naming";
import { RegionClients } from "./clients";
import { flagName } from "./flags";
import { STATEFUL_TYPES, previewVerdict, summarizeViolations } from "./guard";
import { formatDuration } from "./printer";
import { Progress } from "./progress";
import { checkFoundingRegion } from "./reconcile";
import { ClientsFor } from "./retarget/control-plane";
import { configChangesForPrimary } from "./stack-config";
import { StackDriver } from "./stack-driver";
import { describeWrites, writeWriterParameters } from "./writer-parameter";
import { dnsRefusal } from "./rejoin/dns";
import { RejoinChanges, RejoinStoppedError, describeRetired, noChanges } from "./rejoin/errors";
import { DetachTime, resolveDetachTime } from "./rejoin/detach-time";
import { countLostWrites, unknownDetachTime } from "./rejoin/lost-writes";
import { FinishPlan, RetirePlan, planRejoin } from "./rejoin/plan";
import { checkServingBeforeChanges, rebuildThroughStack } from "./rejoin/rebuild";
import { retireOld } from "./rejoin/retire";
import { FinalSnapshot, checkFinalSnapshots, finalSnapshotPrefix, findFinalSnapshot } from "./rejoin/snapshots";
import { waitFor } from "./wait";

export { oldDatastoreRegion } from "./rejoin/plan";

export interface RejoinRequest {
    dryRun: boolean;
    /** How long each deletion or detach may take. */
    waitTimeoutMs: number;
    /** --detached-at: when the serving cluster was detached (epoch ms), when its events do not say. Default: from the events. */
    detachedAtMs?: number;
    /** --accept-lost-writes: go on although the old primary took writes after the detach (or that is unknown). Default false. */
    acceptLostWrites?: boolean;
    /** --dns-checked: a human confirmed the Route 53 writer record names the serving cluster. Default false. */
    dnsChecked?: boolean;
}

export interface RejoinDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    confirm(plan: string[], servingRegion: string): Promise<void>;
    invocation: string;
    /** Where the outage run wrote its report, read for the detach time. Default: not read. */
    reportDir?: string;
    signal?: AbortSignal;
}

export interface RejoinResult {
    summary: string;
    nextSteps: string[];
    plan: string[];
}

export async function runRejoin(req: RejoinRequest, deps: RejoinDeps): Promise<RejoinResult> {
    const plan = await planRejoin(deps, req.dnsChecked ?? false);
    deps.progress.found(`plan: ${plan.lines.join("; ")}`);
    return plan.kind === "finish" ? finishUpdate(req, plan, deps) : retireAndRebuild(req, plan, deps);
}

function detachTime(req: RejoinRequest, plan: RetirePlan | FinishPlan, deps: RejoinDeps): Promise<DetachTime | undefined> {
    return resolveDetachTime({
        detachedAtMs: req.detachedAtMs, reportDir: deps.reportDir, stack: deps.driver.stackName, servingRegion: plan.servingRegion,
        servingGroupId: plan.servingGroupId, nowMs: deps.progress.clock.now(),
    }, deps.clients, deps.signal);
}

/** The same command with the flags given, confirmed; `acceptLostWrites` adds that flag. */
function rerunCommand(req: RejoinRequest, deps: RejoinDeps, acceptLostWrites = req.acceptLostWrites ?? false): string {
    const flags = [
        ...(req.detachedAtMs !== undefined ? [`${flagName("detachedAt")} ${new Date(req.detachedAtMs).toISOString()}`] : []),
        ...(req.dnsChecked ? [flagName("dnsChecked")] : []),
        ...(acceptLostWrites ? [flagName("acceptLostWrites")] : []),
    ];
    return `${deps.invocation} rejoin --stack ${deps.driver.stackName}${flags.map((f) => ` ${f}`).join("")} ${flagName("yes")}`;
}

async function retireAndRebuild(req: RejoinRequest, plan: RetirePlan, deps: RejoinDeps): Promise<RejoinResult> {
    const { driver, progress, clients } = deps;
    const refusals: string[] = [];
    const refuseOrNote = (e: Error) => {
        if (!req.dryRun) {
            throw e;
        }
        progress.found(`the real run would refuse here: ${e.message}`, { level: "error" });
        refusals.push(e.message);
    };
    const dns = dnsRefusal(plan.config, plan.servingGroupId, plan.writer.configurationEndpoint, req.dnsChecked ?? false);
    if (dns) {
        refuseOrNote(dns);
    }
    const detached = await progress.step("detach-time", `finding when ${plan.servingGroupId} was detached`, async (step) => {
        const found = await detachTime(req, plan, deps);
        step.found(found ? `detached at ${new Date(found.at).toISOString()} (from ${found.source})` : "neither its events nor an outage report say when",
            { level: found ? "info" : "warn" });
        return found;
    });
    if (!detached && plan.writeCheck.length) {
        refuseOrNote(unknownDetachTime(plan.servingRegion, plan.servingGroupId));
    }
    const serving = await checkServingBeforeChanges(driver, plan.servingRegion, plan.servingGroupId, progress, req.dryRun);
    if (!serving.allowed) {
        refusals.push(serving.violations.length ? `the policy pack refuses the stack's current configuration (${summarizeViolations(serving.violations)})`
            : `the current preview would replace or delete ${plan.servingGroupId} or its KMS key`);
    }

    if (req.dryRun) {
        if (detached && plan.writeCheck.length) {
            await progress.step("lost-writes", `counting the writes ${plan.writeCheck.map((g) => g.replicationGroupId).join(", ")} took since the detach, ` +
                "up to the last minute CloudWatch has published (dry run: the writers are not moved, so writes may still come)", async (step) => {
                const { problems } = await countLostWrites(plan.writeCheck, detached, progress.clock.now(), false, deps, step);
                if (problems.length && !req.acceptLostWrites) {
                    refusals.push(`refusing to retire the old clusters: ${problems.join(" ")}`);
                }
            });
        }
        return {
            summary: `dry run: nothing was changed${refusals.length ? `; the real run would refuse (${refusals.length} reason${refusals.length > 1 ? "s" : ""})` : ""}`,
            plan: plan.lines,
            nextSteps: [
                ...refusals.map((r) => `The real run would refuse: ${r}`),
                ...(plan.writeCheck.length ? ["The real run counts the old clusters' writes again after moving the writers, waiting for CloudWatch " +
                    "to publish that moment, and the old primary's once more right before deleting it."] : []),
                `Review the plan above, then run: ${rerunCommand(req, deps)}`,
            ],
        };
    }

    await deps.confirm(plan.lines, plan.servingRegion);
    const changes = noChanges();
    await progress.step("writer", `pointing ${writerParameterName(plan.config)} at ${plan.servingGroupId} in every region`, async (step) => {
        const writes = await writeWriterParameters(plan.config, plan.writer, memberRegions(plan.config), clients, step, progress.clock, deps.signal);
        changes.writersMovedIn.push(...writes.filter((w) => w.result === "updated").map((w) => w.region));
        if (writes.some((w) => w.result !== "updated")) {
            throw new RejoinStoppedError(`the writer parameter could not be written everywhere (${describeWrites(writes)}); rejoin stops before ` +
                "retiring anything, so that no application still writes to an old cluster.", [
                `${writerParameterName(plan.config)} now names ${plan.servingGroupId} in ${changes.writersMovedIn.join(", ") || "no region"}; nothing was ` +
                    "detached or deleted. Fix what the lines above say (the region must answer SSM PutParameter), then run rejoin again: it writes the " +
                    "parameter everywhere first.",
            ]);
        }
        step.summarize(describeWrites(writes));
    });
    const writersMovedAt = progress.clock.now();
    // `detached` is set whenever there is something to count: without it the run refused above, before any change.
    if (plan.writeCheck.length) {
        await checkLostWrites(req, plan, deps, detached!, writersMovedAt, changes, "lost-writes", plan.writeCheck);
    }
    await retireOld(plan, {
        clients, progress, waitTimeoutMs: req.waitTimeoutMs, signal: deps.signal, changes,
        beforeDeleting: async (group) => {
            const target = plan.writeCheck.find((t) => t.replicationGroupId === group.replicationGroupId && t.region === group.region);
            // Once its datastore is gone the old primary is standalone and accepts writes again: count up to this moment.
            if (plan.oldPrimary?.replicationGroupId === group.replicationGroupId && target) {
                await checkLostWrites(req, plan, deps, detached!, progress.clock.now(), changes, "lost-writes-again", [target]);
            }
        },
    });
    await rebuildThroughStack({
        driver, progress, config: plan.config, servingRegion: plan.servingRegion, servingGroupId: plan.servingGroupId, configChanges: plan.configChanges, changes,
    });
    const snapshots = await waitForFinalSnapshots(req, plan, deps, detached);
    return {
        summary: `the datastore is declared again around ${plan.servingGroupId}; the other regions join as fresh secondaries`,
        plan: plan.lines,
        nextSteps: doneSteps(plan.servingRegion, driver.stackName, snapshots),
    };
}

/** One count of the old clusters' writes since the detach, up to `untilMs`; refuses unless none or accepted. */
async function checkLostWrites(req: RejoinRequest, plan: RetirePlan, deps: RejoinDeps, detached: DetachTime, untilMs: number,
    changes: RejoinChanges, stepName: string, targets: RetirePlan["writeCheck"]): Promise<void> {
    const ids = targets.map((g) => g.replicationGroupId).join(", ");
    await deps.progress.step(stepName, `counting the writes ${ids} took from the detach (${new Date(detached.at).toISOString()}, from ${detached.source}) ` +
        `to ${new Date(untilMs).toISOString()}`, async (step) => {
        const { problems } = await countLostWrites(targets, detached, untilMs, true, deps, step);
        if (problems.length && req.acceptLostWrites) {
            step.found("going on because of --accept-lost-writes", { level: "warn" });
        } else if (problems.length) {
            throw lostWritesStopped(plan, problems, targets, changes, rerunCommand(req, deps, true));
        }
    });
}

/** The refusal after the writers moved: says where they point now, what else was changed, and how to go on. */
function lostWritesStopped(plan: RetirePlan, problems: string[], targets: RetirePlan["writeCheck"], changes: RejoinChanges, rerun: string): RejoinStoppedError {
    const param = writerParameterName(plan.config);
    const retired = describeRetired(changes);
    const old = targets.map((t) => `${t.replicationGroupId} (${t.region})`).join(", ");
    const moved = `${param} now names ${plan.servingGroupId} in ${plan.servingRegion}, in ${changes.writersMovedIn.join(", ")} (this run wrote it)`;
    return new RejoinStoppedError(`refusing to retire ${old}: ${problems.join(" ")} Those writes are not in the serving cluster; once rejoin deletes ` +
        `the old cluster they survive only in its final snapshot (${targets.map((t) => `${finalSnapshotPrefix(t.replicationGroupId)}...`).join(", ")}). ` +
        `This run already changed: ${moved}${retired ? `; it ${retired}` : "; nothing was detached or deleted"}.`, [
        `Writers were moved: ${moved}, so applications that read it now write to the serving cluster. ` +
            (retired ? `This run also ${retired}: ${old} is now a standalone cluster that accepts writes, and still holds whatever it took since the detach.`
                : `${old} is untouched: still the old datastore's primary, still holding whatever it took since the detach.`),
        `Recover those writes: read them from ${targets.map((t) => t.replicationGroupId).join(", ")}, which is still there, and apply what the serving cluster lacks; for minutes CloudWatch has no ` +
            "datapoint for, check the applications' own logs for writes sent to the old cluster then.",
        `Then, or to accept their loss (they then survive only in the final snapshot), run: ${rerun}`,
    ]);
}

/** An earlier rejoin's stack update was interrupted after the new datastore existed: finish it. */
async function finishUpdate(req: RejoinRequest, plan: FinishPlan, deps: RejoinDeps): Promise<RejoinResult> {
    const { driver, progress } = deps;
    await checkFoundingRegion(driver, progress, plan.rebuilt.datastoreId);
    if (req.dryRun) {
        await progress.step("preview", `previewing stack ${driver.stackName} (dry run: current state, not refreshed)`, async (step) => {
            const verdict = await previewVerdict(driver, STATEFUL_TYPES);
            step.found(`${verdict.message}; the real run refreshes first, then previews through the guard again before any up`,
                { level: verdict.allowed ? "info" : "warn" });
        });
        return { summary: "dry run: nothing was changed", plan: plan.lines, nextSteps: [`Review the plan above, then run: ${rerunCommand(req, deps)}`] };
    }
    await deps.confirm(plan.lines, plan.servingRegion);
    await rebuildThroughStack({
        driver, progress, config: plan.config, servingRegion: plan.servingRegion, servingGroupId: plan.servingGroupId, changes: noChanges(),
        configChanges: configChangesForPrimary(plan.raw, plan.config, plan.servingRegion, plan.servingRegion),
    });
    const detached = await detachTime(req, plan, deps);
    const snapshots = await waitForFinalSnapshots(req, plan, deps, detached);
    return {
        summary: `the interrupted stack update is finished: ${plan.rebuilt.datastoreId} is declared around ${plan.servingGroupId}`,
        plan: plan.lines,
        nextSteps: doneSteps(plan.servingRegion, driver.stackName, snapshots),
    };
}

function doneSteps(servingRegion: string, stackName: string, snapshots: FinalSnapshot[]): string[] {
    return [
        `Watch the new secondaries join (tens of minutes): DescribeGlobalReplicationGroups in ${servingRegion}.`,
        `Commit the updated stack configuration (Pulumi.${stackName}.yaml: primaryRegion, secondaryRegions and foundingRegion ${servingRegion}).`,
        `Final snapshots of the retired groups: ${snapshots.map((s) => `${s.name} (${s.region}, ${s.status})`).join(", ") || "none were needed"}; ` +
            "delete them once you are sure no write is missing.",
    ];
}

/** The final snapshots as AWS names them (also those an earlier run took, after the detach), once all are available. */
async function waitForFinalSnapshots(req: RejoinRequest, plan: RetirePlan | FinishPlan, deps: RejoinDeps, detached: DetachTime | undefined): Promise<FinalSnapshot[]> {
    const { progress } = deps;
    const clientsFor: ClientsFor = (region) => deps.clients.elastiCache(region);
    const afterMs = detached?.at;
    const retired = plan.kind === "retire" ? plan.deleteGroups.map((g) => ({ region: g.region, replicationGroupId: g.replicationGroupId })) : [];
    // Groups an earlier run already deleted are no longer in the plan; their snapshots still are rejoin's to report.
    for (const region of memberRegions(plan.config).filter((r) => r !== plan.servingRegion && !retired.some((g) => g.region === r))) {
        const id = replicationGroupId(plan.config, region);
        if (await findFinalSnapshot(clientsFor, region, id, afterMs, deps.signal)) {
            retired.push({ region, replicationGroupId: id });
        }
    }
    if (retired.length === 0) {
        return [];
    }
    return progress.step("final-snapshots", `waiting for the final snapshots of ${retired.map((g) => g.replicationGroupId).join(", ")} to be available ` +
        `(up to ${formatDuration(req.waitTimeoutMs)}${afterMs !== undefined ? `; only snapshots taken after the detach count` : ""})`, async (step) => {
        let last: FinalSnapshot[] = [];
        await waitFor({
            waitingFor: "every final snapshot to be available", timeoutMs: req.waitTimeoutMs, step: "final-snapshots",
            clock: progress.clock, emit: progress.emit, signal: deps.signal,
            check: async (signal) => {
                const seen = await checkFinalSnapshots(clientsFor, retired, afterMs, signal);
                last = seen.snapshots;
                return seen;
            },
        });
        step.summarize(last.map((s) => s.name).join(", "));
        return last;
    });
}
