/**
 * backup-drill: the "test backup restoration periodically" practice as one command. Restore the newest
 * snapshot of the current primary into a temporary stack, verify the data through the data plane,
 * report how long the restore took and how old the recovery point was, and destroy the temporary
 * stack, also when verification fails. Nothing of the deployment itself changes.
 */
import { formatDuration } from "../printer";
import { RefusedError } from "../retarget/preflight";
import { readStackConfig } from "../stack-config";
import { StackDriver } from "../stack-driver";
import { expectedKeysAtSnapshot } from "../restore/expected-keys";
import { RestoreDeps } from "../restore/run";
import { chooseRestoreSnapshot } from "../restore/snapshot-choice";
import { defaultUser, verifyGeneration } from "../restore/verify";
import { RegionFoundation, restoreTarget } from "./restore-target";
import { TemporaryStacks } from "./temporary-stack";

export interface BackupDrillOptions {
    snapshot?: string;
    dryRun: boolean;
    tolerancePercent: number;
    expectedKeys?: number;
    markerMaxAgeMs: number;
    redisUser?: string;
    redisPassword?: string;
    /** Leave the temporary stack in place (for a closer look); default false. */
    keep: boolean;
}

/** What a restore needs, plus the temporary stacks the drill restores into. */
export interface BackupDrillDeps extends RestoreDeps {
    temporaryStacks?: TemporaryStacks;
}

export interface BackupDrillResult {
    summary: string;
    nextSteps: string[];
    /** From the start of the temporary stack's update to verified data, ms. */
    restoreMs?: number;
    recoveryPointAt?: number;
}

async function foundationOf(driver: StackDriver, region: string): Promise<RegionFoundation> {
    const regions = (await driver.outputs()).regions?.value as Record<string, Partial<RegionFoundation>> | undefined;
    const r = regions?.[region];
    if (!r?.subnetGroupName || !r.securityGroupId || !r.kmsKeyArn) {
        throw new RefusedError(`stack ${driver.stackName} does not output the subnet group, security group and KMS key of ${region} ` +
            `(output regions.${region}.subnetGroupName, securityGroupId, kmsKeyArn): run pulumi up once with this version of the program. Nothing was changed.`);
    }
    return { subnetGroupName: r.subnetGroupName, securityGroupId: r.securityGroupId, kmsKeyArn: r.kmsKeyArn };
}

export async function runBackupDrill(opts: BackupDrillOptions, deps: BackupDrillDeps): Promise<BackupDrillResult> {
    const { driver, progress, report } = deps;
    const { config } = await progress.step("read-config", `reading the configuration of stack ${driver.stackName}`, async (step) => {
        const read = await readStackConfig(driver);
        step.summarize(`generation ${read.config.generation} is active, primary ${read.config.primaryRegion}`);
        return read;
    });
    const choice = await chooseRestoreSnapshot({ driver, config, clients: deps.clients, progress, snapshot: opts.snapshot, signal: deps.signal });
    const ageMs = progress.clock.now() - choice.recoveryPointAt;
    report.setRecoveryPoint({ recoveryPointAt: choice.recoveryPointAt, source: `snapshot ${choice.name}, the newest usable one; it was ${formatDuration(ageMs)} old when the drill started` });
    const foundation = await foundationOf(driver, choice.region);
    const target = restoreTarget(config, choice, foundation, progress.clock.now());
    const stackName = `${config.stack}-backup-drill-${target.replicationGroupId.slice(-12)}`;
    const plan = [
        `create temporary stack ${stackName} with one replication group ${target.replicationGroupId} in ${target.region}, restored from ${choice.name} ` +
        `(${config.shards} shards, no replicas, this deployment's network, KMS key and users)`,
        "verify its data through the data plane (every shard answers, key counts, recovery-point markers)",
        opts.keep ? `keep the temporary stack afterwards (--keep): destroy it yourself` : "destroy the temporary stack and remove it, also when verification fails",
    ];
    await progress.step("plan", "planning the backup drill", async (step) => {
        plan.forEach((line) => step.found(line));
        step.summarize(opts.dryRun ? "dry run: nothing will be created" : "asking for confirmation");
    });
    if (opts.dryRun) {
        return { summary: `dry run: would restore ${choice.name} into ${stackName} and verify it; nothing was created`, nextSteps: [], recoveryPointAt: choice.recoveryPointAt };
    }
    if (!deps.temporaryStacks || !deps.connectDataPlane || !opts.redisPassword) {
        throw new RefusedError(`a backup drill needs ${!deps.temporaryStacks ? "the Pulumi CLI to create its temporary stack" : !deps.connectDataPlane ? "a data-plane connection" : "REDIS_PASSWORD"}: ` +
            "set REDIS_PASSWORD to the password of --redis-user and run from a machine that reaches the cache's subnets. Nothing was created.");
    }
    await deps.confirm(plan, choice.region);

    const temporary = await progress.step("create-stack", `creating temporary stack ${stackName}`, async (step) => {
        const created = await deps.temporaryStacks!.create(stackName, target);
        step.summarize(`stack ${created.name} created`);
        return created;
    });
    report.markFirstMutatingCall(`created temporary stack ${stackName}`);
    const started = progress.clock.now();
    let verified = false;
    try {
        const restored = await progress.step("restore", `restoring ${choice.name} into ${target.replicationGroupId} (pulumi up of ${stackName})`, async (step) => {
            const cache = await temporary.up();
            step.summarize(`available at ${cache.configurationEndpoint}:${cache.port} after ${formatDuration(progress.clock.now() - started)}`);
            return cache;
        });
        await progress.step("verify", `verifying the restored data through the data plane`, async (step) => {
            const expected = await expectedKeysAtSnapshot(deps.clients, choice.region, choice.sourceGroupId, config.replicasPerShard + 1, choice.nodeSnapshots);
            await verifyGeneration({
                target: { seeds: [{ host: restored.configurationEndpoint, port: restored.port }], tls: true, auth: { username: opts.redisUser ?? defaultUser(config), password: opts.redisPassword! } },
                connect: deps.connectDataPlane!, expected, expectedKeysFlag: opts.expectedKeys, tolerancePercent: opts.tolerancePercent,
                markerNotBefore: choice.recoveryPointAt - opts.markerMaxAgeMs, deadlineMs: 60_000,
                nextStepsOnFailure: [
                    `The backup ${choice.name} did not restore as expected: find out why before you need it (compare the evidence above with the source's CurrItems).`,
                    "Run the drill again with --keep to inspect the restored cluster.",
                ],
            }, step);
            step.summarize("the restored data is complete");
        });
        verified = true;
    } finally {
        if (!opts.keep) {
            await progress.step("destroy-stack", `destroying temporary stack ${stackName}`, async (step) => {
                await temporary.destroy();
                await temporary.remove();
                step.summarize(`${stackName} destroyed and removed`);
            });
        }
    }
    const restoreMs = progress.clock.now() - started;
    return {
        summary: `${choice.name} restored and verified in ${formatDuration(restoreMs)}${verified ? "" : " (not verified)"}; ` +
            `recovery point ${new Date(choice.recoveryPointAt).toISOString()} (${formatDuration(ageMs)} old)`,
        nextSteps: opts.keep ? [`Destroy the temporary stack when done: pulumi destroy --stack ${stackName} --yes && pulumi stack rm ${stackName} --yes`] : [],
        restoreMs,
        recoveryPointAt: choice.recoveryPointAt,
    };
}
