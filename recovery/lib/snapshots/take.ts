/**
 * Taking a manual snapshot of a replication group and waiting until it is available. A group takes one
 * backup at a time (it is `snapshotting` meanwhile and refuses a second), so a backup already running,
 * automated or someone else's, is waited out first, within the same bound. The reason (and who asked)
 * are kept as tags on the snapshot. The request goes through change.ts: a throttled one is asked again
 * under the same name (looked up first), and after an unclear failure the snapshot is looked up by name
 * before anything is reported.
 */
import { CreateSnapshotCommand, Snapshot } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { sendChange } from "../change";
import { AwsCallError } from "../errors";
import { formatDuration } from "../printer";
import { Progress, StepContext } from "../progress";
import { ClientsFor, readTargetGroup } from "../retarget/control-plane";
import { RefusedError } from "../retarget/preflight";
import { WaitTimeoutError, waitFor } from "../wait";
import { NodeSnapshotTime, formatInstant, nodeSnapshotTimes, recoveryPointOf } from "./describe";
import { findSnapshot } from "./list";
import { TAG_VALUE_ACCEPTED, tagValueProblem } from "./tag-value";

/** How long to wait for the next second's name when a manual snapshot name is taken already. */
const NEXT_NAME_MS = 1000;

// Replication group ids are 1-40 lowercase letters, digits and hyphens, starting with a letter.
const GROUP_ID = /^[a-z][a-z0-9-]{0,39}$/;

/**
 * `<group>-manual-YYYYMMDD-HHMMSS` (UTC, when the call is made): at most 63 characters, lowercase
 * because AWS stores snapshot names in lowercase, so the name reported is the name AWS shows.
 */
export function manualSnapshotName(replicationGroupId: string, atMs: number): string {
    if (!GROUP_ID.test(replicationGroupId)) {
        throw new Error(`manualSnapshotName: replication group id ${JSON.stringify(replicationGroupId)} is not valid. ` +
            "Accepted: 1 to 40 lowercase letters, digits and hyphens, starting with a letter.");
    }
    const stamp = new Date(atMs).toISOString().slice(0, 19).replace(/-|:/g, "").replace("T", "-");
    return `${replicationGroupId}-manual-${stamp}`;
}

export interface TakeSnapshotRequest {
    region: string;
    replicationGroupId: string;
    /** Why the snapshot is taken; kept as its `reason` tag (tagValueProblem must accept it). */
    reason: string;
    /** Who asked; kept as its `requested-by` tag. Default: no such tag. */
    requestedBy?: string;
    /** How long to wait, in all, for a running backup to finish and then for this snapshot to be available. */
    waitTimeoutMs: number;
}

export interface TakeSnapshotDeps {
    clients: RegionClients;
    progress: Progress;
    signal?: AbortSignal;
}

export interface TakenSnapshot {
    region: string;
    replicationGroupId: string;
    name: string;
    /** The latest node group capture time, epoch ms: the snapshot holds the writes up to it. */
    recoveryPoint: number;
    nodeSnapshots: NodeSnapshotTime[];
    tags: Record<string, string>;
}

/** The snapshot did not become available; `nextSteps` say what a human does now (a rerun would take another one). */
export class SnapshotNotTakenError extends Error {
    constructor(message: string, readonly nextSteps: string[]) {
        super(message);
        this.name = "SnapshotNotTakenError";
    }
}

export function snapshotTags(reason: string, requestedBy?: string): Record<string, string> {
    return { reason, ...(requestedBy !== undefined ? { "requested-by": requestedBy } : {}) };
}

function checkRequest(req: TakeSnapshotRequest): void {
    for (const [field, value] of [["reason", req.reason], ["requestedBy", req.requestedBy]] as const) {
        const problem = value === undefined ? undefined : tagValueProblem(value);
        if (problem) {
            throw new Error(`takeSnapshot: ${field} ${JSON.stringify(value)} is not valid: ${problem}. Accepted: ${TAG_VALUE_ACCEPTED}.`);
        }
    }
    if (!Number.isFinite(req.waitTimeoutMs) || req.waitTimeoutMs <= 0) {
        throw new Error(`takeSnapshot: waitTimeoutMs is ${req.waitTimeoutMs}. Accepted: a positive number of milliseconds.`);
    }
}

/** Waits while a backup runs on the group; refuses any other state than available. */
async function untilAvailable(req: TakeSnapshotRequest, deps: TakeSnapshotDeps, read: ClientsFor, deadline: number, step: StepContext): Promise<void> {
    const { region, replicationGroupId: id } = req;
    const group = await readTargetGroup(read, region, id, deps.signal);
    if (!group) {
        throw new RefusedError(`replication group ${id} does not exist in ${region}, so there is nothing to snapshot. Nothing was changed.`);
    }
    if (group.status === "available") {
        return;
    }
    if (group.status !== "snapshotting") {
        throw new RefusedError(`replication group ${id} in ${region} is ${group.status}; a snapshot can start only when it is available. ` +
            "Nothing was changed; run the same command again once it is available.");
    }
    const left = deadline - deps.progress.clock.now();
    step.found(`${id} is already taking a backup (automated, or someone else's); waiting for it to finish before taking this one, ` +
        `up to ${formatDuration(Math.max(0, left))}`, { level: "warn" });
    if (left <= 0) {
        throw new RefusedError(`${id} in ${region} is still taking another backup and --wait-timeout is used up. Nothing was changed; run again later.`);
    }
    try {
        await waitFor({
            waitingFor: `the backup running on ${id} to finish`, timeoutMs: left, step: step.name, clock: deps.progress.clock, emit: step.emit, signal: deps.signal,
            check: async (signal) => {
                const now = await readTargetGroup(read, region, id, signal);
                const state = now?.status ?? "gone";
                return { state, done: state === "available", failed: state === "snapshotting" || state === "available" ? undefined : `${id} is ${state}` };
            },
        });
    } catch (e) {
        if (e instanceof WaitTimeoutError) {
            throw new RefusedError(`${id} in ${region} was still taking another backup when --wait-timeout ran out (${e.message}). ` +
                "Nothing was changed; run the same command again once that backup is done.");
        }
        throw e;
    }
}

/**
 * Asks for the snapshot through change.ts: a throttled request is asked again, once the name is looked
 * up; after an unclear failure the name is looked up and the run goes on only when it exists for this
 * group. "busy" when another backup started in between (AWS refuses with the group snapshotting).
 */
async function create(req: TakeSnapshotRequest, deps: TakeSnapshotDeps, name: string, step: StepContext, deadline: number): Promise<"created" | "busy"> {
    const { region, replicationGroupId: id } = req;
    const read: ClientsFor = (r) => deps.clients.elastiCache(r);
    const tags = Object.entries(snapshotTags(req.reason, req.requestedBy)).map(([Key, Value]) => ({ Key, Value }));
    try {
        await sendChange({
            context: { region, service: "elasticache", operation: "CreateSnapshot" },
            send: (signal) => deps.clients.elastiCacheForChanges(region).send(new CreateSnapshotCommand({ ReplicationGroupId: id, SnapshotName: name, Tags: tags }),
                { abortSignal: signal }),
            lookFor: async (_reason, signal) => {
                const found = await findSnapshot(read, region, name, signal);
                return found?.ReplicationGroupId === id ? `snapshot ${name} exists (${found.SnapshotStatus ?? "status unknown"})` : undefined;
            },
            clock: deps.progress.clock, signal: deps.signal, step, deadline,
        });
        return "created";
    } catch (e) {
        if (!(e instanceof AwsCallError) || e.kind !== "invalid-state") {
            throw e;
        }
        const group = await readTargetGroup(read, region, id, deps.signal);
        if (group?.status === "snapshotting" && !(await findSnapshot(read, region, name, deps.signal))) {
            return "busy";
        }
        throw e;
    }
}

function pollResult(snapshot: Snapshot | undefined, name: string) {
    const state = snapshot?.SnapshotStatus ?? "gone";
    const failed = state === "creating" || state === "available" ? undefined
        : state === "gone" ? `${name} no longer exists (deleted by someone else?)` : `${name} is ${state}`;
    return { state, done: state === "available", failed };
}

/** Takes the snapshot and resolves once it is available; the deadline covers waiting for a running backup too. */
export async function takeSnapshot(req: TakeSnapshotRequest, deps: TakeSnapshotDeps): Promise<TakenSnapshot> {
    checkRequest(req);
    const { progress, clients } = deps;
    const { region, replicationGroupId: id } = req;
    const read: ClientsFor = (r) => clients.elastiCache(r);
    const deadline = progress.clock.now() + req.waitTimeoutMs;
    const name = await progress.step("create-snapshot", `taking a manual snapshot of ${id} in ${region}`, async (step) => {
        for (;;) {
            await untilAvailable(req, deps, read, deadline, step);
            const candidate = manualSnapshotName(id, progress.clock.now());
            // Checked before it is asked for: AWS refuses a name taken in the region (a run started within the same second).
            if (await findSnapshot(read, region, candidate, deps.signal)) {
                step.found(`a snapshot named ${candidate} exists already in ${region}; taking the next second's name`, { level: "warn" });
                await progress.clock.sleep(NEXT_NAME_MS, deps.signal);
                continue;
            }
            if (await create(req, deps, candidate, step, deadline) === "created") {
                step.summarize(`CreateSnapshot accepted: ${candidate}`);
                return candidate;
            }
            step.found(`${id} started another backup just before ours; waiting for it, then asking again`, { level: "warn" });
        }
    });
    const snapshot = await progress.step("snapshot-available", `waiting for ${name} to be available (up to ${formatDuration(Math.max(0, deadline - progress.clock.now()))} left)`,
        async (step) => {
            let last: Snapshot | undefined;
            try {
                await waitFor({
                    waitingFor: `${name} to be available`, timeoutMs: Math.max(1, deadline - progress.clock.now()), step: step.name,
                    clock: progress.clock, emit: step.emit, signal: deps.signal,
                    check: async (signal) => {
                        last = await findSnapshot(read, region, name, signal);
                        return pollResult(last, name);
                    },
                });
            } catch (e) {
                throw stopped(e, req, name);
            }
            const at = recoveryPointOf(last!);
            step.summarize(`${name} is available${at !== undefined ? `, recovery point ${formatInstant(at)}` : ""}`);
            return last!;
        });
    const recoveryPoint = recoveryPointOf(snapshot);
    if (recoveryPoint === undefined) {
        throw new SnapshotNotTakenError(`${name} is available but does not say when each node group was captured, so its recovery point is unknown.`,
            [`Describe it (aws elasticache describe-snapshots --snapshot-name ${name} --region ${region}) before relying on it.`]);
    }
    return { region, replicationGroupId: id, name, recoveryPoint, nodeSnapshots: nodeSnapshotTimes(snapshot), tags: snapshotTags(req.reason, req.requestedBy) };
}

/** What a failed or unfinished wait means for the snapshot, and what to do: never "run it again" blindly, that takes another one. */
function stopped(error: unknown, req: TakeSnapshotRequest, name: string): Error {
    const describe = `aws elasticache describe-snapshots --snapshot-name ${name} --region ${req.region}`;
    if (error instanceof WaitTimeoutError) {
        return new SnapshotNotTakenError(`${name} was requested but is not available within --wait-timeout: ${error.message}`, [
            `AWS goes on creating ${name}; check it with: ${describe}. Once it is available it is the snapshot this run asked for.`,
            "Do not run the command again just to wait: that takes a second snapshot.",
        ]);
    }
    const message = error instanceof Error ? error.message : String(error);
    return new SnapshotNotTakenError(`${name} did not become available: ${message}`, [
        `Look at it with: ${describe}. A failed snapshot holds nothing usable: delete it (aws elasticache delete-snapshot --snapshot-name ${name} ` +
            `--region ${req.region}) and run the command again.`,
    ]);
}
