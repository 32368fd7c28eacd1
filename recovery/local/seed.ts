/**
 * Filling a cluster with known data fast, for restore-verification tests and benchmarks, and waiting
 * until replicas hold it too.
 *
 * DEBUG POPULATE would be faster, but it creates keys on the node it is sent to whatever their slot,
 * so in cluster mode most of them sit on a node that does not own them: DBSIZE counts them while
 * clients get MOVED for them, and the next resharding or failover treats them as garbage. So keys are
 * written normally: grouped by slot (one MSET per slot is legal in cluster mode), the MSETs of one
 * shard sent as pipelines through the cluster client.
 */
import calculateSlot = require("cluster-key-slot");
import type { Cluster } from "ioredis";
import { readShards } from "../dataplane/slots";

export interface SeedOptions {
    /** Number of keys. */
    count: number;
    /** Key names are `${prefix}:${n}`, without hash tags, so they spread over all slots. Default "seed". */
    prefix?: string;
    /** Bytes per value. Default 16. */
    valueBytes?: number;
    /** MSETs per pipeline. Default 1024. */
    pipelineSize?: number;
}

export interface SeedResult {
    keys: number;
    /** Keys written per shard id (readShards' names). */
    perShard: Record<string, number>;
    elapsedMs: number;
}

export async function seedKeys(cluster: Cluster, opts: SeedOptions): Promise<SeedResult> {
    if (!Number.isInteger(opts.count) || opts.count < 0) {
        throw new Error(`seedKeys: count is ${JSON.stringify(opts.count)}. Accepted: a whole number of 0 or more.`);
    }
    const prefix = opts.prefix ?? "seed";
    if (/[{}]/.test(prefix)) {
        throw new Error(`seedKeys: prefix is ${JSON.stringify(prefix)}. Accepted: text without "{" or "}" (a hash tag would put every key in one slot).`);
    }
    const value = "x".repeat(opts.valueBytes ?? 16);
    const pipelineSize = opts.pipelineSize ?? 1024;
    const started = Date.now();

    const bySlot = new Map<number, string[]>();
    for (let n = 0; n < opts.count; n++) {
        const key = `${prefix}:${n}`;
        const slot = calculateSlot(key);
        const args = bySlot.get(slot);
        if (args) {
            args.push(key, value);
        } else {
            bySlot.set(slot, [key, value]);
        }
    }

    const shards = await readShards(cluster);
    const perShard: Record<string, number> = {};
    await Promise.all(shards.map(async (shard) => {
        const slots = [...bySlot.keys()].filter((slot) => shard.slots.some(([from, to]) => slot >= from && slot <= to));
        perShard[shard.id] = slots.reduce((sum, slot) => sum + (bySlot.get(slot) as string[]).length / 2, 0);
        for (let i = 0; i < slots.length; i += pipelineSize) {
            const results = await cluster.pipeline(slots.slice(i, i + pipelineSize).map((slot) => ["mset", ...(bySlot.get(slot) as string[])])).exec();
            const failed = results?.find(([error]) => error);
            if (failed) {
                throw new Error(`seedKeys: an MSET to ${shard.id} failed: ${(failed[0] as Error).message}`);
            }
        }
    }));
    return { keys: opts.count, perShard, elapsedMs: Date.now() - started };
}

/**
 * Waits until every replica has acknowledged every write this client made (WAIT on the client's own
 * connection to each primary), so a failover or a snapshot taken next cannot lose the seed. WAIT makes
 * the primary ask for acknowledgements at once; comparing offsets in INFO would lag by up to a second,
 * the interval at which replicas report on their own.
 */
export async function waitForReplicas(cluster: Cluster, timeoutMs: number): Promise<void> {
    const primaries = cluster.nodes("master");
    const behind = await Promise.all(primaries.map(async (node) => {
        const replicas = Number(/connected_slaves:(\d+)/.exec(await node.info("replication"))?.[1] ?? 0);
        const acknowledged = Number(await node.call("WAIT", String(replicas), String(timeoutMs)));
        return acknowledged >= replicas ? undefined
            : `${node.options.host}:${node.options.port}: ${acknowledged} of ${replicas} replicas acknowledged`;
    }));
    const problems = behind.filter((text): text is string => text !== undefined);
    if (problems.length > 0) {
        throw new Error(`Replicas did not catch up within ${timeoutMs} ms: ${problems.join("; ")}.`);
    }
}
