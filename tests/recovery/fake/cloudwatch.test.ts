import * as assert from "assert";
import { FailoverGlobalReplicationGroupCommand } from "@aws-sdk/client-elasticache";
import { GetMetricDataCommand, InvalidParameterValueException, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { cloudWatchIn, elastiCacheIn, rejection } from "./clients";
import { FakeAws, PROD_SEED } from "./index";

const cw = cloudWatchIn;

describe("FakeAws CloudWatch GlobalDatastoreReplicationLag", () => {
    let aws: FakeAws;
    beforeEach(() => {
        aws = FakeAws.seed(PROD_SEED).install();
    });
    afterEach(() => aws.restore());

    const lagQuery = (clusterId: string, extra: { Name: string; Value: string }[] = []) => ({
        Id: "lag", MetricStat: { Metric: { Namespace: "AWS/ElastiCache", MetricName: "GlobalDatastoreReplicationLag", Dimensions: [{ Name: "CacheClusterId", Value: clusterId }, ...extra] }, Period: 60, Stat: "Maximum" },
    });
    const read = async (region: string, query: object, minutes = 10) => {
        const now = aws.clock.now();
        const out = await cw(region).send(new GetMetricDataCommand({ MetricDataQueries: [query as never], StartTime: new Date(now - minutes * 60_000), EndTime: new Date(now) }));
        return out.MetricDataResults![0];
    };

    it("reads a secondary's lag function in its region at 60 s periods, newest first, published a minute late", async () => {
        const lagAt = (t: number) => (Math.floor(t / 60_000) % 10) + 0.5;
        aws.setReplicationLag("us-west-2", "prod-us-west-2", lagAt);
        const result = await read("us-west-2", lagQuery("prod-us-west-2-0001-001"), 5);
        const now = aws.clock.now();
        assert.deepStrictEqual(result.Timestamps!.map((d) => (now - d.getTime()) / 60_000), [2, 3, 4, 5]);
        assert.deepStrictEqual(result.Values, result.Timestamps!.map((d) => lagAt(d.getTime())));
        assert.ok(new Set(result.Values).size > 1, "the values come from the function, not a constant");
    });

    it("has no data for the primary, in another region, or under a dimension the metric does not have", async () => {
        assert.deepStrictEqual((await read("us-east-1", lagQuery("prod-us-east-1-0001-001"))).Values, []);
        assert.deepStrictEqual((await read("us-east-1", lagQuery("prod-us-west-2-0001-001"))).Values, []);
        const byGroup = { ...lagQuery("x"), MetricStat: { ...lagQuery("x").MetricStat, Metric: { ...lagQuery("x").MetricStat.Metric, Dimensions: [{ Name: "ReplicationGroupId", Value: "prod-us-west-2" }] } } };
        assert.deepStrictEqual((await read("us-west-2", byGroup)).Values, []);
        assert.strictEqual((await read("us-west-2", lagQuery("prod-us-west-2-0001-001", [{ Name: "CacheNodeId", Value: "0001" }]))).Values!.length, 9);
    });

    it("follows roles: after a failover the old primary publishes and the new one stops", async () => {
        await elastiCacheIn("us-west-2").send(new FailoverGlobalReplicationGroupCommand({ GlobalReplicationGroupId: "ldgnf-prod", PrimaryRegion: "us-west-2", PrimaryReplicationGroupId: "prod-us-west-2" }));
        aws.clock.advance(aws.durations.failover + 5 * 60_000);
        const oldPrimary = await read("us-east-1", lagQuery("prod-us-east-1-0001-001"));
        const promoted = await read("us-west-2", lagQuery("prod-us-west-2-0001-001"));
        assert.strictEqual(oldPrimary.Values!.length, 4);
        assert.strictEqual(promoted.Values!.length, 5, "only the minutes up to the promotion");
        assert.ok(promoted.Timestamps!.every((d) => d.getTime() < aws.clock.now() - 5 * 60_000));
    });

    it("lists the per-node metrics a secondary region has", async () => {
        const out = await cw("eu-west-1").send(new ListMetricsCommand({ MetricName: "GlobalDatastoreReplicationLag", Dimensions: [{ Name: "CacheNodeId" }] }));
        assert.deepStrictEqual(out.Metrics!.map((m) => m.Dimensions!.map((d) => d.Value)), [
            ["prod-eu-west-1-0001-001", "0001"], ["prod-eu-west-1-0002-001", "0001"], ["prod-eu-west-1-0003-001", "0001"],
        ]);
    });

    it("rejects a period that is not a multiple of 60 s", async () => {
        const query = lagQuery("prod-us-west-2-0001-001");
        const error = await rejection(read("us-west-2", { ...query, MetricStat: { ...query.MetricStat, Period: 90 } }));
        assert.ok(error instanceof InvalidParameterValueException);
        assert.match(error.message, /Period must be a multiple of 60 seconds, got 90/);
    });
});

describe("FakeAws CloudWatch SetTypeCmds and IsPrimary per node", () => {
    let aws: FakeAws;
    beforeEach(() => {
        aws = FakeAws.seed(PROD_SEED).install();
    });
    afterEach(() => aws.restore());

    const read = async (metric: string, stat: string, node: string, minutes = 5) => {
        const now = aws.clock.now();
        const out = await cw("us-east-1").send(new GetMetricDataCommand({
            StartTime: new Date(now - minutes * 60_000), EndTime: new Date(now), ScanBy: "TimestampAscending",
            MetricDataQueries: [{ Id: "q", MetricStat: { Metric: { Namespace: "AWS/ElastiCache", MetricName: metric, Dimensions: [{ Name: "CacheClusterId", Value: node }] }, Period: 60, Stat: stat } }],
        }));
        return out.MetricDataResults![0].Values!;
    };

    it("replicas run their primary's writes again, plus a DEL per key expired on it; the primary counts only client writes", async () => {
        aws.setWrites("us-east-1", "prod-us-east-1", (_m, node) => (node === "prod-us-east-1-0001-001" ? 12 : 99));
        aws.setExpiries("us-east-1", "prod-us-east-1", (_m, shard) => (shard === "0001" ? 3 : 0));
        assert.deepStrictEqual(await read("SetTypeCmds", "Sum", "prod-us-east-1-0001-001"), [12, 12, 12, 12]);
        assert.deepStrictEqual(await read("SetTypeCmds", "Sum", "prod-us-east-1-0001-002"), [15, 15, 15, 15], "a replica takes no client writes of its own");
        assert.deepStrictEqual(await read("SetTypeCmds", "Sum", "prod-us-east-1-0002-001"), [99, 99, 99, 99]);
        assert.deepStrictEqual(await read("SetTypeCmds", "Sum", "prod-us-east-1-0002-003"), [99, 99, 99, 99]);
    });

    it("publishes IsPrimary 1 on each shard's primary and 0 on its replicas", async () => {
        assert.deepStrictEqual(await read("IsPrimary", "Maximum", "prod-us-east-1-0003-001"), [1, 1, 1, 1]);
        assert.deepStrictEqual(await read("IsPrimary", "Maximum", "prod-us-east-1-0003-002"), [0, 0, 0, 0]);
    });

    it("a region that is down publishes nothing for those minutes; one whose API alone is down keeps publishing", async () => {
        aws.faults.regionDown("us-east-1");
        aws.clock.advance(3 * 60_000);
        aws.faults.regionUp("us-east-1");
        aws.faults.regionDown("us-east-1", { metrics: "published" });
        aws.clock.advance(3 * 60_000);
        aws.faults.regionUp("us-east-1");
        aws.clock.advance(2 * 60_000);
        assert.deepStrictEqual(await read("IsPrimary", "Maximum", "prod-us-east-1-0001-001", 8), [1, 1, 1, 1], "8 minutes: 3 silent, the newest not readable yet");
    });
});
