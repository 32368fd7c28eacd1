/**
 * Is a restored cluster fit to take traffic? Run after restoring a snapshot into a new cluster and
 * before cutting over to it: every shard must answer, hold about the expected number of keys, and
 * (when markers are expected) carry a recovery-point marker no older than the operator accepts.
 * Returns evidence for the report; it never throws for what it finds, only for bad arguments.
 */
import type { Cluster } from "ioredis";
import { onNode, withTimeout } from "./connect";
import { RecoveryPointMarker, ShardMarker, interpretMarker, markerKey, shardLabel } from "./marker";
import { SLOT_COUNT, ShardInfo, readShards, slotCount } from "./slots";

export interface RestoreExpectation {
    /** Expected keys per shard id ("shard-1".. as readShards names them). Give this or totalKeys, not both. */
    keysPerShard?: Record<string, number>;
    /**
     * Expected keys in the whole cluster, spread over shards in proportion to their slots. With neither
     * this nor keysPerShard, key counts are reported but not judged.
     */
    totalKeys?: number;
    /** How far a shard's count may be from its expectation, in percent. Default 5. */
    tolerancePercent?: number;
    /**
     * Milliseconds since the epoch: a marker written before this is stale. When given, every shard must
     * carry a marker; when left out, markers are reported but not required.
     */
    markerNotBefore?: number;
    /** Required: the whole verification must finish within this many milliseconds. */
    deadlineMs: number;
}

export interface ShardEvidence {
    id: string;
    slots: [number, number][];
    /** "host:port" of the primary that was asked. */
    primary: string;
    answered: boolean;
    keys?: number;
    expected?: number;
    /** The inclusive range of key counts accepted. */
    accepted?: [number, number];
    withinTolerance: boolean;
    marker?: RecoveryPointMarker | "missing";
    /** Everything wrong with this shard, one sentence each. */
    problem?: string;
}

export interface RestoreEvidence {
    ok: boolean;
    shards: ShardEvidence[];
    /** How much older than markerNotBefore the oldest marker is (0 when none is older). */
    dataLossMs?: number;
    elapsedMs: number;
    problems: string[];
}

export const DEFAULT_TOLERANCE_PERCENT = 5;

function fail(field: string, value: unknown, accepted: string): never {
    throw new Error(`verifyRestoredData: ${field} is ${JSON.stringify(value)}. Accepted: ${accepted}.`);
}

function checkExpectation(expect: RestoreExpectation): void {
    if (!Number.isFinite(expect?.deadlineMs) || expect.deadlineMs <= 0) {
        fail("deadlineMs", expect?.deadlineMs, "a positive number of milliseconds");
    }
    const tolerance = expect.tolerancePercent;
    if (tolerance !== undefined && (!Number.isFinite(tolerance) || tolerance < 0 || tolerance > 100)) {
        fail("tolerancePercent", tolerance, "a number from 0 to 100");
    }
    if (expect.keysPerShard !== undefined && expect.totalKeys !== undefined) {
        fail("keysPerShard and totalKeys", "both", "one of them: per-shard counts when known, otherwise the total");
    }
    if (expect.totalKeys !== undefined && (!Number.isInteger(expect.totalKeys) || expect.totalKeys < 0)) {
        fail("totalKeys", expect.totalKeys, "a whole number of 0 or more");
    }
    for (const [id, count] of Object.entries(expect.keysPerShard ?? {})) {
        if (!Number.isInteger(count) || count < 0) {
            fail(`keysPerShard[${JSON.stringify(id)}]`, count, "a whole number of 0 or more");
        }
    }
    if (expect.markerNotBefore !== undefined && !Number.isFinite(expect.markerNotBefore)) {
        fail("markerNotBefore", expect.markerNotBefore, "milliseconds since the epoch");
    }
}

/**
 * The expected key count of `shard`. Without per-shard counts, a shard should hold its share of the
 * total in proportion to its slots: CRC16 spreads keys without hash tags evenly over the 16,384 slots,
 * so over many keys the share converges on slots/16384. Keys with hash tags all land in their tag's
 * slot and skew that (a busy tag can fill one shard); tolerancePercent is the knob for such key spaces.
 */
function expectedKeys(shard: ShardInfo, expect: RestoreExpectation): number | undefined {
    if (expect.keysPerShard !== undefined) {
        return expect.keysPerShard[shard.id];
    }
    if (expect.totalKeys !== undefined) {
        return (expect.totalKeys * slotCount(shard.slots)) / SLOT_COUNT;
    }
    return undefined;
}

/**
 * Whole key counts accepted around `expected`, rounded outwards so a fractional share always has a
 * count that fits. A shard that should hold keys must hold at least one, whatever the tolerance: a
 * wide tolerance (for keys whose TTL ran out since the snapshot) must not let an empty shard through.
 */
export function acceptedRange(expected: number, tolerancePercent: number): [number, number] {
    const slack = (expected * tolerancePercent) / 100;
    return [Math.max(expected >= 1 ? 1 : 0, Math.floor(expected - slack)), Math.ceil(expected + slack)];
}

const formatCount = (n: number) => Math.round(n).toLocaleString("en-US");
const seconds = (ms: number) => `${(ms / 1000).toFixed(3)} s`;

interface ShardReading {
    shard: ShardInfo;
    keys?: number;
    /** Why the primary gave no key count. */
    unanswered?: string;
    marker?: ShardMarker;
}

async function readShard(cluster: Cluster, shard: ShardInfo, timeoutMs: number): Promise<ShardReading> {
    const key = markerKey(shard);
    try {
        // One connection, two pipelined commands: DBSIZE is the finding, GET reads the marker.
        const [keys, value] = await onNode(cluster, shard.primary, timeoutMs, (client) =>
            Promise.all([client.dbsize(), client.get(key).catch((error: Error) => error)]));
        return { shard, keys, marker: interpretMarker(shard, key, value) };
    } catch (error) {
        return { shard, unanswered: (error as Error).message };
    }
}

function judge(reading: ShardReading, expect: RestoreExpectation, tolerance: number): { evidence: ShardEvidence; problems: string[] } {
    const { shard } = reading;
    const label = shardLabel(shard);
    const primary = `${shard.primary.host}:${shard.primary.port}`;
    const problems: string[] = [];
    const evidence: ShardEvidence = { id: shard.id, slots: shard.slots, primary, answered: reading.unanswered === undefined, withinTolerance: false };

    if (reading.unanswered !== undefined) {
        problems.push(`${label}: primary ${primary} (node ${shard.primary.nodeId}) did not answer DBSIZE: ${reading.unanswered.replace(/\.+$/, "")}. ` +
            `Seen: no key count; accepted: an answer within the deadline.`);
    } else {
        evidence.keys = reading.keys;
        const expected = expectedKeys(shard, expect);
        if (expected === undefined && expect.keysPerShard !== undefined) {
            problems.push(`${label}: ${formatCount(reading.keys as number)} keys seen, but keysPerShard gives no count for ${shard.id} ` +
                `(it names ${Object.keys(expect.keysPerShard).join(", ") || "none"}); accepted: a count for every shard.`);
        } else if (expected === undefined) {
            evidence.withinTolerance = true;
        } else {
            const accepted = acceptedRange(expected, tolerance);
            Object.assign(evidence, { expected: Math.round(expected), accepted });
            evidence.withinTolerance = (reading.keys as number) >= accepted[0] && (reading.keys as number) <= accepted[1];
            if (!evidence.withinTolerance) {
                problems.push(`${label}: ${formatCount(reading.keys as number)} keys seen, accepted ${formatCount(accepted[0])}-${formatCount(accepted[1])} ` +
                    `(expected ${formatCount(expected)} ± ${tolerance}%).`);
            }
        }
    }

    const marker = reading.marker?.marker;
    if (marker !== undefined) {
        evidence.marker = marker;
    }
    const notBefore = expect.markerNotBefore;
    if (notBefore !== undefined && reading.marker !== undefined) {
        const accepted = `accepted: a marker written at or after ${new Date(notBefore).toISOString()}`;
        if (reading.marker.problem !== undefined) {
            problems.push(`${reading.marker.problem}; ${accepted}.`);
        } else if (marker === "missing") {
            problems.push(`${label}: recovery-point marker ${reading.marker.key} is missing (seen: none); ${accepted}.`);
        } else if (marker !== undefined && marker.atMs < notBefore) {
            const m = marker;
            problems.push(`${label}: recovery-point marker written at ${m.at} by ${JSON.stringify(m.writer)} (seq ${m.seq}) is ` +
                `${seconds(notBefore - m.atMs)} older than accepted; ${accepted}. Writes of up to ${seconds(notBefore - m.atMs)} may be missing.`);
        }
    }
    if (problems.length > 0) {
        evidence.problem = problems.join(" ");
    }
    return { evidence, problems };
}

export async function verifyRestoredData(cluster: Cluster, expect: RestoreExpectation): Promise<RestoreEvidence> {
    checkExpectation(expect);
    const started = Date.now();
    const deadline = started + expect.deadlineMs;
    const tolerance = expect.tolerancePercent ?? DEFAULT_TOLERANCE_PERCENT;
    const finish = (shards: ShardEvidence[], problems: string[], dataLossMs?: number): RestoreEvidence => ({
        ok: problems.length === 0, shards, ...(dataLossMs !== undefined ? { dataLossMs } : {}), elapsedMs: Date.now() - started, problems,
    });

    let shards: ShardInfo[];
    try {
        shards = await withTimeout(readShards(cluster), expect.deadlineMs, () => `no answer within ${expect.deadlineMs} ms`);
    } catch (error) {
        return finish([], [`Could not read the cluster's shards: ${(error as Error).message}`]);
    }
    const readings = await Promise.all(shards.map((shard) => readShard(cluster, shard, deadline - Date.now())));
    const judged = readings.map((reading) => judge(reading, expect, tolerance));
    const evidence = judged.map((shard) => shard.evidence);
    const problems = judged.flatMap((shard) => shard.problems);

    const known = new Set(shards.map((shard) => shard.id));
    const unknown = Object.keys(expect.keysPerShard ?? {}).filter((id) => !known.has(id));
    if (unknown.length > 0) {
        problems.push(`keysPerShard names ${unknown.join(", ")}, which the cluster does not have (seen: ${[...known].join(", ")}); ` +
            `accepted: the shard ids readShards reports.`);
    }

    let dataLossMs: number | undefined;
    if (expect.markerNotBefore !== undefined) {
        const times = evidence.flatMap((shard) => (shard.marker && shard.marker !== "missing" ? [shard.marker.atMs] : []));
        if (times.length > 0) {
            dataLossMs = Math.max(0, expect.markerNotBefore - Math.min(...times));
        }
    }
    return finish(evidence, problems, dataLossMs);
}
