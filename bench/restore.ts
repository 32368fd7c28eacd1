/**
 * Benchmark (not a test): restore-from-snapshot end to end, simulated. The real command runs against
 * the control-plane fake on its virtual clock (AWS's durations as the fake models them: 25 minutes to
 * create a group from a snapshot) and the fake stack, while its data-plane verification runs against a
 * real local Redis cluster seeded with KEYS keys. Prints each step's simulated duration and the real
 * wall time of the whole run.
 *
 * Run: npx ts-node --transpile-only bench/restore.ts [keys]
 */
import { connectCluster } from "../recovery/dataplane/connect";
import { writeMarkers } from "../recovery/dataplane/marker";
import { readShards } from "../recovery/dataplane/slots";
import { startLocalCluster } from "../recovery/local/cluster";
import { seedKeys } from "../recovery/local/seed";
import { harness } from "../tests/recovery/commands/harness";
import { PASSWORD, SOURCE, addSnapshots, upCreatesSeededGroups } from "../tests/recovery/restore/restore-scenario";

const KEYS = Number(process.argv[2] ?? 1_000_000);

async function main(): Promise<void> {
    const local = await startLocalCluster({ primaries: 3, replicasPerPrimary: 1, acl: { username: "app", password: PASSWORD } });
    const target = { seeds: local.seeds, auth: { username: "app", password: PASSWORD } };
    const seeder = await connectCluster(target, { commandTimeoutMs: 10_000 });
    const h = await harness({ connectDataPlane: () => connectCluster(target), env: { REDIS_PASSWORD: PASSWORD } });
    try {
        const seeded = await seedKeys(seeder, { count: KEYS });
        const shards = await readShards(seeder);
        await writeMarkers(seeder, "heartbeat", Date.parse("2025-01-15T02:58:00Z"));
        upCreatesSeededGroups(h);
        addSnapshots(h);
        h.aws.setItems("us-east-1", SOURCE, (_at, shardId) => seeded.perShard[shards[Number(shardId) - 1].id]);
        const wallStart = Date.now();
        const code = await h.run("restore-from-snapshot", "--stack", "prod", "--before", "2025-01-15T08:00:00Z", "--yes");
        const wallMs = Date.now() - wallStart;
        const report = h.lastReport();
        console.log(`restore-from-snapshot exit ${code}, outcome ${report.outcome}, ${KEYS} keys seeded in ${seeded.elapsedMs} ms`);
        console.log("step                    simulated duration");
        for (const step of report.steps) {
            console.log(`${step.name.padEnd(24)}${String(step.durationSeconds ?? "?").padStart(8)} s  ${step.result}`);
        }
        const rt = report.recoveryTime;
        console.log(`recovery time (simulated): ${rt === "not reached" ? rt : `${rt.seconds} s`}; real wall time of the run: ${wallMs} ms`);
        const verify = report.steps.find((s) => s.name === "verify");
        console.log(`verify step: ${verify?.summary}`);
    } finally {
        seeder.disconnect();
        h.cleanup();
        await local.stop();
    }
}

main().then(() => process.exit(0), (e) => {
    console.error(e);
    process.exit(1);
});
