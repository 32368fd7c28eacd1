import * as assert from "assert";
import {
    CreateGlobalReplicationGroupCommand, CreateReplicationGroupCommand, DescribeEventsCommand, DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand,
    DescribeCacheClustersCommand, DisassociateGlobalReplicationGroupCommand, ElastiCacheClient, ElastiCacheServiceException,
    FailoverGlobalReplicationGroupCommand, GlobalReplicationGroupNotFoundFault, InvalidGlobalReplicationGroupStateFault,
    InvalidParameterCombinationException, InvalidParameterValueException, ReplicationGroupNotFoundFault, TestFailoverCommand,
    TestFailoverNotAvailableFault,
} from "@aws-sdk/client-elasticache";
import { CloudWatchClient, ListMetricsCommand } from "@aws-sdk/client-cloudwatch";
import { FakeAws, PROD_SEED } from "./fake";
import { cloudWatchIn, elastiCacheIn, rejection } from "./fake/clients";

const DS = "ldgnf-prod";
const ec = elastiCacheIn;
const cw = cloudWatchIn;

async function datastore(region: string) {
    const out = await ec(region).send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: DS, ShowMemberInfo: true }));
    return out.GlobalReplicationGroups![0];
}
function roles(ds: { Members?: { ReplicationGroupRegion?: string; Role?: string }[] }): Record<string, string> {
    return Object.fromEntries((ds.Members ?? []).map((m) => [m.ReplicationGroupRegion!, m.Role!]));
}
const promote = (region: string, id = `prod-${region}`) =>
    new FailoverGlobalReplicationGroupCommand({ GlobalReplicationGroupId: DS, PrimaryRegion: region, PrimaryReplicationGroupId: id });

describe("FakeAws", () => {
    let aws: FakeAws;
    beforeEach(() => {
        aws = FakeAws.seed(PROD_SEED).install();
    });
    afterEach(() => aws.restore());

    describe("describes", () => {
        it("shows the prod datastore with member info from any member region", async () => {
            const ds = await datastore("us-west-2");
            assert.strictEqual(ds.Status, "available");
            assert.strictEqual(ds.Engine, "valkey");
            assert.deepStrictEqual(roles(ds), { "us-east-1": "PRIMARY", "us-west-2": "SECONDARY", "eu-west-1": "SECONDARY" });
            assert.deepStrictEqual(ds.Members!.map((m) => [m.ReplicationGroupId, m.Status]),
                [["prod-us-east-1", "associated"], ["prod-us-west-2", "associated"], ["prod-eu-west-1", "associated"]]);
            const brief = await ec("eu-west-1").send(new DescribeGlobalReplicationGroupsCommand({}));
            assert.deepStrictEqual(brief.GlobalReplicationGroups!.map((d) => [d.GlobalReplicationGroupId, d.Members]), [[DS, undefined]]);
        });

        it("tells concurrent calls to different regions apart", async () => {
            const regions = ["eu-west-1", "us-east-1", "us-west-2"];
            const answers = await Promise.all(regions.map((r) => ec(r).send(new DescribeReplicationGroupsCommand({}))));
            assert.deepStrictEqual(answers.map((a) => a.ReplicationGroups!.map((rg) => rg.ReplicationGroupId)), [["prod-eu-west-1"], ["prod-us-east-1"], ["prod-us-west-2"]]);
            assert.deepStrictEqual(aws.log.calls().map((c) => c.region), regions);
        });

        it("answers GlobalReplicationGroupNotFoundFault for an unknown id and in a non-member region", async () => {
            const unknown = await rejection(ec("us-east-1").send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: "ldgnf-nope" })));
            assert.ok(unknown instanceof GlobalReplicationGroupNotFoundFault);
            const elsewhere = await rejection(ec("ap-southeast-2").send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: DS })));
            assert.strictEqual(elsewhere.name, "GlobalReplicationGroupNotFoundFault");
            assert.strictEqual(elsewhere.$metadata.httpStatusCode, 400);
        });

        it("lists only the calling region's replication groups, shaped like the SDK's ReplicationGroup", async () => {
            const out = await ec("eu-west-1").send(new DescribeReplicationGroupsCommand({}));
            assert.deepStrictEqual(out.ReplicationGroups!.map((rg) => rg.ReplicationGroupId), ["prod-eu-west-1"]);
            const rg = out.ReplicationGroups![0];
            assert.deepStrictEqual(rg.GlobalReplicationGroupInfo, { GlobalReplicationGroupId: DS, GlobalReplicationGroupMemberRole: "SECONDARY" });
            assert.deepStrictEqual([rg.Status, rg.ClusterEnabled, rg.MultiAZ, rg.CacheNodeType], ["available", true, "enabled", "cache.r7g.xlarge"]);
            assert.deepStrictEqual(rg.NodeGroups!.map((g) => g.NodeGroupId), ["0001", "0002", "0003"]);
            const shard = rg.NodeGroups![0].NodeGroupMembers!;
            assert.deepStrictEqual(shard.map((m) => m.CacheClusterId), ["prod-eu-west-1-0001-001", "prod-eu-west-1-0001-002", "prod-eu-west-1-0001-003"]);
            assert.strictEqual(new Set(shard.map((m) => m.PreferredAvailabilityZone)).size, 3, "a shard spreads over three AZs");
            const other = await rejection(ec("eu-west-1").send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: "prod-us-east-1" })));
            assert.ok(other instanceof ReplicationGroupNotFoundFault);
            assert.match(other.message, /prod-us-east-1.*eu-west-1/);
        });
    });

    describe("FailoverGlobalReplicationGroup", () => {
        it("goes modifying, then available with roles swapped once the configured duration has passed", async () => {
            const started = Date.now();
            const t0 = aws.clock.now();
            const answer = await ec("us-west-2").send(promote("us-west-2"));
            assert.strictEqual(answer.GlobalReplicationGroup!.Status, "modifying");
            const seen: [number, string][] = [];
            for (;;) {
                const ds = await datastore("us-west-2");
                seen.push([aws.clock.now() - t0, ds.Status!]);
                if (ds.Status === "available") {
                    assert.deepStrictEqual(roles(ds), { "us-east-1": "SECONDARY", "us-west-2": "PRIMARY", "eu-west-1": "SECONDARY" });
                    break;
                }
                await aws.clock.sleep(15_000);
            }
            assert.deepStrictEqual(seen, [[0, "modifying"], [15_000, "modifying"], [30_000, "modifying"], [45_000, "modifying"], [60_000, "available"]]);
            assert.ok(Date.now() - started < 1_000, "a minute of virtual time must run in well under a second");
            const rg = await ec("us-east-1").send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: "prod-us-east-1" }));
            assert.strictEqual(rg.ReplicationGroups![0].GlobalReplicationGroupInfo!.GlobalReplicationGroupMemberRole, "SECONDARY");
        });

        it("honours a configured duration", async () => {
            const slow = FakeAws.seed(PROD_SEED, { durations: { failover: 5 * 60_000 } }).install();
            try {
                await ec("us-west-2").send(promote("us-west-2"));
                slow.clock.advance(4 * 60_000);
                assert.strictEqual((await datastore("us-east-1")).Status, "modifying");
                slow.clock.advance(60_000);
                assert.strictEqual((await datastore("us-east-1")).Status, "available");
            } finally {
                slow.restore();
            }
        });

        it("rejects naming the primary, a wrong region, or an unknown group with InvalidParameterValue", async () => {
            const primary = await rejection(ec("us-east-1").send(promote("us-east-1")));
            assert.ok(primary instanceof InvalidParameterValueException);
            assert.match(primary.message, /already the primary/);
            const wrongRegion = await rejection(ec("us-east-1").send(promote("eu-west-1", "prod-us-west-2")));
            assert.ok(wrongRegion instanceof InvalidParameterValueException);
            assert.match(wrongRegion.message, /PrimaryRegion "eu-west-1".*us-west-2/);
            const unknown = await rejection(ec("us-east-1").send(promote("us-west-2", "staging-us-west-2")));
            assert.match(unknown.message, /staging-us-west-2.*not a member/);
            assert.strictEqual((await datastore("us-east-1")).Status, "available", "a rejected call changes nothing");
        });

        it("rejects a second failover while the first runs with InvalidGlobalReplicationGroupStateFault", async () => {
            await ec("us-west-2").send(promote("us-west-2"));
            const second = await rejection(ec("eu-west-1").send(promote("eu-west-1")));
            assert.ok(second instanceof InvalidGlobalReplicationGroupStateFault);
            assert.match(second.message, /modifying/);
        });

        it("rejects while someone else modifies the datastore, and accepts once they are done", async () => {
            const t0 = aws.clock.now();
            aws.modifyOutOfBand(t0 + 30_000, 120_000);
            aws.clock.advance(45_000);
            assert.ok((await rejection(ec("us-west-2").send(promote("us-west-2")))) instanceof InvalidGlobalReplicationGroupStateFault);
            aws.clock.advance(120_000);
            assert.strictEqual((await ec("us-west-2").send(promote("us-west-2"))).GlobalReplicationGroup!.Status, "modifying");
        });

        it("records events in every member region", async () => {
            await ec("us-west-2").send(promote("us-west-2"));
            aws.clock.advance(60_000);
            const events = await ec("eu-west-1").send(new DescribeEventsCommand({ SourceType: "replication-group", SourceIdentifier: "prod-eu-west-1" }));
            assert.deepStrictEqual(events.Events!.map((e) => /completed/.test(e.Message!)), [true, false], "newest first: completed, then started");
            assert.strictEqual(events.Events![0].Date!.getTime() - events.Events![1].Date!.getTime(), 60_000);
        });

        it("never finishes when the operation is stuck", async () => {
            aws.faults.neverFinish("FailoverGlobalReplicationGroup");
            await ec("us-west-2").send(promote("us-west-2"));
            aws.clock.advance(60 * 60_000);
            const ds = await datastore("us-west-2");
            assert.deepStrictEqual([ds.Status, roles(ds)["us-west-2"]], ["modifying", "SECONDARY"]);
        });

        it("shows a promotion made by hand, without any call of ours", async () => {
            aws.promoteByHand("eu-west-1");
            assert.deepStrictEqual(roles(await datastore("us-east-1")), { "us-east-1": "SECONDARY", "us-west-2": "SECONDARY", "eu-west-1": "PRIMARY" });
            assert.deepStrictEqual(aws.mutatingCalls(), []);
        });
    });

    describe("DisassociateGlobalReplicationGroup", () => {
        const disassociate = (region: string, id = `prod-${region}`) =>
            new DisassociateGlobalReplicationGroupCommand({ GlobalReplicationGroupId: DS, ReplicationGroupId: id, ReplicationGroupRegion: region });

        it("detaches a secondary after the configured duration; it becomes standalone", async () => {
            await ec("eu-west-1").send(disassociate("eu-west-1"));
            const during = await datastore("us-east-1");
            assert.deepStrictEqual([during.Status, during.Members!.find((m) => m.ReplicationGroupRegion === "eu-west-1")!.Status], ["modifying", "disassociating"]);
            aws.clock.advance(aws.durations.disassociate);
            const after = await datastore("us-east-1");
            assert.deepStrictEqual([after.Status, Object.keys(roles(after))], ["available", ["us-east-1", "us-west-2"]]);
            const rg = (await ec("eu-west-1").send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: "prod-eu-west-1" }))).ReplicationGroups![0];
            assert.deepStrictEqual([rg.Status, rg.GlobalReplicationGroupInfo], ["available", undefined]);
            assert.ok((await rejection(datastore("eu-west-1"))) instanceof GlobalReplicationGroupNotFoundFault, "the datastore is no longer visible there");
        });

        it("refuses to disassociate the primary", async () => {
            const error = await rejection(ec("us-east-1").send(disassociate("us-east-1")));
            assert.ok(error instanceof InvalidParameterValueException);
            assert.match(error.message, /is the primary/);
        });

        it("works from the secondary's region while the primary region does not answer", async () => {
            aws.faults.regionDown("us-east-1", { mode: "refused" });
            const dead = await rejection(datastore("us-east-1"));
            assert.strictEqual(dead.code, "ECONNREFUSED");
            await ec("us-west-2").send(disassociate("us-west-2"));
            aws.clock.advance(aws.durations.disassociate);
            const rg = (await ec("us-west-2").send(new DescribeReplicationGroupsCommand({}))).ReplicationGroups![0];
            assert.strictEqual(rg.GlobalReplicationGroupInfo, undefined);
        });

        it("leaves a promotion hanging while the old primary's region is down", async () => {
            aws.faults.regionDown("us-east-1");
            await ec("us-west-2").send(promote("us-west-2"));
            aws.clock.advance(30 * 60_000);
            assert.strictEqual((await datastore("us-west-2")).Status, "modifying");
        });
    });

    describe("CreateReplicationGroup joining the datastore", () => {
        it("creates, then associates a new secondary after the configured duration", async () => {
            await ec("eu-west-1").send(new DisassociateGlobalReplicationGroupCommand({ GlobalReplicationGroupId: DS, ReplicationGroupId: "prod-eu-west-1", ReplicationGroupRegion: "eu-west-1" }));
            aws.clock.advance(aws.durations.disassociate);
            const created = await ec("eu-west-1").send(new CreateReplicationGroupCommand({
                ReplicationGroupId: "prod-eu-west-1-b", ReplicationGroupDescription: "rejoin", GlobalReplicationGroupId: DS, ReplicasPerNodeGroup: 1,
            }));
            assert.strictEqual(created.ReplicationGroup!.Status, "creating");
            assert.strictEqual((await datastore("eu-west-1")).Members!.find((m) => m.ReplicationGroupRegion === "eu-west-1")!.Status, "associating");
            aws.clock.advance(aws.durations.joinSecondary);
            const ds = await datastore("eu-west-1");
            assert.deepStrictEqual(ds.Members!.find((m) => m.ReplicationGroupRegion === "eu-west-1"), {
                ReplicationGroupId: "prod-eu-west-1-b", ReplicationGroupRegion: "eu-west-1", Role: "SECONDARY", Status: "associated", AutomaticFailover: "enabled",
            });
            const rg = (await ec("eu-west-1").send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: "prod-eu-west-1-b" }))).ReplicationGroups![0];
            assert.deepStrictEqual([rg.Status, rg.NodeGroups!.length, rg.NodeGroups![0].NodeGroupMembers!.length], ["available", 3, 2]);
        });

        it("lets a disassociated group found a new datastore, prefixed with its region's code", async () => {
            await ec("eu-west-1").send(new DisassociateGlobalReplicationGroupCommand({ GlobalReplicationGroupId: DS, ReplicationGroupId: "prod-eu-west-1", ReplicationGroupRegion: "eu-west-1" }));
            aws.clock.advance(aws.durations.disassociate);
            const created = await ec("eu-west-1").send(new CreateGlobalReplicationGroupCommand({ GlobalReplicationGroupIdSuffix: "prod-b", PrimaryReplicationGroupId: "prod-eu-west-1" }));
            assert.deepStrictEqual([created.GlobalReplicationGroup!.GlobalReplicationGroupId, created.GlobalReplicationGroup!.Status], ["gxeiz-prod-b", "creating"]);
            aws.clock.advance(aws.durations.createDatastore);
            const out = await ec("eu-west-1").send(new DescribeGlobalReplicationGroupsCommand({ GlobalReplicationGroupId: "gxeiz-prod-b", ShowMemberInfo: true }));
            assert.deepStrictEqual([out.GlobalReplicationGroups![0].Status, roles(out.GlobalReplicationGroups![0])], ["primary-only", { "eu-west-1": "PRIMARY" }]);
            const again = await rejection(ec("us-west-2").send(new CreateGlobalReplicationGroupCommand({ GlobalReplicationGroupIdSuffix: "x", PrimaryReplicationGroupId: "prod-us-west-2" })));
            assert.match(again.message, /already belongs to Global Datastore ldgnf-prod/);
        });

        it("rejects settings the datastore owns with InvalidParameterCombination, naming them", async () => {
            const error = await rejection(ec("ap-southeast-2").send(new CreateReplicationGroupCommand({
                ReplicationGroupId: "prod-ap-southeast-2", ReplicationGroupDescription: "x", GlobalReplicationGroupId: DS, Engine: "valkey", CacheNodeType: "cache.r7g.large",
            })));
            assert.ok(error instanceof InvalidParameterCombinationException);
            assert.match(error.message, /Engine, CacheNodeType/);
        });
    });

    describe("faults", () => {
        it("throttles a command n times, then lets it through", async () => {
            aws.faults.throttle({ command: "DescribeGlobalReplicationGroups", times: 2 });
            const first = await rejection(datastore("us-east-1"));
            assert.ok(first instanceof ElastiCacheServiceException);
            assert.deepStrictEqual([first.name, first.$metadata.httpStatusCode], ["Throttling", 400]);
            await rejection(datastore("us-east-1"));
            assert.strictEqual((await datastore("us-east-1")).Status, "available");
            await ec("us-east-1").send(new DescribeReplicationGroupsCommand({}));
        });

        it("throttles at a steady rate with everyNth, only where it matches", async () => {
            aws.faults.throttle({ region: "us-west-2", everyNth: 3 });
            const outcomes: string[] = [];
            for (let i = 0; i < 6; i++) {
                outcomes.push(await datastore("us-west-2").then(() => "ok", (e: Error) => e.name));
            }
            assert.deepStrictEqual(outcomes, ["ok", "ok", "Throttling", "ok", "ok", "Throttling"]);
            assert.strictEqual((await datastore("eu-west-1")).Status, "available");
        });

        it("answers 5xx as ServiceUnavailable with HTTP 503", async () => {
            aws.faults.serverError({ service: "elasticache", times: 1 });
            const error = await rejection(datastore("us-east-1"));
            assert.deepStrictEqual([error.name, error.$metadata.httpStatusCode, error.$fault], ["ServiceUnavailable", 503, "server"]);
        });

        it("makes a dead region time out after virtual seconds, for CloudWatch too", async () => {
            aws.faults.regionDown("us-east-1", { timeoutMs: 20_000 });
            const t0 = aws.clock.now();
            const error = await rejection(datastore("us-east-1"));
            assert.deepStrictEqual([error.name, aws.clock.now() - t0], ["TimeoutError", 20_000]);
            const metrics = await rejection(cw("us-east-1").send(new ListMetricsCommand({})));
            assert.strictEqual(metrics.name, "TimeoutError");
            aws.faults.regionUp("us-east-1");
            assert.strictEqual((await datastore("us-east-1")).Status, "available");
        });
    });

    describe("call log", () => {
        it("records region, command, input, virtual time and whether the call mutates", async () => {
            await datastore("us-west-2");
            aws.clock.advance(5_000);
            await ec("us-west-2").send(promote("us-west-2"));
            await rejection(ec("us-west-2").send(promote("eu-west-1")));
            const calls = aws.log.calls().map((c) => [c.region, c.command, c.at - aws.clock.now(), c.mutating, c.outcome]);
            assert.deepStrictEqual(calls, [
                ["us-west-2", "DescribeGlobalReplicationGroups", -5_000, false, "ok"],
                ["us-west-2", "FailoverGlobalReplicationGroup", 0, true, "ok"],
                ["us-west-2", "FailoverGlobalReplicationGroup", 0, true, "InvalidGlobalReplicationGroupStateFault"],
            ]);
            assert.deepStrictEqual(aws.mutatingCalls()[0].input, { GlobalReplicationGroupId: DS, PrimaryRegion: "us-west-2", PrimaryReplicationGroupId: "prod-us-west-2" });
        });

        it("has no mutating call after reads only, and reset() forgets calls", async () => {
            await datastore("us-east-1");
            await ec("us-east-1").send(new DescribeEventsCommand({}));
            await cw("us-west-2").send(new ListMetricsCommand({}));
            assert.deepStrictEqual([aws.log.calls().length, aws.mutatingCalls().length], [3, 0]);
            aws.reset();
            assert.strictEqual(aws.log.calls().length, 0);
        });

        it("names a command it does not answer", async () => {
            const error = await rejection(ec("us-east-1").send(new DescribeCacheClustersCommand({})));
            assert.match(error.message, /does not answer DescribeCacheClustersCommand/);
        });

        it("restore() puts the real send back", () => {
            aws.restore();
            assert.strictEqual((ElastiCacheClient.prototype.send as unknown as { restore?: unknown }).restore, undefined);
            assert.strictEqual((CloudWatchClient.prototype.send as unknown as { restore?: unknown }).restore, undefined);
        });
    });

    describe("TestFailover", () => {
        const testFailover = (shard: string, rg = "prod-us-east-1") => ec("us-east-1").send(new TestFailoverCommand({ ReplicationGroupId: rg, NodeGroupId: shard }));

        it("emits the documented events in order, with timings, and swaps the shard's primary", async () => {
            const t0 = aws.clock.now();
            await testFailover("0002");
            aws.clock.advance(aws.durations.testFailoverRecovered);
            const out = await ec("us-east-1").send(new DescribeEventsCommand({ StartTime: new Date(t0) }));
            const timeline = out.Events!.reverse().map((e) => [(e.Date!.getTime() - t0) / 1000, e.SourceType, e.SourceIdentifier, e.Message]);
            // The short form a real TestFailover of a cluster-mode group emits (usePromotionEventForm gives the long one).
            assert.deepStrictEqual(timeline, [
                [0, "replication-group", "prod-us-east-1", "Test Failover API called for node group 0002"],
                [20, "replication-group", "prod-us-east-1", "Failover to replica node prod-us-east-1-0002-002 completed"],
                [60, "cache-cluster", "prod-us-east-1-0002-001", "Recovering cache nodes 0001"],
                [480, "cache-cluster", "prod-us-east-1-0002-001", "Finished recovery for cache nodes 0001"],
            ]);
            const node = aws.model.requireReplicationGroup("us-east-1", "prod-us-east-1").nodeGroups[1].nodes;
            assert.deepStrictEqual(node.map((n) => n.role), ["replica", "primary", "replica"]);
        });

        it("allows one node replacement at a time per replication group", async () => {
            await testFailover("0001");
            aws.clock.advance(aws.durations.testFailoverRecovered - 1_000);
            const busy = await rejection(testFailover("0002"));
            assert.ok(busy instanceof TestFailoverNotAvailableFault);
            await ec("us-west-2").send(new TestFailoverCommand({ ReplicationGroupId: "prod-us-west-2", NodeGroupId: "0001" }));
            aws.clock.advance(1_000);
            await testFailover("0002");
        });

        it("enforces 15 node groups per rolling 24 hours", async () => {
            const t0 = aws.clock.now();
            for (let i = 0; i < 15; i++) {
                await testFailover(["0001", "0002", "0003"][i % 3]);
                aws.clock.advance(aws.durations.testFailoverRecovered);
            }
            const over = await rejection(testFailover("0001"));
            assert.ok(over instanceof TestFailoverNotAvailableFault);
            assert.match(over.message, /15 node groups in the last 24 hours/);
            aws.clock.advance(t0 + 24 * 3_600_000 - aws.clock.now() + 1);
            await testFailover("0001");
        });

        it("rejects an unknown node group, naming the ones that exist", async () => {
            const error = await rejection(testFailover("0009"));
            assert.strictEqual(error.name, "NodeGroupNotFoundFault");
            assert.match(error.message, /0001, 0002, 0003/);
        });
    });
});
