/**
 * Benchmark (not a test): restore-from-snapshot end to end, simulated, in both orders: with
 * --wait-for-secondaries (the whole generation is built before the writer moves) and founder-first
 * (the writer moves once the founder from the snapshot is verified and its datastore exists; the
 * secondaries join afterwards). The real command runs against the control-plane fake on its virtual
 * clock, with the same simulated durations both times (the fake's: 25 minutes to create a group from a
 * snapshot, 5 minutes for the datastore, 20 minutes for each secondary to join), and the fake stack;
 * its data-plane verification runs against a real local Redis cluster seeded with KEYS keys. Prints
 * each step's simulated duration, the recovery time to cutover and the time to full redundancy.
 *
 * Run: npx ts-node --transpile-only bench/restore.ts [keys]
 */
import { connectCluster } from "../recovery/dataplane/connect";
import { writeMarkers } from "../recovery/dataplane/marker";
import { readShards } from "../recovery/dataplane/slots";
import { startLocalCluster } from "../recovery/local/cluster";
import { seedKeys } from "../recovery/local/seed";
import { DEFAULT_DURATIONS } from "../tests/recovery/fake";
import { harness } from "../tests/recovery/commands/harness";
import { PASSWORD, SOURCE, addSnapshots, upCreatesSeededGroups } from "../tests/recovery/restore/restore-scenario";

const KEYS = Number(process.argv[2] ?? 1_000_000);
const MIN = 60_000;

interface Outcome {
    label: string;
    toCutover: number | "not reached";
    toFullRedundancy: number | "not measured";
}

async function restoreOnce(label: string, extraFlags: string[], target: { seeds: { host: string; port: number }[]; auth: { username: string; password: string } },
    perShard: (shardId: string) => number): Promise<Outcome> {
    const h = await harness({ connectDataPlane: () => connectCluster(target), env: { REDIS_PASSWORD: PASSWORD } });
    try {
        upCreatesSeededGroups(h);
        addSnapshots(h);
        h.aws.setItems("us-east-1", SOURCE, (_at, shardId) => perShard(shardId));
        const wallStart = Date.now();
        const code = await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2025-01-15T08:00:00Z", ...extraFlags, "--yes");
        const wallMs = Date.now() - wallStart;
        const report = h.lastReport();
        console.log(`\n== ${label}: exit ${code}, outcome ${report.outcome}, real wall time ${wallMs} ms`);
        console.log("step                    simulated duration");
        for (const step of report.steps) {
            console.log(`${step.name.padEnd(24)}${String(step.durationSeconds ?? "?").padStart(8)} s  ${step.result}`);
        }
        const rt = report.recoveryTime;
        const full = report.fullRedundancyTime;
        console.log(`verify step: ${report.steps.find((s) => s.name === "verify")?.summary}`);
        return { label, toCutover: rt === "not reached" ? rt : rt.seconds, toFullRedundancy: full ? full.seconds : "not measured" };
    } finally {
        h.cleanup();
    }
}

async function main(): Promise<void> {
    const d = DEFAULT_DURATIONS;
    console.log(`simulated durations (the fake's defaults, the same for both runs): group from a snapshot ${d.restore / MIN} min, ` +
        `datastore ${d.createDatastore / MIN} min, each secondary joining ${d.joinSecondary / MIN} min (2 secondaries)`);
    const local = await startLocalCluster({ primaries: 3, replicasPerPrimary: 1, acl: { username: "app", password: PASSWORD } });
    const target = { seeds: local.seeds, auth: { username: "app", password: PASSWORD } };
    const seeder = await connectCluster(target, { commandTimeoutMs: 10_000 });
    try {
        const seeded = await seedKeys(seeder, { count: KEYS });
        const shards = await readShards(seeder);
        await writeMarkers(seeder, "heartbeat", Date.parse("2025-01-15T02:58:00Z"));
        console.log(`${KEYS} keys seeded in ${seeded.elapsedMs} ms`);
        const perShard = (shardId: string) => seeded.perShard[shards[Number(shardId) - 1].id];
        const results = [
            await restoreOnce("before: --wait-for-secondaries", ["--wait-for-secondaries"], target, perShard),
            await restoreOnce("after: founder first (default)", [], target, perShard),
        ];
        console.log("\norder                              to cutover (simulated)   to full redundancy (simulated)");
        for (const r of results) {
            const s = (v: number | string) => (typeof v === "number" ? `${v} s` : v);
            console.log(`${r.label.padEnd(35)}${s(r.toCutover).padStart(22)}${s(r.toFullRedundancy).padStart(33)}`);
        }
    } finally {
        seeder.disconnect();
        await local.stop();
    }
}

main().then(() => process.exit(0), (e) => {
    console.error(e);
    process.exit(1);
});
