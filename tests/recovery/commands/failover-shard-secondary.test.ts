/**
 * failover-shard in a secondary region of the Global Datastore: the member is read-only, so the check
 * after the failover reads every shard instead of writing. The fake control plane runs the
 * TestFailover in us-west-2 (a SECONDARY of the prod seed); a real local Redis cluster whose user may
 * not write stands in for the read-only secondary, so a write check there fails as it would on AWS.
 */
import * as assert from "node:assert/strict";
import { Cluster } from "ioredis";
import { DataPlaneTarget, connectCluster } from "../../../recovery/dataplane/connect";
import { LocalCluster } from "../../../recovery/local/cluster";
import { adminClient } from "../../../recovery/local/form";
import { Harness, harness } from "./harness";
import { failOverLocalShard, runWith } from "./failover-shard-harness";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";

const AUTH = { username: "app", password: "local-cluster-password-1" };
const SHARD = ["failover-shard", "--stack", "prod", "--region", "us-west-2", "--shard", "0002"];

/** Takes the write commands away from the user on every node: writes answer NOPERM, reads work. */
async function readOnly(local: LocalCluster): Promise<void> {
    for (const node of await local.nodes()) {
        const admin = adminClient(node.port, AUTH);
        try {
            await admin.connect();
            await admin.call("ACL", "SETUSER", AUTH.username, "-@write");
        } finally {
            admin.disconnect();
        }
    }
}

describe("failover-shard on a read-only Global Datastore secondary", function () {
    this.timeout(120_000);
    const fixture = useLocalCluster({ primaries: 3, replicasPerPrimary: 2, acl: AUTH });
    let h: Harness;

    before(async () => {
        await readOnly(fixture.local);
    });
    afterEach(() => h?.cleanup());

    function dataPlane(asked: DataPlaneTarget[], realFailover: () => Promise<unknown> | undefined) {
        return {
            env: { REDIS_PASSWORD: AUTH.password },
            connectDataPlane: async (target: DataPlaneTarget): Promise<Cluster> => {
                asked.push(target);
                await realFailover();
                return connectCluster({ seeds: fixture.local.seeds, auth: target.auth });
            },
        };
    }

    it("the precondition holds: the stand-in refuses writes and answers reads", async () => {
        const client = await connectCluster({ seeds: fixture.local.seeds, auth: AUTH });
        try {
            await assert.rejects(client.set("{shard-0}:probe", "x"), /NOPERM/);
            assert.equal(await client.get("{shard-0}:probe"), null);
        } finally {
            client.disconnect();
        }
    });

    it("plans a read check and says writes are not verified because the member is read-only", async () => {
        h = await harness();
        assert.equal(await runWith(h, dataPlane([], () => undefined), ...SHARD, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /\[role\] ok: prod-us-west-2 is a SECONDARY of Global Datastore \S+ \(read-only: it takes no writes\)/);
        assert.match(h.stdout.text, /plan: .*; read one key per shard through tls:\/\/\S+ as user app; writes are not verified: prod-us-west-2 is a SECONDARY/);
    });

    it("fails the shard over, then verifies that every shard answers reads, and writes nothing", async () => {
        h = await harness();
        let realFailover: Promise<unknown> | undefined;
        h.aws.model.onShardPromoted = (p) => {
            assert.deepEqual([p.region, p.nodeGroupId], ["us-west-2", "0002"]);
            realFailover = failOverLocalShard(fixture.local, 2, AUTH);
        };
        const asked: DataPlaneTarget[] = [];
        const code = await runWith(h, dataPlane(asked, () => realFailover), ...SHARD, "--yes");
        assert.equal(code, 0, `${h.stderr.text}\n${h.stdout.text}`);
        assert.deepEqual(h.aws.mutatingCalls().map((c) => [c.region, c.command, c.input]),
            [["us-west-2", "TestFailover", { ReplicationGroupId: "prod-us-west-2", NodeGroupId: "0002" }]]);

        const outputs = (await h.driver.outputs()).regions.value as Record<string, { configurationEndpoint: string }>;
        assert.deepEqual(asked.map((t) => t.seeds[0].host), [outputs["us-west-2"].configurationEndpoint], "the secondary's own endpoint");
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        const verify = report.steps.find((s) => s.name === "verify-writes")!;
        assert.equal(verify.result, "ok");
        assert.match(verify.summary!, /^reads verified through the data plane on every shard \(3, including the failed-over shard\); writes not verified: prod-us-west-2 is a SECONDARY of Global Datastore \S+ \(read-only: it takes no writes\)$/);
        const checks = verify.findings.map((f) => f.what);
        assert.equal(checks.length, 3);
        assert.ok(checks.every((c) => /: read ok after \d+ attempt\(s\)$/.test(c)), checks.join("\n"));
        assert.match(h.stdout.text, /SUCCEEDED: shard 0002 of prod-us-west-2 in us-west-2 failed over .*reads verified through the data plane on every shard/);
    });
});
