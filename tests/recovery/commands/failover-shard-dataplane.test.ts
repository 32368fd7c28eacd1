/**
 * failover-shard with a real data plane: the fake control plane runs the TestFailover, and a real local
 * Redis cluster (3 primaries, 2 replicas each, like the prod seed) stands in for the replication group.
 * When the fake promotes shard 0002's replica, the test fails the real cluster's second shard over with
 * CLUSTER FAILOVER, so the write check runs against a shard whose primary really changed.
 */
import * as assert from "node:assert/strict";
import { Cluster } from "ioredis";
import { DataPlaneTarget, connectCluster } from "../../../recovery/dataplane/connect";
import { readShards } from "../../../recovery/dataplane/slots";
import { Harness, harness } from "./harness";
import { failOverLocalShard, keysOnPrimaries, runWith } from "./failover-shard-harness";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";

const AUTH = { username: "app", password: "local-cluster-password-1" };
const SHARD = ["failover-shard", "--stack", "prod", "--region", "us-east-1", "--shard", "0002"];

describe("failover-shard, writes verified through a real local cluster", function () {
    this.timeout(120_000);
    const fixture = useLocalCluster({ primaries: 3, replicasPerPrimary: 2, acl: AUTH });
    let h: Harness;

    afterEach(() => h?.cleanup());

    it("fails the shard over, the real shard follows, and one write per shard is read back (the failed-over shard included)", async () => {
        h = await harness();
        let realFailover: Promise<{ from: string; to: string }> | undefined;
        h.aws.model.onShardPromoted = (p) => {
            assert.equal(p.nodeGroupId, "0002");
            realFailover = failOverLocalShard(fixture.local, 2, AUTH);
        };
        const asked: DataPlaneTarget[] = [];
        const connectDataPlane = async (target: DataPlaneTarget): Promise<Cluster> => {
            asked.push(target);
            // In AWS the promotion precedes the recovery by minutes; on virtual time it must be awaited.
            await realFailover;
            return connectCluster({ seeds: fixture.local.seeds, auth: target.auth });
        };
        const code = await runWith(h, { connectDataPlane, env: { REDIS_PASSWORD: AUTH.password } }, ...SHARD, "--yes");
        assert.equal(code, 0, `${h.stderr.text}\n${h.stdout.text}`);

        // The command asked for the stack's configuration endpoint, with TLS, the first password user and the password from the environment.
        const outputs = await h.driver.outputs();
        const endpoint = (outputs.regions.value as Record<string, { configurationEndpoint: string; port: number }>)["us-east-1"];
        assert.deepEqual(asked, [{ seeds: [{ host: endpoint.configurationEndpoint, port: endpoint.port }], tls: true, auth: AUTH }]);

        const moved = await realFailover!;
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        const verify = report.steps.find((s) => s.name === "verify-writes")!;
        assert.equal(verify.result, "ok");
        assert.equal(verify.summary, "writes verified through the data plane on every shard (3, including the failed-over shard)");
        const checks = verify.findings.map((f) => f.what);
        assert.equal(checks.length, 3);
        assert.ok(checks.every((c) => /write and read back ok/.test(c)), checks.join("\n"));
        assert.match(checks[1], new RegExp(`^shard-2 \\(slots 5461-10922, primary ${moved.to}, the failed-over shard\\)`), "checked on the new primary");
        assert.match(h.stdout.text, /SUCCEEDED: shard 0002 of prod-us-east-1 in us-east-1 failed over \(new primary prod-us-east-1-0002-002, from AWS's event\).*writes verified through the data plane on every shard/);
        assert.deepEqual(await keysOnPrimaries(fixture.local, "*recovery:write-check*", AUTH), [], "the check keys are deleted");
    });

    it("when no AWS event names the new primary, names it from the data plane", async () => {
        h = await harness();
        let realFailover: Promise<{ from: string; to: string }> | undefined;
        h.aws.model.onShardPromoted = () => {
            const index = h.aws.model.events.findIndex((e) => /^Failover to replica node/.test(e.message));
            h.aws.model.events.splice(index, 1);
            // Shard 3: shard 2's replicas may still be catching up after the first test's failover.
            realFailover = failOverLocalShard(fixture.local, 3, AUTH);
        };
        const connectDataPlane = async (target: DataPlaneTarget): Promise<Cluster> => {
            await realFailover;
            return connectCluster({ seeds: fixture.local.seeds, auth: target.auth });
        };
        const code = await runWith(h, { connectDataPlane, env: { REDIS_PASSWORD: AUTH.password } }, ...SHARD.slice(0, -1), "0003", "--yes");
        assert.equal(code, 0, `${h.stderr.text}\n${h.stdout.text}`);
        const moved = await realFailover!;
        assert.match(h.stdout.text, new RegExp(`SUCCEEDED: shard 0003 of prod-us-east-1 in us-east-1 failed over \\(new primary ${moved.to}, from the data plane \\(CLUSTER SHARDS\\)\\)`));
    });

    // Last: it leaves the local cluster without its third shard.
    it("fails the run when writes fail through the data plane after the failover", async () => {
        h = await harness();
        const client = await connectCluster({ seeds: fixture.local.seeds, auth: AUTH });
        const victim = (await readShards(client).finally(() => client.disconnect()))[2];
        for (const node of [victim.primary, ...victim.replicas]) {
            await fixture.local.kill(node.port);
        }
        const alive = fixture.local.seeds.filter((s) => s.port !== victim.primary.port);
        // Few redirections: each write that meets CLUSTERDOWN then fails at once instead of after 16 retries, and the test stays short.
        const connectDataPlane = async (target: DataPlaneTarget) => connectCluster({ seeds: alive, auth: target.auth }, { maxRedirections: 1 });
        const code = await runWith(h, { connectDataPlane, env: { REDIS_PASSWORD: AUTH.password } }, ...SHARD, "--yes");
        assert.equal(code, 1);
        assert.match(h.stderr.text, /writes FAILED through the data plane on .*shard-3.* after the failover of shard 0002/);
        assert.equal(h.lastReport().outcome, "failed");
    });
});
