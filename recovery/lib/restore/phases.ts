/**
 * The phases of a restore, each a configuration write and a guarded update, each safe to run again:
 *   build     declare the new generation (founder-only, or whole with --wait-for-secondaries), let the
 *             update create it, wait for its founder and datastore;
 *   verify    read its data through the data plane;
 *   cutover   make it active: the writer endpoint moves (the recovery time ends here);
 *   join      declare its secondaries and follow them until every member is associated (the time to
 *             full redundancy ends here). Between cutover and join the cache runs in one region.
 */
import type { Cluster } from "ioredis";
import { Generation, StackConfig, activeGeneration, memberRegions } from "../../../components/config/types";
import { DataPlaneTarget } from "../../dataplane/connect";
import { RestoreEvidence } from "../../dataplane/verify";
import { GuardRefusedError, previewThenUp } from "../guard";
import { ConfigChange, applyConfigChanges, readStackConfig, revertCommands } from "../stack-config";
import { RefusedError } from "../retarget/preflight";
import { buildChanges, cutoverChanges, joinChanges } from "../generations/config-changes";
import { refuseFailedBuild, waitForGeneration, waitForMembers } from "./build";
import { expectedKeysAtSnapshot } from "./expected-keys";
import { generationEndpoint } from "./outputs";
import type { RestoreDeps, RestoreOptions } from "./run";
import { RestoreSnapshot } from "./snapshot-choice";
import { defaultUser, verifyGeneration } from "./verify";

/** A guard refusal after a config write: say what was written and how to put it back. */
export async function withGuardHelp<T>(run: () => Promise<T>, changes: ConfigChange[], stackName: string): Promise<T> {
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

function waitDeps(opts: RestoreOptions, deps: RestoreDeps) {
    return { clients: deps.clients, progress: deps.progress, timeoutMs: opts.waitTimeoutMs, signal: deps.signal, invocation: deps.invocation };
}

/** Declares `g` (a no-op when declared so already), runs the guarded update that creates it, and waits for its founder and datastore. */
export async function build(config: StackConfig, raw: Record<string, string | undefined>, g: Generation, opts: RestoreOptions, deps: RestoreDeps): Promise<void> {
    const { driver, progress } = deps;
    const changes = buildChanges(raw, config, g);
    await progress.step("declare-generation", `declaring generation ${g.number} in stack ${driver.stackName}`, async (step) => {
        if (changes.length === 0) {
            step.skip(`generation ${g.number} is declared already`);
            return;
        }
        await applyConfigChanges(driver, changes);
        step.summarize(`set ${changes.map((c) => c.key).join(", ")}`);
    });
    deps.report.markFirstMutatingCall(`declared generation ${g.number} in the stack configuration`);
    // A group that failed to create can only be deleted: an update would try to replace it, which the guard refuses.
    await refuseFailedBuild(config, g, waitDeps(opts, deps));
    try {
        await withGuardHelp(() => previewThenUp(driver, { step: "build-generation", emit: progress.emit, clock: progress.clock }), changes, driver.stackName);
    } catch (e) {
        await refuseFailedBuild(config, g, waitDeps(opts, deps));
        throw e;
    }
    await waitForGeneration(config, g, waitDeps(opts, deps));
    if (!g.founderOnly) {
        await waitForMembers(config, g, waitDeps(opts, deps));
    }
}

/** Reads generation `g`'s data through the data plane; throws VerificationFailedError before any cutover. */
export async function verify(config: StackConfig, g: Generation, choice: RestoreSnapshot, opts: RestoreOptions, deps: RestoreDeps): Promise<RestoreEvidence> {
    const { driver, progress, report } = deps;
    const evidence = await progress.step("verify", `verifying generation ${g.number}'s data through the data plane`, async (step) => {
        const endpoint = await generationEndpoint(driver, g);
        const user = opts.redisUser ?? defaultUser(config);
        step.found(`connecting to ${endpoint.address}:${endpoint.port} (TLS)${user ? ` as ${user}` : " with the AUTH token"}`);
        const expected = await expectedKeysAtSnapshot(deps.clients, choice.region, choice.sourceGroupId, config.replicasPerShard + 1, choice.nodeSnapshots);
        const result = await verifyGeneration({
            target: { seeds: [{ host: endpoint.address, port: endpoint.port }], tls: true, auth: { username: user, password: opts.redisPassword! } },
            connect: deps.connectDataPlane!,
            expected, expectedKeysFlag: opts.expectedKeys, tolerancePercent: opts.tolerancePercent,
            markerNotBefore: choice.recoveryPointAt - opts.markerMaxAgeMs, deadlineMs: 60_000,
            nextStepsOnFailure: [
                `Generation ${config.generation} still serves; nothing was cut over. Inspect generation ${g.number} at ${endpoint.address}:${endpoint.port}.`,
                `If the snapshot is at fault, remove generation ${g.number} (${deps.invocation} retire-generation --stack ${config.stack} --generation ${g.number} --yes) ` +
                    "and restore from an older one with --snapshot; the next generation gets a new number.",
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
            source: `recovery-point markers read back from generation ${g.number}: the oldest shard's marker was written at ${new Date(oldestMarker).toISOString()}, ` +
                `--before is ${new Date(opts.before).toISOString()} (snapshot ${choice.name})`,
        });
    }
    return evidence;
}

/** Makes `g` active and moves the writer endpoint to its founder; marks the writes accepted. */
export async function cutover(config: StackConfig, raw: Record<string, string | undefined>, g: Generation, deps: RestoreDeps): Promise<void> {
    const { driver, progress, report } = deps;
    const changes = cutoverChanges(raw, { ...config, inactiveGenerations: [...config.inactiveGenerations.filter((x) => x.number !== g.number), g] }, g);
    // The guard must judge the cutover against the resources as they are, not as the last update left them.
    await progress.step("refresh", `refreshing stack ${driver.stackName} before the cutover`, async (step) => {
        await driver.refresh();
        step.summarize("state read back from AWS");
    });
    await progress.step("cutover", `making generation ${g.number} active in stack ${driver.stackName}`, async (step) => {
        await applyConfigChanges(driver, changes);
        step.summarize(changes.length ? `set ${changes.map((c) => c.key).join(", ")}` : "already set");
    });
    await withGuardHelp(() => previewThenUp(driver, { step: "cutover-update", emit: progress.emit, clock: progress.clock }), changes, driver.stackName);
    report.markWritesAccepted(`the writer endpoint names generation ${g.number}'s founder in ${g.foundingRegion}`);
}

/**
 * An earlier run wrote the cutover configuration and the update that moves the writer did not
 * finish: finish it (refresh, guarded preview, up). Nothing else is repeated.
 */
export async function finishCutover(config: StackConfig, deps: RestoreDeps): Promise<void> {
    const { driver, progress, report } = deps;
    await progress.step("refresh", `refreshing stack ${driver.stackName} before the cutover`, async (step) => {
        await driver.refresh();
        step.summarize("state read back from AWS");
    });
    report.markFirstMutatingCall(`resumed the cutover to generation ${config.generation}`);
    await previewThenUp(driver, { step: "cutover-update", emit: progress.emit, clock: progress.clock });
    report.markWritesAccepted(`the writer endpoint names generation ${config.generation} (${config.primaryRegion})`);
}

/**
 * Declares the active generation's secondaries (when it is still founder-only), runs the update that
 * adds them one after the other, and follows them until every member is associated. Reads the
 * configuration afresh: the cutover has just rewritten it.
 */
export async function joinSecondaries(opts: RestoreOptions, deps: RestoreDeps): Promise<void> {
    const { driver, progress, report } = deps;
    const { raw, config } = await readStackConfig(driver);
    const g = activeGeneration(config);
    const changes = joinChanges(raw, config);
    const others = memberRegions(config).filter((r) => r !== g.foundingRegion);
    await progress.step("declare-secondaries", `declaring generation ${g.number}'s secondaries in ${others.join(", ")}`, async (step) => {
        if (changes.length === 0) {
            step.skip("declared already");
            return;
        }
        step.found(`until they have joined, generation ${g.number} runs in ${g.foundingRegion} alone: readers in ${others.join(", ")} read from it across regions, ` +
            "and a regional failure of it would need another restore", { level: "warn" });
        await applyConfigChanges(driver, changes);
        step.summarize(`set ${changes.map((c) => `${c.key}=${c.to}`).join(", ")}`);
    });
    await withGuardHelp(() => previewThenUp(driver, { step: "join-secondaries", emit: progress.emit, clock: progress.clock }), changes, driver.stackName);
    const datastore = await waitForMembers(config, { ...g, founderOnly: false }, waitDeps(opts, deps));
    report.markFullRedundancy(`every member of generation ${g.number} (${memberRegions(config).join(", ")}) is associated with datastore ${datastore}`);
}

/** Before anything is built: the current generation's data plane must answer, or the verification after the build could not run. */
export async function probeDataPlane(config: StackConfig, opts: Pick<RestoreOptions, "redisUser" | "redisPassword">,
    connect: (target: DataPlaneTarget) => Promise<Cluster>, deps: Pick<RestoreDeps, "driver" | "progress">): Promise<void> {
    const { driver, progress } = deps;
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
