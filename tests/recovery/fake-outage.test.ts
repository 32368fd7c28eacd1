/** FakeAws during an outage and a rejoin: detach rules, SSM parameters, final snapshots, metrics that go silent. */
import * as assert from "assert";
import {
    DeleteReplicationGroupCommand, DescribeSnapshotsCommand, DisassociateGlobalReplicationGroupCommand, FailoverGlobalReplicationGroupCommand,
    InvalidGlobalReplicationGroupStateFault, SnapshotAlreadyExistsFault,
} from "@aws-sdk/client-elasticache";
import { GetMetricDataCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { GetParameterCommand, ParameterNotFound, PutParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { FakeAws, FakeAwsOptions, PROD_SEED } from "./fake";
import { cloudWatchIn, elastiCacheIn, rejection } from "./fake/clients";

const DS = "ldgnf-prod";
const WRITER = "/elasticache-global/prod/writer";
const MINUTE = 60_000;
const ssm = (region: string) => new SSMClient({ region, credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" } });
const detach = (region: string) =>
    new DisassociateGlobalReplicationGroupCommand({ GlobalReplicationGroupId: DS, ReplicationGroupId: `prod-${region}`, ReplicationGroupRegion: region });
const stuckPromotion = () => new FailoverGlobalReplicationGroupCommand({ GlobalReplicationGroupId: DS, PrimaryRegion: "us-west-2", PrimaryReplicationGroupId: "prod-us-west-2" });

function query(metric: string, node: string, stat = "Maximum", id = "q"): MetricDataQuery {
    return { Id: id, MetricStat: { Metric: { Namespace: "AWS/ElastiCache", MetricName: metric, Dimensions: [{ Name: "CacheClusterId", Value: node }] }, Period: 60, Stat: stat } };
}

describe("FakeAws in an outage", () => {
    let aws: FakeAws;
    const start = (options: FakeAwsOptions = {}) => {
        aws = FakeAws.seed(PROD_SEED, options).install();
    };
    afterEach(() => aws?.restore());

    describe("DisassociateGlobalReplicationGroup while a promotion is stuck", () => {
        it("is refused by default with InvalidGlobalReplicationGroupState, as AWS documents for a datastore that is not available", async () => {
            start();
            aws.faults.regionDown("us-east-1");
            await elastiCacheIn("us-west-2").send(stuckPromotion());
            const error = await rejection(elastiCacheIn("us-west-2").send(detach("us-west-2")));
            assert.ok(error instanceof InvalidGlobalReplicationGroupStateFault);
            assert.match(error.message, /is modifying; DisassociateGlobalReplicationGroup needs it available/);
        });

        it("goes through with detachDuringStuckPromotion, and drops the stuck promotion", async () => {
            start({ detachDuringStuckPromotion: true });
            aws.faults.regionDown("us-east-1");
            await elastiCacheIn("us-west-2").send(stuckPromotion());
            await elastiCacheIn("us-west-2").send(detach("us-west-2"));
            aws.clock.advance(aws.durations.disassociate);
            aws.model.settle();
            assert.deepStrictEqual([aws.model.requireReplicationGroup("us-west-2", "prod-us-west-2").global, aws.model.datastoreStatus(aws.datastore())],
                [undefined, "available"]);
        });
    });

    describe("SSM parameters", () => {
        it("are seeded per region with the program's writer document, naming the primary", async () => {
            start();
            for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
                const out = await ssm(region).send(new GetParameterCommand({ Name: WRITER }));
                const doc = JSON.parse(out.Parameter!.Value!);
                assert.deepStrictEqual([doc.role, doc.region, doc.replicationGroupId, doc.globalDatastoreId, doc.port], ["writer", "us-east-1", "prod-us-east-1", DS, 6379]);
                assert.match(doc.configurationEndpoint, /^clustercfg\.prod-us-east-1\./);
            }
        });

        it("are regional: a write in one region is not seen in another; Overwrite is required; writes count as mutating", async () => {
            start();
            await rejection(ssm("us-west-2").send(new PutParameterCommand({ Name: WRITER, Value: "x", Type: "String" })));
            const out = await ssm("us-west-2").send(new PutParameterCommand({ Name: WRITER, Value: "new", Type: "String", Overwrite: true }));
            assert.strictEqual(out.Version, 2);
            assert.strictEqual(aws.parameter("us-west-2", WRITER), "new");
            assert.notStrictEqual(aws.parameter("eu-west-1", WRITER), "new");
            assert.ok((await rejection(ssm("us-west-2").send(new GetParameterCommand({ Name: "/missing" })))) instanceof ParameterNotFound);
            assert.deepStrictEqual(aws.mutatingCalls().map((c) => `${c.service} ${c.command} ${c.outcome}`), ["ssm PutParameter ParameterAlreadyExists", "ssm PutParameter ok"]);
        });

        it("are unreachable with their region, like every other service", async () => {
            start();
            aws.faults.regionDown("us-east-1", { mode: "refused" });
            assert.strictEqual((await rejection(ssm("us-east-1").send(new GetParameterCommand({ Name: WRITER })))).code, "ECONNREFUSED");
        });
    });

    describe("final snapshots", () => {
        it("are creating, then available; a duplicate name is refused before anything is deleted; DescribeSnapshots lists them", async () => {
            start();
            await elastiCacheIn("eu-west-1").send(detach("eu-west-1"));
            aws.clock.advance(aws.durations.disassociate);
            const del = (id: string, snapshot: string) => elastiCacheIn("eu-west-1").send(new DeleteReplicationGroupCommand({ ReplicationGroupId: id, FinalSnapshotIdentifier: snapshot }));
            await del("prod-eu-west-1", "prod-eu-west-1-final-rejoin-1");
            const listed = async () => (await elastiCacheIn("eu-west-1").send(new DescribeSnapshotsCommand({ SnapshotSource: "user" }))).Snapshots!;
            assert.deepStrictEqual((await listed()).map((s) => [s.SnapshotName, s.ReplicationGroupId, s.SnapshotStatus]),
                [["prod-eu-west-1-final-rejoin-1", "prod-eu-west-1", "creating"]]);
            aws.clock.advance(aws.durations.finalSnapshot);
            assert.strictEqual((await listed())[0].SnapshotStatus, "available");
            assert.deepStrictEqual((await elastiCacheIn("us-west-2").send(new DescribeSnapshotsCommand({}))).Snapshots, [], "snapshots are regional");

            aws.model.addReplicationGroup({ ...aws.model.requireReplicationGroup("us-west-2", "prod-us-west-2"), id: "other", region: "eu-west-1", global: undefined, status: "available" });
            const error = await rejection(del("other", "prod-eu-west-1-final-rejoin-1"));
            assert.ok(error instanceof SnapshotAlreadyExistsFault);
            assert.strictEqual(aws.model.requireReplicationGroup("eu-west-1", "other").status, "available", "nothing deleted");
        });
    });

    describe("CloudWatch", () => {
        it("stops publishing a secondary's lag once the primary's region is down", async () => {
            start();
            aws.faults.regionDown("us-east-1");
            const outageStart = aws.clock.now();
            aws.clock.advance(10 * MINUTE);
            const out = await cloudWatchIn("us-west-2").send(new GetMetricDataCommand({
                StartTime: new Date(outageStart - 10 * MINUTE), EndTime: new Date(aws.clock.now()), ScanBy: "TimestampAscending",
                MetricDataQueries: [query("GlobalDatastoreReplicationLag", "prod-us-west-2-0001-001")],
            }));
            const stamps = out.MetricDataResults![0].Timestamps!;
            assert.strictEqual(stamps.length, 10);
            assert.ok(stamps.every((t) => t.getTime() < outageStart), "no datapoint after the outage began");
        });

        it("publishes SetTypeCmds per node while its region is up, zero unless writes were set", async () => {
            start();
            aws.setWrites("us-east-1", "prod-us-east-1", (_minute, node) => (node === "prod-us-east-1-0001-001" ? 12 : 0));
            aws.clock.advance(5 * MINUTE);
            const sum = async (node: string) => {
                const out = await cloudWatchIn("us-east-1").send(new GetMetricDataCommand({
                    StartTime: new Date(aws.clock.now() - 5 * MINUTE), EndTime: new Date(aws.clock.now()), MetricDataQueries: [query("SetTypeCmds", node, "Sum")],
                }));
                return out.MetricDataResults![0].Values!;
            };
            assert.deepStrictEqual(await sum("prod-us-east-1-0001-001"), [12, 12, 12, 12]);
            assert.deepStrictEqual(await sum("prod-us-east-1-0002-001"), [0, 0, 0, 0]);
        });

        it("refuses more than 500 queries in one request, as CloudWatch does", async () => {
            start();
            const queries = Array.from({ length: 501 }, (_, i) => query("SetTypeCmds", `n${i}`, "Sum", `q${i}`));
            const error = await rejection(cloudWatchIn("us-east-1").send(new GetMetricDataCommand({
                StartTime: new Date(aws.clock.now() - MINUTE), EndTime: new Date(aws.clock.now()), MetricDataQueries: queries,
            })));
            assert.match(error.message, /lists 501 queries; at most 500/);
        });
    });
});
