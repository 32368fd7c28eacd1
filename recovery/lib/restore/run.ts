/**
 * restore-from-snapshot: after data corruption, build the next generation of the whole deployment from
 * the newest good snapshot, verify its data through the data plane, then cut the writer over to it.
 * The corrupted generation stays declared and untouched until retire-generation removes it.
 *
 * Every stage is decided from what the stack configuration and AWS show, so a rerun after an
 * interruption resumes: a generation already declared is not declared again, a build that finished is
 * only confirmed, and a cutover already made is recognised.
 */
import type { Cluster } from "ioredis";
import { Generation, StackConfig } from "../../../components/config/types";
import { DataPlaneTarget } from "../../dataplane/connect";
import { RegionClients } from "../clients";
import { GuardRefusedError, previewThenUp } from "../guard";
import { Progress } from "../progress";
import { RunReport } from "../report";
import { ConfigChange, applyConfigChanges, readStackConfig, revertCommands } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { RefusedError } from "../retarget/preflight";
import { buildChanges, cutoverChanges, restoreStage } from "../generations/config-changes";
import { refuseFailedBuild, waitForGeneration } from "./build";
import { expectedKeysAtSnapshot } from "./expected-keys";
import { NoRestorableSnapshotError, RestoreSnapshot, chooseRestoreSnapshot } from "./snapshot-choice";
import { defaultUser, verifyGeneration } from "./verify";
import { generationEndpoint } from "./outputs";

export interface RestoreOptions {
    /** --before: the corruption started at this instant (epoch ms); the snapshot must be older. */
    before?: number;
    /** --snapshot: use this snapshot instead of choosing. */
    snapshot?: string;
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

export async function runRestore(opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreResult> {
    const { driver, progress, report } = deps;
    const { raw, config } = await progress.step("read-config", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        if (read.interrupted) {
            throw new RefusedError(`stack ${driver.stackName} holds the configuration of an interrupted retarget-primary run: finish it first ` +
                `(${deps.invocation} retarget-primary --stack ${driver.stackName} --to ${read.interrupted.primaryRegion} --reconcile-only --yes).`);
        }
        step.found(`generation ${read.config.generation} is active (primary ${read.config.primaryRegion}` +
            `${read.config.seedSnapshot ? `, seeded from ${read.config.seedSnapshot}` : ""}); ` +
            `${read.config.inactiveGenerations.length ? `inactive: ${read.config.inactiveGenerations.map((g) => `${g.number}${g.retiring ? " (retiring)" : ""}`).join(", ")}` : "no other generation"}`);
        return read;
    });
    const stage = restoreStage(config);
    let generation: Generation;
    let choice: RestoreSnapshot;
    if (stage.stage === "resume") {
        generation = stage.building;
        if (opts.snapshot !== undefined && opts.snapshot.toLowerCase() !== generation.seedSnapshot?.toLowerCase()) {
            throw new RefusedError(`generation ${generation.number} is already declared, seeded from ${generation.seedSnapshot ?? "no snapshot"}, ` +
                `but --snapshot names ${opts.snapshot}. Resume it without --snapshot, or remove it first ` +
                `(${deps.invocation} retire-generation --stack ${config.stack} --generation ${generation.number} --yes).`);
        }
        await progress.step("resume", `resuming the restore of generation ${generation.number}`, async (step) => {
            step.found(`generation ${generation.number} (from snapshot ${generation.seedSnapshot ?? "none"}, founded in ${generation.foundingRegion}) ` +
                "is declared already: an earlier run started this restore. Going on from where it stands, after checking its snapshot against --before again.");
        });
        try {
            // The same checks as a fresh choice: a --before learned since the first run may rule this seed out.
            choice = await chooseRestoreSnapshot({ driver, config, clients: deps.clients, progress, before: opts.before, snapshot: generation.seedSnapshot, signal: deps.signal });
        } catch (e) {
            if (e instanceof NoRestorableSnapshotError) {
                throw Object.assign(new RefusedError(`generation ${generation.number}, declared by an earlier run, is seeded from ${generation.seedSnapshot}, ` +
                    `which cannot be used now:\n${e.message}`), { nextSteps: [
                    `Remove generation ${generation.number}: ${deps.invocation} retire-generation --stack ${config.stack} --generation ${generation.number} --yes`,
                    "Then run restore-from-snapshot again with the --before you mean.",
                ] });
            }
            throw e;
        }
    } else {
        // A finished restore leaves the active generation seeded and the one it replaced still declared.
        const replaced = config.inactiveGenerations.filter((g) => g.number < config.generation && !g.retiring);
        const restored = config.seedSnapshot !== undefined && replaced.length > 0;
        if (restored && await deployedGeneration(driver) !== config.generation) {
            return finishCutover(opts, deps, config);
        }
        const done: RestoreResult = {
            outcome: "nothing-to-do",
            summary: `generation ${config.generation} was already restored from ${config.seedSnapshot} and is active; ` +
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
        generation = { number: stage.next, foundingRegion: choice.region, seedSnapshot: choice.name };
    }
    report.setRecoveryPoint({
        recoveryPointAt: choice.recoveryPointAt,
        ...(opts.before !== undefined ? { estimatedDataLossSeconds: Math.max(0, Math.round((opts.before - choice.recoveryPointAt) / 1000)) } : {}),
        source: `snapshot ${choice.name}: its newest node snapshot was taken at ${new Date(choice.recoveryPointAt).toISOString()}` +
            `${opts.before !== undefined ? `; writes between then and --before ${new Date(opts.before).toISOString()} are not in it (the markers, once read, refine this)` : ""}`,
    });

    const build = buildChanges(raw, config, generation);
    const cutover = cutoverChanges(raw, { ...config, inactiveGenerations: [...config.inactiveGenerations.filter((g) => g.number !== generation.number), generation] }, generation);
    const plan = planLines(config, generation, build, cutover);
    await progress.step("plan", "planning the restore", async (step) => {
        plan.forEach((line) => step.found(line));
        step.summarize(opts.dryRun ? "dry run: nothing will be changed" : "asking for confirmation");
    });
    if (opts.dryRun) {
        const preview = await progress.step("preview", `previewing stack ${driver.stackName} as it is now (dry run)`, async (step) => {
            const planned = (await driver.preview()).filter((s) => s.op !== "same");
            step.found(planned.length ? `the stack itself would change ${planned.length} resources before the restore even starts: ` +
                `${planned.slice(0, 5).map((s) => `${s.op} ${s.urn.slice(s.urn.lastIndexOf("::") + 2)}`).join(", ")}` :
                "the stack matches its configuration; the restore would add only the new generation's resources");
            step.summarize(`${planned.length} pending changes`);
            return planned;
        });
        return {
            outcome: "nothing-to-do",
            summary: `dry run: would build generation ${generation.number} from ${choice.name}, verify it and cut over; nothing was changed` +
                `${preview.length ? ` (note: the stack has ${preview.length} pending changes of its own)` : ""}`,
            nextSteps: [`Run it for real, from a machine that reaches the cache's subnets, with REDIS_PASSWORD set: ${deps.invocation} restore-from-snapshot ` +
                `--stack ${config.stack}${opts.before !== undefined ? ` --before ${new Date(opts.before).toISOString()}` : ""} --snapshot ${choice.name} --yes`],
        };
    }
    if (!deps.connectDataPlane || !opts.redisPassword) {
        throw new RefusedError("the restored data must be verified through the data plane before cutover, and " +
            (!deps.connectDataPlane ? "no data-plane connection is available here" : "REDIS_PASSWORD is not set") +
            ". Set REDIS_PASSWORD to the password of the user --redis-user names (default: the stack's first password user), " +
            "from a machine that can reach the cache's subnets. Nothing was changed.");
    }
    await probeDataPlane(driver, config, { ...opts, redisUser: opts.redisUser ?? defaultUser(config) }, deps.connectDataPlane, progress);
    await deps.confirm(plan, `${generation.number}`);

    await progress.step("declare-generation", `declaring generation ${generation.number} in stack ${driver.stackName}`, async (step) => {
        if (build.length === 0) {
            step.skip(`generation ${generation.number} is declared already`);
            return;
        }
        await applyConfigChanges(driver, build);
        step.summarize(`set ${build.map((c) => c.key).join(", ")}`);
    });
    report.markFirstMutatingCall(`declared generation ${generation.number} in the stack configuration`);
    const waitDeps = { clients: deps.clients, progress, timeoutMs: opts.waitTimeoutMs, signal: deps.signal, invocation: deps.invocation };
    // A group that failed to create can only be deleted: an update would try to replace it, which the guard refuses.
    await refuseFailedBuild(config, generation, waitDeps);
    try {
        await withGuardHelp(() => previewThenUp(driver, { step: "build-generation", emit: progress.emit, clock: progress.clock }), build, driver.stackName);
    } catch (e) {
        await refuseFailedBuild(config, generation, waitDeps);
        throw e;
    }
    await waitForGeneration(config, generation, waitDeps);

    const evidence = await progress.step("verify", `verifying generation ${generation.number}'s data through the data plane`, async (step) => {
        const endpoint = await generationEndpoint(driver, generation);
        const user = opts.redisUser ?? defaultUser(config);
        step.found(`connecting to ${endpoint.address}:${endpoint.port} (TLS)${user ? ` as ${user}` : " with the AUTH token"}`);
        const expected = await expectedKeysAtSnapshot(deps.clients, choice.region, choice.sourceGroupId, config.replicasPerShard + 1, choice.nodeSnapshots);
        const result = await verifyGeneration({
            target: { seeds: [{ host: endpoint.address, port: endpoint.port }], tls: true, auth: { username: user, password: opts.redisPassword! } },
            connect: deps.connectDataPlane!,
            expected, expectedKeysFlag: opts.expectedKeys, tolerancePercent: opts.tolerancePercent,
            markerNotBefore: choice.recoveryPointAt - opts.markerMaxAgeMs, deadlineMs: 60_000,
            nextStepsOnFailure: [
                `Generation ${config.generation} still serves; nothing was cut over. Inspect generation ${generation.number} at ${endpoint.address}:${endpoint.port}.`,
                `If the snapshot is at fault, remove generation ${generation.number} (${deps.invocation} retire-generation --stack ${config.stack} --generation ${generation.number} --yes) and restore from an older one with --snapshot.`,
            ],
        }, step);
        step.summarize(`every shard answered; ${result.shards.reduce((n, s) => n + (s.keys ?? 0), 0)} keys; ${result.dataLossMs !== undefined ? `markers show ${Math.round(result.dataLossMs / 1000)} s before the snapshot` : "no markers"}`);
        return result;
    });
    const oldestMarker = Math.min(...evidence.shards.map((s) => (s.marker && s.marker !== "missing" ? s.marker.atMs : Infinity)));
    if (Number.isFinite(oldestMarker) && opts.before !== undefined) {
        report.setRecoveryPoint({
            recoveryPointAt: choice.recoveryPointAt,
            estimatedDataLossSeconds: Math.max(0, Math.round((opts.before - oldestMarker) / 1000)),
            source: `recovery-point markers read back from generation ${generation.number}: the oldest shard's marker was written at ${new Date(oldestMarker).toISOString()}, ` +
                `--before is ${new Date(opts.before).toISOString()} (snapshot ${choice.name})`,
        });
    }

    // The guard must judge the cutover against the resources as they are, not as the last update left them.
    await progress.step("refresh", `refreshing stack ${driver.stackName} before the cutover`, async (step) => {
        await driver.refresh();
        step.summarize("state read back from AWS");
    });
    await progress.step("cutover", `making generation ${generation.number} active in stack ${driver.stackName}`, async (step) => {
        await applyConfigChanges(driver, cutover);
        step.summarize(cutover.length ? `set ${cutover.map((c) => c.key).join(", ")}` : "already set");
    });
    await withGuardHelp(() => previewThenUp(driver, { step: "cutover-update", emit: progress.emit, clock: progress.clock }), cutover, driver.stackName);
    report.markWritesAccepted(`the writer endpoint names generation ${generation.number} (${choice.region})`);
    return {
        outcome: "succeeded",
        summary: `generation ${generation.number}, restored from ${choice.name} (recovery point ${new Date(choice.recoveryPointAt).toISOString()}), is verified and active`,
        nextSteps: [
            "Applications that cache the endpoint must reconnect: the writer SSM parameter (and the Route 53 record, if configured) now name the new generation. " +
            "IAM-authenticated users log in with the new generation's user ids (<namePrefix>-g<N>-<name>), and their IAM policies need elasticache:Connect on the new users and replication groups.",
            `Commit the stack's configuration file (Pulumi.${config.stack}.yaml: generation, seedSnapshot, inactiveGenerations), or the next deployment undoes the cutover.`,
            `Investigate generation ${config.generation}: it is untouched and still declared.`,
            `When done: ${deps.invocation} retire-generation --stack ${config.stack} --generation ${config.generation} --yes (takes a final snapshot first).`,
        ],
    };
}

function planLines(config: StackConfig, g: Generation, build: ConfigChange[], cutover: ConfigChange[]): string[] {
    return [
        `build generation ${g.number} beside generation ${config.generation}: a new founding replication group in ${g.foundingRegion} created from snapshot ${g.seedSnapshot}, ` +
        `its own Global Datastore, and members in ${[config.primaryRegion, ...config.secondaryRegions].filter((r) => r !== g.foundingRegion).join(", ")}`,
        ...(build.length ? build.map((c) => `  config ${c.key}: ${c.from ?? "(unset)"} -> ${c.to}`) : ["  (already declared)"]),
        "verify its data through the data plane (every shard answers, key counts, recovery-point markers); stop before cutover if it fails",
        `cut over: generation ${g.number} becomes active and the writer endpoint follows it`,
        ...cutover.map((c) => `  config ${c.key}: ${c.from ?? "(unset)"} -> ${c.to}`),
        `generation ${config.generation} stays, untouched, until retire-generation removes it`,
    ];
}

/** A guard refusal after a config write: say what was written and how to put it back. */
async function withGuardHelp<T>(run: () => Promise<T>, changes: ConfigChange[], stackName: string): Promise<T> {
    try {
        return await run();
    } catch (e) {
        if (e instanceof GuardRefusedError && changes.length) {
            throw Object.assign(e, { nextSteps: [
                "The configuration was changed before the guard refused; put it back if the refusal shows a mistake: " + revertCommands(stackName, changes).join(" && "),
                "Find out why the guard refused (the message names the cache it would replace or delete, or the policy it breaks), fix that, and run the same command again.",
            ] });
        }
        throw e;
    }
}

/** The generation the last update deployed (stack output `generation`); undefined when the outputs do not say. */
async function deployedGeneration(driver: StackDriver): Promise<number | undefined> {
    const value = (await driver.outputs()).generation?.value;
    return typeof value === "number" ? value : undefined;
}

/**
 * An earlier run verified the new generation and wrote the cutover configuration, and the update that
 * moves the writer did not finish: finish it (refresh, guarded preview, up). Nothing else is repeated.
 */
async function finishCutover(opts: RestoreOptions, deps: RestoreDeps, config: StackConfig): Promise<RestoreResult> {
    const { driver, progress, report } = deps;
    const plan = [`finish the cutover to generation ${config.generation}: an earlier run verified it and set the configuration, and its stack update did not finish`,
        "refresh, preview through the guard, up: the writer endpoint moves to it"];
    await progress.step("plan", "planning the rest of the restore", async (step) => {
        plan.forEach((line) => step.found(line));
        step.summarize(opts.dryRun ? "dry run: nothing will be changed" : "asking for confirmation");
    });
    if (opts.dryRun) {
        return { outcome: "nothing-to-do", summary: `dry run: would finish the cutover to generation ${config.generation}; nothing was changed`, nextSteps: [] };
    }
    await deps.confirm(plan, String(config.generation));
    await progress.step("refresh", `refreshing stack ${driver.stackName} before the cutover`, async (step) => {
        await driver.refresh();
        step.summarize("state read back from AWS");
    });
    report.markFirstMutatingCall(`resumed the cutover to generation ${config.generation}`);
    await previewThenUp(driver, { step: "cutover-update", emit: progress.emit, clock: progress.clock });
    report.markWritesAccepted(`the writer endpoint names generation ${config.generation}`);
    return {
        outcome: "succeeded",
        summary: `the cutover to generation ${config.generation} (restored from ${config.seedSnapshot}) is finished`,
        nextSteps: [`Commit the stack's configuration file (Pulumi.${config.stack}.yaml).`],
    };
}

/** Before anything is built: the current generation's data plane must answer, or the verification after the build could not run. */
async function probeDataPlane(driver: StackDriver, config: StackConfig, opts: Pick<RestoreOptions, "redisUser" | "redisPassword">,
    connect: (target: DataPlaneTarget) => Promise<Cluster>, progress: Progress): Promise<void> {
    await progress.step("probe-data-plane", "checking that this machine reaches the cache's data plane", async (step) => {
        const regions = (await driver.outputs()).regions?.value as Record<string, { configurationEndpoint?: string; port?: number }> | undefined;
        const endpoint = regions?.[config.primaryRegion];
        if (!endpoint?.configurationEndpoint) {
            throw new RefusedError(`stack ${driver.stackName} outputs no configuration endpoint for ${config.primaryRegion} (regions.${config.primaryRegion}), ` +
                "so the data plane cannot be checked before building. Run pulumi up once, then again. Nothing was changed.");
        }
        const target: DataPlaneTarget = { seeds: [{ host: endpoint.configurationEndpoint, port: endpoint.port ?? config.port }], tls: true,
            auth: { username: opts.redisUser, password: opts.redisPassword! } };
        try {
            const cluster = await connect(target);
            cluster.disconnect();
        } catch (e) {
            throw new RefusedError(`this machine cannot use the data plane of generation ${config.generation} (${endpoint.configurationEndpoint}): ` +
                `${(e as Error).message}. The restored generation could not be verified either, so nothing is built. Run from a machine in the cache's ` +
                "network with the right REDIS_PASSWORD. Nothing was changed.");
        }
        step.summarize(`${endpoint.configurationEndpoint} answers as ${opts.redisUser ?? "the AUTH token user"}`);
    });
}
