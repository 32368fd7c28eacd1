/**
 * Benchmark (not a test): how long restore verification takes on a cluster holding a realistic number
 * of keys, measured against real redis-server processes on the loopback interface.
 *
 * Starts a local cluster (3 primaries, 1 replica each), seeds KEYS keys spread over all slots, waits
 * until the replicas have them, writes recovery-point markers, then times verifyRestoredData RUNS
 * times and prints the median. DBSIZE is O(1) on the server, so verification time should not grow
 * with the key count; the seed time is printed to show what the data set costs to build.
 *
 * Run: npx ts-node --transpile-only bench/verify-restore.ts [keys]
 */
import { connectCluster } from "../recovery/dataplane/connect";
import { writeMarkers } from "../recovery/dataplane/marker";
import { verifyRestoredData } from "../recovery/dataplane/verify";
import { startLocalCluster } from "../recovery/local/cluster";
import { seedKeys, waitForReplicas } from "../recovery/local/seed";

const KEYS = Number(process.argv[2] ?? 1_000_000);
const RUNS = 5;
const REPLICA_CATCH_UP_MS = 30_000;

function median(values: number[]): number {
    const sorted = [...values].sort((a, b) => a - b);
    const middle = Math.floor(sorted.length / 2);
    return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

async function main(): Promise<void> {
    if (!Number.isInteger(KEYS) || KEYS < 1) {
        throw new Error(`keys is ${JSON.stringify(process.argv[2])}. Accepted: a whole number of 1 or more (default 1000000).`);
    }
    const startedAt = Date.now();
    const local = await startLocalCluster({ primaries: 3, replicasPerPrimary: 1, log: (line) => console.log(line) });
    const stop = () => void local.stop().finally(() => process.exit(130));
    process.once("SIGINT", stop);
    process.once("SIGTERM", stop);
    const cluster = await connectCluster({ seeds: local.seeds }, { commandTimeoutMs: 10_000 });
    try {
        console.log(`cluster up in ${Date.now() - startedAt} ms`);
        const seed = await seedKeys(cluster, { count: KEYS });
        const seedMs = seed.elapsedMs;
        const replicaStart = Date.now();
        await waitForReplicas(cluster, REPLICA_CATCH_UP_MS);
        const replicaMs = Date.now() - replicaStart;
        const markedAt = Date.now();
        await writeMarkers(cluster, "bench", markedAt);
        const keysPerShard = Object.fromEntries(Object.entries(seed.perShard).map(([id, keys]) => [id, keys + 1]));

        const timings: number[] = [];
        let last;
        for (let run = 0; run < RUNS; run++) {
            const start = process.hrtime.bigint();
            last = await verifyRestoredData(cluster, { keysPerShard, tolerancePercent: 0, markerNotBefore: markedAt, deadlineMs: 10_000 });
            timings.push(Number(process.hrtime.bigint() - start) / 1e6);
            if (!last.ok) {
                throw new Error(`verification failed on a complete cluster: ${last.problems.join(" ")}`);
            }
        }

        console.log(`seeded ${KEYS.toLocaleString("en-US")} keys in ${seedMs} ms (${Math.round(KEYS / (seedMs / 1000)).toLocaleString("en-US")} keys/s); ` +
            `replicas caught up ${replicaMs} ms later`);
        for (const shard of last?.shards ?? []) {
            console.log(`  ${shard.id} slots ${shard.slots.map(([a, b]) => `${a}-${b}`).join(",")}: ${shard.keys?.toLocaleString("en-US")} keys (primary ${shard.primary})`);
        }
        console.log(`verifyRestoredData: median ${median(timings).toFixed(1)} ms over ${RUNS} runs ` +
            `(${timings.map((t) => t.toFixed(1)).join(", ")} ms)`);
    } finally {
        cluster.disconnect();
        await local.stop();
    }
}

main().catch((error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
});
