/**
 * Recovery-point markers: one small key per shard saying when it was last written, and by whom. A
 * drill (or a heartbeat) writes them on the source; after a snapshot is restored into a new cluster,
 * their age tells how much recent data the restore lacks, per shard, before anyone cuts over to it.
 *
 * The key is `elasticache-global:recovery-point:{tag}`, with the tag from hashTagFor(shard), so each
 * marker lives on its own shard. A restore keeps the slot layout when the shard count is unchanged, so
 * the reader finds each marker under the same key; with a different layout the markers are reported
 * missing, which is right: per-shard recovery points no longer map onto the new shards.
 */
import type { Cluster } from "ioredis";
import { onNode } from "./connect";
import { ShardInfo, formatSlots, hashTagFor, readShards } from "./slots";

export const MARKER_KEY_PREFIX = "elasticache-global:recovery-point:";

export interface RecoveryPointMarker {
    /** When the writer says it wrote the marker, ISO 8601 with milliseconds. */
    at: string;
    /** `at` in milliseconds since the epoch. */
    atMs: number;
    writer: string;
    /** 1 for the first marker of the key, then one more on each write. */
    seq: number;
}

export interface ShardMarker {
    shard: ShardInfo;
    key: string;
    /** The marker, "missing" when the key does not exist, undefined when it could not be read (see problem). */
    marker?: RecoveryPointMarker | "missing";
    problem?: string;
}

export function markerKey(shard: Pick<ShardInfo, "slots">): string {
    return `${MARKER_KEY_PREFIX}${hashTagFor(shard)}`;
}

/** "shard-2 (slots 5461-10922)": how every message names a shard. */
export function shardLabel(shard: Pick<ShardInfo, "id" | "slots">): string {
    return `${shard.id} (slots ${formatSlots(shard.slots)})`;
}

/**
 * Bumps seq and rewrites the marker in one step on the server, so two writers (a drill and a
 * heartbeat) never hand out the same seq. A value that is not a marker restarts the count at 1.
 */
const WRITE_MARKER_SCRIPT = `
local seq = 1
local old = redis.call('GET', KEYS[1])
if old then
  local ok, decoded = pcall(cjson.decode, old)
  if ok and type(decoded) == 'table' and tonumber(decoded.seq) then seq = tonumber(decoded.seq) + 1 end
end
local value = cjson.encode({ at = ARGV[1], writer = ARGV[2], seq = seq })
redis.call('SET', KEYS[1], value)
return value`;

/** Parses a stored marker; throws a message saying what is wrong with it. */
export function parseMarker(value: string): RecoveryPointMarker {
    let decoded: { at?: unknown; writer?: unknown; seq?: unknown };
    try {
        decoded = JSON.parse(value);
    } catch {
        throw new Error(`is not JSON: ${JSON.stringify(value.slice(0, 80))}`);
    }
    const atMs = typeof decoded?.at === "string" ? Date.parse(decoded.at) : NaN;
    if (!Number.isFinite(atMs)) {
        throw new Error(`has at ${JSON.stringify(decoded?.at)}; expected an ISO 8601 time`);
    }
    if (typeof decoded.writer !== "string") {
        throw new Error(`has writer ${JSON.stringify(decoded.writer)}; expected a string`);
    }
    if (!Number.isInteger(decoded.seq) || (decoded.seq as number) < 1) {
        throw new Error(`has seq ${JSON.stringify(decoded.seq)}; expected a whole number of 1 or more`);
    }
    return { at: decoded.at as string, atMs, writer: decoded.writer, seq: decoded.seq as number };
}

/**
 * Writes one marker per shard, stamped `now`, through the cluster (so a write during a failover fails
 * like any other write). Returns what was written.
 */
export async function writeMarkers(cluster: Cluster, writer: string, now: number = Date.now()): Promise<{ shard: ShardInfo; key: string; marker: RecoveryPointMarker }[]> {
    if (typeof writer !== "string" || writer.trim() === "" || writer.length > 200) {
        throw new Error(`writeMarkers: writer is ${JSON.stringify(writer)}. Accepted: a non-empty name of up to 200 characters, ` +
            `such as "drill 2024-05-01T10:00Z" or "heartbeat app-1".`);
    }
    if (!Number.isFinite(now)) {
        throw new Error(`writeMarkers: now is ${JSON.stringify(now)}. Accepted: milliseconds since the epoch.`);
    }
    const at = new Date(now).toISOString();
    const shards = await readShards(cluster);
    return Promise.all(shards.map(async (shard) => {
        const key = markerKey(shard);
        const stored = String(await cluster.eval(WRITE_MARKER_SCRIPT, 1, key, at, writer));
        return { shard, key, marker: parseMarker(stored) };
    }));
}

/** What a GET of `key` on the shard's primary gave: the value, null, or the error it failed with. */
export function interpretMarker(shard: ShardInfo, key: string, value: string | null | Error): ShardMarker {
    if (value instanceof Error) {
        return { shard, key, problem: `${shardLabel(shard)}: could not read marker ${key} from primary ` +
            `${shard.primary.host}:${shard.primary.port}: ${value.message}` };
    }
    if (value === null) {
        return { shard, key, marker: "missing" };
    }
    try {
        return { shard, key, marker: parseMarker(value) };
    } catch (error) {
        return { shard, key, problem: `${shardLabel(shard)}: marker ${key} ${(error as Error).message}` };
    }
}

/** Reads one shard's marker straight from its primary, within `timeoutMs`. */
export async function readShardMarker(cluster: Cluster, shard: ShardInfo, timeoutMs: number): Promise<ShardMarker> {
    const key = markerKey(shard);
    const value = await onNode(cluster, shard.primary, timeoutMs, (client) => client.get(key)).catch((error: Error) => error);
    return interpretMarker(shard, key, value);
}

/** Every shard's marker, read from its primary. Default timeout 5000 ms per shard (shards are read in parallel). */
export async function readMarkers(cluster: Cluster, opts: { timeoutMs?: number } = {}): Promise<ShardMarker[]> {
    const shards = await readShards(cluster);
    return Promise.all(shards.map((shard) => readShardMarker(cluster, shard, opts.timeoutMs ?? 5000)));
}
