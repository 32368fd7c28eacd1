/**
 * Shards as the data plane sees them: which slots each one owns, who its primary and replicas are, and
 * a hash tag that routes keys to it (for canary writes and recovery-point markers, one per shard).
 */
import calculateSlot = require("cluster-key-slot");
import type { Cluster, Redis } from "ioredis";

export const SLOT_COUNT = 16384;

export interface ShardNode {
    host: string;
    port: number;
    nodeId: string;
}

export interface ShardInfo {
    /** "shard-1", "shard-2", ... in slot order. Callers may rename (to ElastiCache node group ids, say). */
    id: string;
    /** Inclusive slot ranges, ascending. */
    slots: [number, number][];
    primary: ShardNode;
    /** Replicas not known to be failing. */
    replicas: ShardNode[];
}

/** "0-5460" or "0-10,20-30", for messages. */
export function formatSlots(slots: [number, number][]): string {
    return slots.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(",");
}

export function slotCount(slots: [number, number][]): number {
    return slots.reduce((sum, [from, to]) => sum + (to - from + 1), 0);
}

/** A RESP map sent as a flat [key, value, key, value] array (RESP2), as an object. */
function pairs(flat: unknown[]): Record<string, unknown> {
    const record: Record<string, unknown> = {};
    for (let i = 0; i + 1 < flat.length; i += 2) {
        record[String(flat[i])] = flat[i + 1];
    }
    return record;
}

interface RawShard {
    slots: [number, number][];
    primary?: ShardNode;
    replicas: ShardNode[];
}

function address(node: Record<string, unknown>, tls: boolean): { host: string; port: number } {
    // "endpoint" is the address the cluster tells clients to use (the one CLUSTER SLOTS gives first,
    // per cluster-preferred-endpoint-type); "ip" is the fallback when the endpoint is unknown ("?").
    const endpoint = String(node.endpoint ?? "");
    const host = endpoint && endpoint !== "?" ? endpoint : String(node.hostname || node.ip);
    // A server with both listeners reports both ports; a TLS client needs the TLS one.
    const port = tls ? node["tls-port"] ?? node.port : node.port ?? node["tls-port"];
    return { host, port: Number(port) };
}

/** CLUSTER SHARDS (Redis 7.0+, Valkey): every shard, including failed nodes, tagged with their health. */
export function parseClusterShards(reply: unknown[], tls = false): RawShard[] {
    return reply.map((entry) => {
        const shard = pairs(entry as unknown[]);
        const flatSlots = (shard.slots as unknown[]).map(Number);
        const slots: [number, number][] = [];
        for (let i = 0; i + 1 < flatSlots.length; i += 2) {
            slots.push([flatSlots[i], flatSlots[i + 1]]);
        }
        const nodes = (shard.nodes as unknown[][]).map(pairs);
        const toNode = (node: Record<string, unknown>): ShardNode => ({ ...address(node, tls), nodeId: String(node.id) });
        const primary = nodes.find((node) => node.role === "master");
        return {
            slots,
            primary: primary ? toNode(primary) : undefined,
            replicas: nodes.filter((node) => node.role !== "master" && node.health !== "fail").map(toNode),
        };
    });
}

/** CLUSTER SLOTS (any version): one entry per slot range, [from, to, primary, ...replicas], nodes as [host, port, id]. */
export function parseClusterSlots(reply: unknown[]): RawShard[] {
    const byPrimary = new Map<string, RawShard>();
    for (const entry of reply as unknown[][]) {
        const [from, to, primary, ...replicas] = entry;
        const toNode = (node: unknown): ShardNode => {
            const [host, port, nodeId] = node as unknown[];
            return { host: String(host), port: Number(port), nodeId: String(nodeId) };
        };
        const primaryNode = toNode(primary);
        const shard = byPrimary.get(primaryNode.nodeId) ?? { slots: [], primary: primaryNode, replicas: replicas.map(toNode) };
        shard.slots.push([Number(from), Number(to)]);
        byPrimary.set(primaryNode.nodeId, shard);
    }
    return [...byPrimary.values()];
}

function isUnknownCommand(error: unknown): boolean {
    return /unknown (sub)?command|ERR Unknown subcommand/i.test(String((error as Error)?.message ?? error));
}

async function askTopology(node: Redis): Promise<RawShard[]> {
    try {
        return parseClusterShards((await node.call("CLUSTER", "SHARDS")) as unknown[], Boolean(node.options.tls));
    } catch (error) {
        if (!isUnknownCommand(error)) {
            throw error;
        }
        return parseClusterSlots((await node.call("CLUSTER", "SLOTS")) as unknown[]);
    }
}

function toShardInfos(raw: RawShard[], answeredBy: string): ShardInfo[] {
    const owning = raw.filter((shard) => shard.slots.length > 0);
    const orphan = owning.find((shard) => shard.primary === undefined);
    if (orphan) {
        throw new Error(`Slots ${formatSlots(orphan.slots)} have no primary in the answer of ${answeredBy}; ` +
            `the cluster is mid-failover or broken. Try again in a few seconds.`);
    }
    return owning
        .map((shard) => ({ ...shard, slots: [...shard.slots].sort((a, b) => a[0] - b[0]) }))
        .sort((a, b) => a.slots[0][0] - b.slots[0][0])
        .map((shard, index) => ({ id: `shard-${index + 1}`, slots: shard.slots, primary: shard.primary as ShardNode, replicas: shard.replicas }));
}

/**
 * The shards that own slots, sorted by first slot and named "shard-1".. in that order. Every node the
 * client knows is asked at once and the first answer wins, so a dead or frozen shard costs nothing.
 */
export async function readShards(cluster: Cluster): Promise<ShardInfo[]> {
    const candidates = [...cluster.nodes("master"), ...cluster.nodes("slave")];
    if (candidates.length === 0) {
        throw new Error("readShards: the cluster client knows no node; connect it first (connectCluster resolves once it is ready).");
    }
    const asks = candidates.map(async (node) => {
        const name = `${node.options.host}:${node.options.port}`;
        try {
            return toShardInfos(await askTopology(node), name);
        } catch (error) {
            throw new Error(`${name}: ${(error as Error).message}`);
        }
    });
    try {
        return await Promise.any(asks);
    } catch (error) {
        const reasons = (error as AggregateError).errors.map((e: Error) => e.message);
        throw new Error(`No node answered CLUSTER SHARDS or CLUSTER SLOTS (asked ${candidates.length}): ${reasons.join("; ")}.`);
    }
}

function slotInRanges(slot: number, slots: [number, number][]): boolean {
    return slots.some(([from, to]) => slot >= from && slot <= to);
}

/** Upper bound on candidates tried: a one-slot shard needs about 16,384 on average. */
const MAX_TAG_CANDIDATES = 2_000_000;

/**
 * A hash tag, braces included ("{shard-17}"), whose slot belongs to `shard`: the first of
 * `{prefix}0`, `{prefix}1`, ... that hashes into the shard's slots. Deterministic, so a writer and a
 * later reader (after a restore with the same slot layout) agree on the tag without sharing state.
 */
export function hashTagFor(shard: Pick<ShardInfo, "slots">, prefix = "shard-"): string {
    if (/[{}]/.test(prefix)) {
        throw new Error(`hashTagFor: prefix is ${JSON.stringify(prefix)}. Accepted: text without "{" or "}".`);
    }
    const slots = shard?.slots ?? [];
    const valid = slots.length > 0 && slots.every(([from, to]) =>
        Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from <= to && to < SLOT_COUNT);
    if (!valid) {
        throw new Error(`hashTagFor: slots is ${JSON.stringify(slots)}. Accepted: at least one [from, to] range with ` +
            `0 <= from <= to <= ${SLOT_COUNT - 1}.`);
    }
    for (let n = 0; n < MAX_TAG_CANDIDATES; n++) {
        const tag = `${prefix}${n}`;
        if (slotInRanges(calculateSlot(tag), slots)) {
            return `{${tag}}`;
        }
    }
    throw new Error(`hashTagFor: no tag "${prefix}<n>" below n=${MAX_TAG_CANDIDATES} hashes into slots ${formatSlots(slots)}.`);
}
