/**
 * The runbook's last step after a failover, through the data plane: one write and read back per
 * shard, with a hash tag that routes each key to that shard, so the shard that failed over is covered
 * for certain. A read-only member (a Global Datastore secondary) refuses writes whatever its health,
 * so there every shard is asked one read instead. When no data plane can be reached the run says
 * "writes not verified" and why: the control plane's word is not proof that clients can write.
 */
import { randomBytes } from "node:crypto";
import type { Cluster } from "ioredis";
import { ShardInfo, formatSlots, hashTagFor, readShards } from "../../dataplane/slots";
import { Clock } from "../clock";
import { firstLine } from "../progress";

/** How this run reaches the data plane, or why it cannot. */
export type DataPlaneAccess =
    | { available: true; connect(endpoint: { host: string; port: number }): Promise<Cluster>; describe(endpoint: { host: string; port: number }): string }
    | { available: false; why: string };

/** "write": one write, read back and deleted; "read": one read (a read-only member takes no write). */
export type CheckKind = "write" | "read";

export interface WriteCheck {
    kind: CheckKind;
    /** The data plane's name for the shard ("shard-2") and its slots. */
    shard: string;
    slots: string;
    primary: string;
    key: string;
    ok: boolean;
    /** The last error, when the check never succeeded. */
    error?: string;
    attempts: number;
    /** The shard owns the failed-over node group's middle slot (VerifyOptions.targetSlot). */
    isTarget: boolean;
}

export interface VerifyOptions {
    clock: Clock;
    /** A slot of the node group that failed over, to mark its check. Default: none marked. */
    targetSlot?: number;
    /** How long each shard may keep failing before its check counts as failed. Default 30 s: clients need a moment to learn the new primary. */
    retryForMs?: number;
    signal?: AbortSignal;
}

const RETRY_DELAY_MS = 500;
/** Check keys expire on their own should the DEL never run. */
const KEY_TTL_MS = 5 * 60_000;

/** The shards as the data plane sees them, asked again while the cluster is between primaries. */
async function shardsOf(cluster: Cluster, opts: VerifyOptions): Promise<ShardInfo[]> {
    const deadline = opts.clock.now() + (opts.retryForMs ?? 30_000);
    for (;;) {
        try {
            return await readShards(cluster);
        } catch (e) {
            if (opts.clock.now() >= deadline) {
                throw e;
            }
            await opts.clock.sleep(RETRY_DELAY_MS, opts.signal);
        }
    }
}

async function writeAndReadBack(cluster: Cluster, key: string, value: string): Promise<void> {
    await cluster.set(key, value, "PX", KEY_TTL_MS);
    const read = await cluster.get(key);
    if (read !== value) {
        throw new Error(`read back ${JSON.stringify(read)} instead of the value just written`);
    }
    await cluster.del(key);
}

/** One read of a key that need not exist: any answer but an error shows the shard serves reads. */
async function readOnce(cluster: Cluster, key: string): Promise<void> {
    await cluster.get(key);
}

/** Runs the check of `kind` on `shard`, asking again until it works or the retry time is up. */
async function checkShard(cluster: Cluster, shard: ShardInfo, run: string, kind: CheckKind, opts: VerifyOptions): Promise<WriteCheck> {
    const key = `${hashTagFor(shard)}:recovery:${kind}-check:${run}`;
    const check: WriteCheck = {
        kind, shard: shard.id, slots: formatSlots(shard.slots), primary: `${shard.primary.host}:${shard.primary.port}`, key, ok: false, attempts: 0,
        isTarget: opts.targetSlot !== undefined && shard.slots.some(([from, to]) => opts.targetSlot! >= from && opts.targetSlot! <= to),
    };
    const deadline = opts.clock.now() + (opts.retryForMs ?? 30_000);
    for (;;) {
        check.attempts += 1;
        try {
            await (kind === "write" ? writeAndReadBack(cluster, key, `${run}-${check.attempts}`) : readOnce(cluster, key));
            check.ok = true;
            delete check.error;
            return check;
        } catch (e) {
            check.error = firstLine(e);
            if (opts.clock.now() >= deadline || opts.signal?.aborted) {
                return check;
            }
            await opts.clock.sleep(RETRY_DELAY_MS, opts.signal);
        }
    }
}

/**
 * Writes, reads back and deletes one key per shard, all shards at once (a shard that keeps failing
 * must not hold up the verdict on the others); resolves with every shard's result, failed or not.
 */
export async function verifyWritesPerShard(cluster: Cluster, opts: VerifyOptions): Promise<WriteCheck[]> {
    return verifyPerShard(cluster, "write", opts);
}

/** One read per shard, all shards at once, for a member that takes no writes; resolves with every shard's result. */
export async function verifyReadsPerShard(cluster: Cluster, opts: VerifyOptions): Promise<WriteCheck[]> {
    return verifyPerShard(cluster, "read", opts);
}

async function verifyPerShard(cluster: Cluster, kind: CheckKind, opts: VerifyOptions): Promise<WriteCheck[]> {
    const run = randomBytes(6).toString("hex");
    const shards = await shardsOf(cluster, opts);
    return Promise.all(shards.map((shard) => checkShard(cluster, shard, run, kind, opts)));
}

/** "shard-2 (slots 5461-10922, primary 10.0.0.5:6379, the failed-over shard): write and read back ok after 1 attempt(s)". */
export function describeCheck(check: WriteCheck): string {
    const what = check.kind === "write" ? "write and read back" : "read";
    return `${check.shard} (slots ${check.slots}, primary ${check.primary}${check.isTarget ? ", the failed-over shard" : ""}): ` +
        (check.ok ? `${what} ok after ${check.attempts} attempt(s)` : `${what} FAILED after ${check.attempts} attempt(s): ${check.error}`);
}
