/**
 * retire-generation: remove an inactive generation (an old one kept for investigation, or a build that
 * failed) after taking a final snapshot of its primary. Never the active generation.
 *
 * Three recorded stages, each decided from what the configuration and AWS show so a rerun resumes:
 * mark it retiring (the update unprotects its resources), take and wait for the final snapshot, remove
 * it (the update deletes exactly its ElastiCache resources; the guard refuses anything else).
 */
import { Generation, StackConfig, memberRegions } from "../../../components/config/types";
import { TopologyError, discoverTopology, idsFromConfig } from "../topology";
import { generationElastiCacheNames } from "../../../components/naming";
import { RegionClients } from "../clients";
import { AllowDestroy, STATEFUL_TYPES, nameFromUrn, previewThenUp } from "../guard";
import { Progress } from "../progress";
import { applyConfigChanges, readStackConfig } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { RefusedError } from "../retarget/preflight";
import { generationGroupId, groupStatus } from "../restore/build";
import { retireMarkChanges, retireRemoveChanges } from "./config-changes";
import { TakenSnapshot, takeSnapshot } from "../snapshots/take";
import { SnapshotNameTakenError } from "../snapshots/list";
import { chooseFinalSnapshotSuffix, finalSnapshotNames, takenFinalSnapshotNames } from "./final-snapshots";

export interface RetireOptions {
    generation: number;
    dryRun: boolean;
    waitTimeoutMs: number;
}

export interface RetireDeps {
    driver: StackDriver;
    clients: RegionClients;
    progress: Progress;
    invocation: string;
    confirm: (plan: string[], expected: string) => Promise<void>;
    signal?: AbortSignal;
}

/** Which generation to retire, or a refusal that names what exists. */
export function generationToRetire(config: StackConfig, n: number): Generation {
    if (n === config.generation) {
        throw new RefusedError(`generation ${n} is the active generation of stack ${config.stack}: it serves the writer endpoint and cannot be retired. ` +
            `${config.inactiveGenerations.length ? `Inactive generations: ${config.inactiveGenerations.map((g) => g.number).join(", ")}.` : "There is no inactive generation."} ` +
            "To replace the active generation, restore into a new one first (restore-from-snapshot), then retire this one.");
    }
    const g = config.inactiveGenerations.find((x) => x.number === n);
    if (!g) {
        throw new RefusedError(`--generation ${n}: stack ${config.stack} declares no generation ${n}. Accepted: ` +
            `${config.inactiveGenerations.length ? `one of the inactive generations ${config.inactiveGenerations.map((x) => x.number).join(", ")}` : "none: the stack has only its active generation"} ` +
            `(generation ${config.generation} is active).`);
    }
    return g;
}

/** Deleting exactly generation `n`'s ElastiCache resources (its datastore and members; users and user groups are shared by every generation). */
function retireAllowance(config: StackConfig, n: number): AllowDestroy {
    const names = new Set(generationElastiCacheNames(n, memberRegions(config)));
    return (urn, type) => type.startsWith("aws:elasticache/") && names.has(nameFromUrn(urn));
}

/** Whether the last update deployed generation `n` as retiring (unprotected), with final snapshot names carrying `suffix` when given. */
async function deployedRetiring(driver: StackDriver, n: number, suffix?: string): Promise<boolean> {
    const generations = (await driver.outputs()).generations?.value as Record<string, { retiring?: boolean; finalSnapshotSuffix?: string }> | undefined;
    const deployed = generations?.[String(n)];
    return deployed?.retiring === true && (suffix === undefined || deployed.finalSnapshotSuffix === suffix);
}

/** The suffix the last update deployed for generation `n`'s final snapshots, if any. */
async function deployedSuffix(driver: StackDriver, n: number): Promise<string | undefined> {
    const generations = (await driver.outputs()).generations?.value as Record<string, { finalSnapshotSuffix?: string }> | undefined;
    return generations?.[String(n)]?.finalSnapshotSuffix;
}

/** Right before the update that deletes: every final snapshot name still free (DescribeSnapshots by name), or a refusal. */
async function checkFinalNamesFree(config: StackConfig, g: Generation, suffix: string | undefined, deps: RetireDeps): Promise<void> {
    await deps.progress.step("final-snapshot-names", `checking the final snapshot names of generation ${g.number}'s replication groups`, async (step) => {
        if (suffix === undefined) {
            step.skip("the last update deployed no final snapshot suffix (a generation marked by an earlier version): names not known here");
            return;
        }
        const names = finalSnapshotNames(config, g, suffix);
        const taken = await takenFinalSnapshotNames(names, deps.clients, deps.signal);
        if (taken.length) {
            throw new SnapshotNameTakenError(`the final snapshot names of generation ${g.number} are taken: ${taken.join(", ")}. AWS refuses a taken name and the ` +
                "deletion would stop halfway. Nothing was deleted; run retire-generation again, which gives the names a new suffix.", names[0].region, names[0].name);
        }
        step.summarize(`free: ${names.map((n) => `${n.name} (${n.region})`).join(", ")}`);
    });
}

/** True when the configuration no longer declares generation `n` but the last update's outputs still hold it, retiring. */
async function unfinishedRemoval(driver: StackDriver, config: StackConfig, n: number): Promise<boolean> {
    if (n === config.generation || config.inactiveGenerations.some((g) => g.number === n)) {
        return false;
    }
    return deployedRetiring(driver, n);
}

function commitStep(config: StackConfig): string {
    return `Commit the stack's configuration file (Pulumi.${config.stack}.yaml), or the next deployment declares the retired generation again, empty.`;
}

/**
 * Pulumi deletes a generation's joining members before its founder. If a failover made a joining
 * member the primary, AWS refuses to remove it from the datastore, and the update would stop halfway
 * with the generation already gone from the configuration: refuse before changing anything.
 */
async function checkFounderIsPrimary(config: StackConfig, g: Generation, deps: RetireDeps): Promise<void> {
    const ofGeneration = { ...config, generation: g.number };
    let topology;
    try {
        topology = await discoverTopology({ clientsFor: (r) => deps.clients.elastiCache(r), ids: idsFromConfig(ofGeneration), config: ofGeneration });
    } catch (e) {
        if (e instanceof TopologyError) {
            return; // no datastore: a build that failed before it existed; its founder alone is deleted
        }
        throw e;
    }
    const primary = topology.members.find((m) => m.role === "PRIMARY");
    if (primary && primary.region !== g.foundingRegion) {
        throw new RefusedError(`generation ${g.number}'s datastore ${topology.globalDatastoreId} has its primary in ${primary.region}, not in its founding region ` +
            `${g.foundingRegion}: a failover moved it. The update that removes the generation deletes the other members first, and AWS refuses to remove a primary ` +
            `from its datastore. Fail it back first (aws elasticache failover-global-replication-group --global-replication-group-id ${topology.globalDatastoreId} ` +
            `--primary-region ${g.foundingRegion} --primary-replication-group-id ${generationGroupId(config, g, g.foundingRegion)} --region ${g.foundingRegion}), ` +
            "wait until it is available, then run retire-generation again. Nothing was changed.");
    }
}

export async function runRetire(opts: RetireOptions, deps: RetireDeps): Promise<{ summary: string; nextSteps: string[]; snapshot?: TakenSnapshot }> {
    const { driver, progress } = deps;
    const { raw, config } = await progress.step("read-config", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        step.found(`generation ${read.config.generation} is active; inactive: ${read.config.inactiveGenerations.map((g) => `${g.number}${g.retiring ? " (retiring)" : ""}`).join(", ") || "none"}`);
        return read;
    });
    const unfinished = await unfinishedRemoval(driver, config, opts.generation);
    if (unfinished) {
        // An earlier run took the final snapshot and removed the generation from the configuration, and its update did not finish.
        const plan = [`finish removing generation ${opts.generation}: an earlier run took its final snapshot and removed it from the configuration, ` +
            "and the update that deletes it did not finish", "run that update again: the guard allows deleting exactly that generation's ElastiCache resources"];
        await progress.step("plan", `planning the rest of the retirement of generation ${opts.generation}`, async (step) => {
            plan.forEach((line) => step.found(line));
            step.summarize(opts.dryRun ? "dry run: nothing will be changed" : "asking for confirmation");
        });
        if (opts.dryRun) {
            return { summary: `dry run: would finish removing generation ${opts.generation}; nothing was changed`, nextSteps: [] };
        }
        await deps.confirm(plan, String(opts.generation));
        const removed: Generation = { number: opts.generation, foundingRegion: config.foundingRegion };
        await checkFinalNamesFree(config, removed, await deployedSuffix(driver, opts.generation), deps);
        await previewThenUp(driver, {
            step: "delete-update", emit: progress.emit, clock: progress.clock, protectedTypes: STATEFUL_TYPES,
            allowDestroy: retireAllowance(config, opts.generation),
        });
        return { summary: `generation ${opts.generation} is retired (finished the removal an earlier run started)`, nextSteps: [commitStep(config)] };
    }
    const g = generationToRetire(config, opts.generation);
    const founderId = generationGroupId(config, g, g.foundingRegion);
    await checkFounderIsPrimary(config, g, deps);
    const final = await progress.step("final-snapshot-names", `choosing the final snapshot names of generation ${g.number}'s replication groups`, async (step) => {
        const chosen = await chooseFinalSnapshotSuffix(config, g, progress.clock.now(), deps.clients, deps.signal);
        if (chosen.note) {
            step.found(chosen.note, { level: "warn" });
        }
        step.summarize(`free: ${chosen.names.map((n) => `${n.name} (${n.region})`).join(", ")}`);
        return chosen;
    });
    const marked = g.retiring === true && g.finalSnapshotSuffix === final.suffix;
    const plan = [
        `mark generation ${g.number} retiring (its resources become unprotected; their final snapshots will be named ${final.names.map((n) => n.name).join(", ")})` +
            `${marked ? ": done already" : ""}`,
        `take a final manual snapshot of ${founderId} in ${g.foundingRegion} and wait until it is available`,
        `remove generation ${g.number} from the stack and update it: this deletes its datastore and ${final.names.length} replication group${final.names.length === 1 ? "" : "s"} ` +
            "(each leaving its final snapshot), and nothing else: users and user groups are shared by every generation and stay",
    ];
    await progress.step("plan", `planning the retirement of generation ${g.number}`, async (step) => {
        plan.forEach((line) => step.found(line));
        step.summarize(opts.dryRun ? "dry run: nothing will be changed" : "asking for confirmation");
    });
    if (opts.dryRun) {
        return { summary: `dry run: would snapshot and remove generation ${g.number}; nothing was changed`, nextSteps: [`Run it for real: ${deps.invocation} retire-generation --stack ${config.stack} --generation ${g.number} --yes`] };
    }
    await deps.confirm(plan, String(g.number));

    if (!marked) {
        await progress.step("mark-retiring", `marking generation ${g.number} retiring`, async (step) => {
            await applyConfigChanges(driver, retireMarkChanges(raw, config, g.number, final.suffix));
            step.summarize(`inactiveGenerations updated (finalSnapshotSuffix ${final.suffix})`);
        });
    }
    // Decided from what the last update deployed, not from the mark: an update that failed after the mark leaves the resources protected.
    if (!await deployedRetiring(driver, g.number, final.suffix)) {
        await previewThenUp(driver, { step: "unprotect-update", emit: progress.emit, clock: progress.clock });
    }
    const founderStatus = await progress.step("final-snapshot-source", `checking ${founderId} in ${g.foundingRegion}`, async (step) => {
        const status = await groupStatus(deps.clients, g.foundingRegion, founderId);
        step.summarize(status === "available" ? `${founderId} is available: taking its final snapshot next` : `${founderId} is ${status}: it holds no data to keep, no snapshot`);
        return status;
    });
    // A rerun takes another one rather than guess which earlier snapshot was this command's: an extra snapshot costs only storage.
    const snapshot = founderStatus === "available"
        ? await takeSnapshot({ region: g.foundingRegion, replicationGroupId: founderId, reason: `final snapshot before retire-generation ${g.number}`, waitTimeoutMs: opts.waitTimeoutMs },
            { clients: deps.clients, progress, signal: deps.signal })
        : undefined;
    await checkFinalNamesFree(config, g, final.suffix, deps);
    await progress.step("remove-generation", `removing generation ${g.number} from stack ${driver.stackName}`, async (step) => {
        await applyConfigChanges(driver, retireRemoveChanges(raw, { ...config, inactiveGenerations: config.inactiveGenerations.map((x) => x.number === g.number ? { ...x, retiring: true, finalSnapshotSuffix: final.suffix } : x) }, g.number));
        step.summarize(`generation ${g.number} is no longer declared`);
    });
    // The guard allows deleting exactly this generation's ElastiCache resources; anything else stateful refuses.
    await previewThenUp(driver, {
        step: "delete-update", emit: progress.emit, clock: progress.clock,
        protectedTypes: STATEFUL_TYPES,
        allowDestroy: retireAllowance(config, g.number),
    });
    return {
        summary: `generation ${g.number} is retired${snapshot ? `; its data is kept in snapshot ${snapshot.name} (${g.foundingRegion})` : ""}; ` +
            `final snapshots of its groups: ${final.names.map((n) => `${n.name} (${n.region})`).join(", ")}`,
        nextSteps: [
            commitStep(config),
            ...(snapshot ? [`The final snapshot ${snapshot.name} is kept until you delete it: aws elasticache delete-snapshot --region ${g.foundingRegion} --snapshot-name ${snapshot.name}`] : []),
        ],
        snapshot,
    };
}
