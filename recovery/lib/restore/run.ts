/**
 * restore-from-snapshot: after data corruption, build the next generation of the whole deployment from
 * the newest good snapshot, verify its data through the data plane, then cut the writer over to it.
 * By default the writer moves as soon as the founding group created from the snapshot is verified and
 * its datastore exists; the secondaries join afterwards and the run follows them to the end, so the
 * recovery time and the time to full redundancy are reported apart. --wait-for-secondaries builds the
 * whole generation before the cutover instead. The corrupted generation stays declared and untouched
 * until retire-generation removes it.
 *
 * Every stage is decided from what the stack configuration, the last update's outputs and AWS show, so
 * a rerun after an interruption resumes: a generation already declared is not declared again, a build
 * that finished is only confirmed, a cutover already written is finished, and secondaries not yet
 * joined are declared or followed.
 */
import type { Cluster } from "ioredis";
import { Generation, StackConfig, activeGeneration, memberRegions } from "../../../components/config/types";
import { DataPlaneTarget } from "../../dataplane/connect";
import { RegionClients } from "../clients";
import { Progress } from "../progress";
import { RunReport } from "../report";
import { ConfigChange, readStackConfig } from "../stack-config";
import { StackDriver, StackOutputs } from "../stack-driver";
import { RefusedError } from "../retarget/preflight";
import { buildChanges, cutoverChanges, restoreStage } from "../generations/config-changes";
import { deployedGenerations, generationNumberProblems } from "../generations/numbers";
import { generationTopology, missingMembers } from "./build";
import { build, cutover, finishCutover, joinSecondaries, probeDataPlane, verify } from "./phases";
import { NoRestorableSnapshotError, RestoreSnapshot, chooseRestoreSnapshot } from "./snapshot-choice";
import { defaultUser } from "./verify";

export interface RestoreOptions {
    /** --before: the corruption started at this instant (epoch ms); the snapshot must be older. */
    before?: number;
    /** --snapshot: use this snapshot instead of choosing. */
    snapshot?: string;
    /** --wait-for-secondaries: build the whole generation before the cutover (the order before founder-first cutovers). */
    waitForSecondaries: boolean;
    dryRun: boolean;
    waitTimeoutMs: number;
    tolerancePercent: number;
    expectedKeys?: number;
    /** How much older than the snapshot the newest recovery-point marker may be before it counts as stale. */
    markerMaxAgeMs: number;
    redisUser?: string;
    redisPassword?: string;
}

export interface RestoreDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    report: RunReport;
    invocation: string;
    confirm: (plan: string[], expected: string) => Promise<void>;
    connectDataPlane?: (target: DataPlaneTarget) => Promise<Cluster>;
    signal?: AbortSignal;
}

export interface RestoreResult {
    outcome: "succeeded" | "nothing-to-do";
    summary: string;
    nextSteps: string[];
}

/** Where an earlier run left a restore that this run finishes, when it left one. */
type Unfinished = { at: "cutover-update" | "secondaries"; g: Generation; why: string };

/** The generation the last update deployed and whether it was founder-only, from the stack outputs. */
function deployedActive(outputs: StackOutputs): { generation?: number; founderOnly?: boolean } {
    const generation = outputs.generation?.value;
    const generations = outputs.generations?.value as Record<string, { founderOnly?: boolean }> | undefined;
    return typeof generation === "number" ? { generation, founderOnly: generations?.[String(generation)]?.founderOnly === true } : {};
}

/**
 * A finished cutover leaves the active generation seeded and the one it replaced still declared; if
 * its update did not finish, or its secondaries have not all joined, the restore is not over.
 */
async function unfinishedRestore(config: StackConfig, restored: boolean, deps: RestoreDeps): Promise<Unfinished | undefined> {
    if (!restored) {
        return undefined;
    }
    const g = activeGeneration(config);
    const deployed = deployedActive(await deps.driver.outputs());
    if (deployed.generation !== config.generation) {
        return { at: "cutover-update", g, why: `finish the cutover to generation ${g.number}: an earlier run verified it and set the configuration, and its stack update did not finish` };
    }
    if (config.founderOnly || deployed.founderOnly) {
        return { at: "secondaries", g, why: `finish the restore of generation ${g.number}: it is active with its founder alone, its secondaries ${config.founderOnly ? "are not declared yet" : "have not been added by an update yet"}` };
    }
    const missing = missingMembers(config, g, await generationTopology(config, g, deps.clients));
    return missing.length ? { at: "secondaries", g, why: `finish the restore of generation ${g.number}: its members in ${missing.join(", ")} have not joined its datastore yet` } : undefined;
}

export async function runRestore(opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreResult> {
    const { driver, progress, report } = deps;
    const { raw, config } = await progress.step("read-config", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        if (read.interrupted) {
            throw new RefusedError(`stack ${driver.stackName} holds the configuration of an interrupted retarget-primary run: finish it first ` +
                `(${deps.invocation} retarget-primary --stack ${driver.stackName} --to ${read.interrupted.primaryRegion} --reconcile-only --yes).`);
        }
        const problems = generationNumberProblems(read.config, deployedGenerations(await driver.outputs()));
        if (problems.length) {
            throw new RefusedError(`the generation numbers of stack ${driver.stackName} are not as the last update left them:\n${problems.map((p) => `  - ${p}`).join("\n")}\nNothing was changed.`);
        }
        step.found(`generation ${read.config.generation} is active (primary ${read.config.primaryRegion}` +
            `${read.config.seedSnapshot ? `, seeded from ${read.config.seedSnapshot}` : ""}${read.config.founderOnly ? ", founder only" : ""}); ` +
            `${read.config.inactiveGenerations.length ? `inactive: ${read.config.inactiveGenerations.map((g) => `${g.number}${g.retiring ? " (retiring)" : ""}`).join(", ")}` : "no other generation"}; ` +
            `highest generation number used: ${read.config.highestGeneration}`);
        return read;
    });
    const stage = restoreStage(config);
    let generation: Generation;
    let choice: RestoreSnapshot;
    if (stage.stage === "resume") {
        // --wait-for-secondaries on a rerun declares the secondaries before the cutover; never the other way round (that would delete members).
        generation = opts.waitForSecondaries ? { ...stage.building, founderOnly: undefined } : stage.building;
        choice = await resumeChoice(generation, config, opts, deps);
    } else {
        const replaced = config.inactiveGenerations.filter((g) => g.number < config.generation && !g.retiring);
        const restored = config.seedSnapshot !== undefined && replaced.length > 0;
        const unfinished = await unfinishedRestore(config, restored, deps);
        if (unfinished) {
            return finishRestore(unfinished, config, opts, deps);
        }
        const done: RestoreResult = {
            outcome: "nothing-to-do",
            summary: `generation ${config.generation} was already restored from ${config.seedSnapshot} and is active with every member; ` +
                `generation ${replaced.map((g) => g.number).join(", ")} is kept for investigation`,
            nextSteps: [
                `When the investigation is over: ${deps.invocation} retire-generation --stack ${config.stack} --generation ${replaced[replaced.length - 1]?.number} --yes`,
                `To restore generation ${config.generation} itself from one of its own snapshots, name it: --snapshot <name>.`,
            ],
        };
        if (restored && opts.snapshot?.toLowerCase() === config.seedSnapshot) {
            return done;
        }
        try {
            choice = await chooseRestoreSnapshot({ driver, config, clients: deps.clients, progress, before: opts.before, snapshot: opts.snapshot, signal: deps.signal });
        } catch (e) {
            // The same command run again after a restore finds no snapshot of the new generation before --before: that restore is this one.
            if (restored && opts.snapshot === undefined && e instanceof NoRestorableSnapshotError) {
                return done;
            }
            throw e;
        }
        generation = { number: stage.next, foundingRegion: choice.region, seedSnapshot: choice.name, ...(opts.waitForSecondaries ? {} : { founderOnly: true }) };
    }
    report.setRecoveryPoint({
        recoveryPointAt: choice.recoveryPointAt,
        ...(opts.before !== undefined ? { estimatedDataLossSeconds: Math.max(0, Math.round((opts.before - choice.recoveryPointAt) / 1000)) } : {}),
        source: `snapshot ${choice.name}: its newest node snapshot was taken at ${new Date(choice.recoveryPointAt).toISOString()}` +
            `${opts.before !== undefined ? `; writes between then and --before ${new Date(opts.before).toISOString()} are not in it (the markers, once read, refine this)` : ""}`,
    });

    const declare = buildChanges(raw, config, generation);
    const plan = planLines(config, generation, declare, cutoverChanges(raw, { ...config, inactiveGenerations: [...config.inactiveGenerations, generation] }, generation));
    await progress.step("plan", "planning the restore", async (step) => {
        plan.forEach((line) => step.found(line));
        step.summarize(opts.dryRun ? "dry run: nothing will be changed" : "asking for confirmation");
    });
    if (opts.dryRun) {
        return dryRunResult(config, generation, choice, opts, deps);
    }
    if (!deps.connectDataPlane || !opts.redisPassword) {
        throw new RefusedError("the restored data must be verified through the data plane before cutover, and " +
            (!deps.connectDataPlane ? "no data-plane connection is available here" : "REDIS_PASSWORD is not set") +
            ". Set REDIS_PASSWORD to the password of the user --redis-user names (default: the stack's first password user), " +
            "from a machine that can reach the cache's subnets. Nothing was changed.");
    }
    await probeDataPlane(config, { ...opts, redisUser: opts.redisUser ?? defaultUser(config) }, deps.connectDataPlane, deps);
    await deps.confirm(plan, `${generation.number}`);

    await build(config, raw, generation, opts, deps);
    await verify(config, generation, choice, opts, deps);
    await cutover(config, raw, generation, deps);
    if (generation.founderOnly) {
        await joinSecondaries(opts, deps);
    } else {
        // Built whole before the cutover: redundant from the moment it serves.
        report.markFullRedundancy(`generation ${generation.number}'s members were all associated before the cutover (--wait-for-secondaries)`);
    }
    return {
        outcome: "succeeded",
        summary: `generation ${generation.number}, restored from ${choice.name} in ${choice.region} (recovery point ${new Date(choice.recoveryPointAt).toISOString()}), ` +
            "is verified, active and has every member",
        nextSteps: doneSteps(config, generation, deps.invocation),
    };
}

/** A declared generation's seed checked again against the --before given now: a time learned since the first run may rule it out. */
async function resumeChoice(generation: Generation, config: StackConfig, opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreSnapshot> {
    if (opts.snapshot !== undefined && opts.snapshot.toLowerCase() !== generation.seedSnapshot?.toLowerCase()) {
        throw new RefusedError(`generation ${generation.number} is already declared, seeded from ${generation.seedSnapshot ?? "no snapshot"}, ` +
            `but --snapshot names ${opts.snapshot}. Resume it without --snapshot, or remove it first ` +
            `(${deps.invocation} retire-generation --stack ${config.stack} --generation ${generation.number} --yes).`);
    }
    await deps.progress.step("resume", `resuming the restore of generation ${generation.number}`, async (step) => {
        step.found(`generation ${generation.number} (from snapshot ${generation.seedSnapshot ?? "none"}, founded in ${generation.foundingRegion}` +
            `${generation.founderOnly ? ", founder only until the cutover" : ""}) is declared already: an earlier run started this restore. ` +
            "Going on from where it stands, after checking its snapshot against --before again.");
    });
    try {
        return await chooseRestoreSnapshot({ driver: deps.driver, config, clients: deps.clients, progress: deps.progress, before: opts.before, snapshot: generation.seedSnapshot, signal: deps.signal });
    } catch (e) {
        if (e instanceof NoRestorableSnapshotError) {
            throw Object.assign(new RefusedError(`generation ${generation.number}, declared by an earlier run, is seeded from ${generation.seedSnapshot}, ` +
                `which cannot be used now:\n${e.message}`), { nextSteps: [
                `Remove generation ${generation.number}: ${deps.invocation} retire-generation --stack ${config.stack} --generation ${generation.number} --yes`,
                "Then run restore-from-snapshot again with the --before you mean; the next generation gets a new number.",
            ] });
        }
        throw e;
    }
}

/** Finishes what an earlier run left: the cutover's update, then the secondaries. */
async function finishRestore(unfinished: Unfinished, config: StackConfig, opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreResult> {
    const { g } = unfinished;
    const others = memberRegions(config).filter((r) => r !== g.foundingRegion);
    const plan = [
        unfinished.why,
        ...(unfinished.at === "cutover-update" ? ["refresh, preview through the guard, up: the writer endpoint moves to it"] : []),
        `${config.founderOnly ? "declare its secondaries, then " : ""}update the stack so they join (${others.join(", ")}, one after the other), and follow them until every member is associated`,
    ];
    await deps.progress.step("plan", "planning the rest of the restore", async (step) => {
        plan.forEach((line) => step.found(line));
        step.summarize(opts.dryRun ? "dry run: nothing will be changed" : "asking for confirmation");
    });
    if (opts.dryRun) {
        return { outcome: "nothing-to-do", summary: `dry run: would finish the restore of generation ${g.number}; nothing was changed`, nextSteps: [] };
    }
    await deps.confirm(plan, String(g.number));
    if (unfinished.at === "cutover-update") {
        await finishCutover(config, deps);
    }
    await joinSecondaries(opts, deps);
    return {
        outcome: "succeeded",
        summary: `the restore of generation ${g.number} (from ${config.seedSnapshot}) is finished: it is active and has every member` +
            `${unfinished.at === "secondaries" ? " (the writer had moved to it in an earlier run)" : ""}`,
        nextSteps: doneSteps(config, g, deps.invocation),
    };
}

function doneSteps(config: StackConfig, g: Generation, invocation: string): string[] {
    const previous = config.generation === g.number ? config.inactiveGenerations.filter((x) => x.number < g.number && !x.retiring).pop()?.number : config.generation;
    return [
        "Applications that cache the endpoint must reconnect: the writer SSM parameter (and the Route 53 record, if configured) now name the new generation. " +
        "Users and passwords are unchanged (every generation shares them); IAM-authenticated applications keep working when their policy allows " +
        "elasticache:Connect on replicationgroup:<namePrefix>-* (RUNBOOK section 8).",
        `Commit the stack's configuration file (Pulumi.${config.stack}.yaml: generation, seedSnapshot, founderOnly, inactiveGenerations, highestGeneration), or the next deployment undoes the cutover.`,
        ...(previous !== undefined ? [
            `Investigate generation ${previous}: it is untouched and still declared.`,
            `When done: ${invocation} retire-generation --stack ${config.stack} --generation ${previous} --yes (takes a final snapshot first).`,
        ] : []),
    ];
}

function dryRunResult(config: StackConfig, g: Generation, choice: RestoreSnapshot, opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreResult> {
    return deps.progress.step("preview", `previewing stack ${deps.driver.stackName} as it is now (dry run)`, async (step) => {
        const planned = (await deps.driver.preview()).filter((s) => s.op !== "same");
        step.found(planned.length ? `the stack itself would change ${planned.length} resources before the restore even starts: ` +
            `${planned.slice(0, 5).map((s) => `${s.op} ${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`).join(", ")}` :
            "the stack matches its configuration; the restore would add only the new generation's resources");
        step.summarize(`${planned.length} pending changes`);
        return {
            outcome: "nothing-to-do" as const,
            summary: `dry run: would build generation ${g.number} from ${choice.name} in ${choice.region}, verify it and cut over; nothing was changed` +
                `${planned.length ? ` (note: the stack has ${planned.length} pending changes of its own)` : ""}`,
            nextSteps: [`Run it for real, from a machine that reaches the cache's subnets, with REDIS_PASSWORD set: ${deps.invocation} restore-from-snapshot ` +
                `--stack ${config.stack}${opts.before !== undefined ? ` --before ${new Date(opts.before).toISOString()}` : ""} --snapshot ${choice.name}` +
                `${opts.waitForSecondaries ? " --wait-for-secondaries" : ""} --yes`],
        };
    });
}

function planLines(config: StackConfig, g: Generation, declare: ConfigChange[], cut: ConfigChange[]): string[] {
    const others = memberRegions(config).filter((r) => r !== g.foundingRegion);
    const changes = (list: ConfigChange[]) => list.map((c) => `  config ${c.key}: ${c.from ?? "(unset)"} -> ${c.to}`);
    return [
        `build generation ${g.number} beside generation ${config.generation}: a new founding replication group in ${g.foundingRegion} created from snapshot ${g.seedSnapshot} ` +
        `and its own Global Datastore${g.founderOnly ? "" : `, with members in ${others.join(", ")} joining before the cutover (--wait-for-secondaries)`}`,
        ...(declare.length ? changes(declare) : ["  (already declared)"]),
        "verify its data through the data plane (every shard answers, key counts, recovery-point markers); stop before cutover if it fails",
        `cut over: generation ${g.number} becomes active and the writer endpoint moves to its founder in ${g.foundingRegion}`,
        ...changes(cut),
        ...(g.founderOnly ? [
            `then declare its secondaries (${others.join(", ")}) and follow them until each has joined; until then the cache runs in ${g.foundingRegion} alone ` +
            "(readers elsewhere read from it across regions): the report gives the recovery time and the time to full redundancy apart",
        ] : []),
        `generation ${config.generation} stays, untouched, until retire-generation removes it`,
    ];
}
