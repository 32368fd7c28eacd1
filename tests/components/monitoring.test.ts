import * as assert from "node:assert/strict";
import { ProgramRun } from "../../offline/run";
import { ALARM_SPECS } from "../../components/monitoring";
import { shardAlarmKind } from "../../components/naming";
import { T, inRegion, ofType, only, runWith } from "../helpers/program";

const KINDS = ALARM_SPECS.map((s) => s.key);

function kindOf(name: unknown): string {
    return shardAlarmKind(String(name));
}

describe("RegionMonitoring: alarms and dashboards", () => {
    let prod: ProgramRun;
    before(async () => {
        prod = await runWith();
    });

    it("alarms on CPU, memory, replication lag, evictions, connections and network in every region, per shard", () => {
        assert.deepEqual(KINDS, ["cpu", "memory", "replication-lag", "evictions", "connections", "network-in-allowance", "network-out-allowance", "global-replication-lag"]);
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const alarms = inRegion(prod, T.alarm, region);
            for (const shard of ["0001", "0002", "0003"]) {
                const kinds = alarms.filter((a) => String(a.inputs.name).includes(`-${shard}-`)).map((a) => kindOf(a.inputs.name));
                for (const kind of KINDS) {
                    assert.ok(kinds.includes(kind), `${region} shard ${shard} lacks a ${kind} alarm`);
                }
            }
        }
    });

    it("alarms on Global Datastore replication lag in every member region, the primary's quiet until a promotion makes it a secondary", () => {
        const lag = (region: string) => inRegion(prod, T.alarm, region).filter((a) => kindOf(a.inputs.name) === "global-replication-lag");
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(lag(region).length, 3, `${region}: one per shard`);
            const alarm = lag(region)[0];
            assert.equal(alarm.inputs.threshold, 15, "from the stack's alarms.globalReplicationLagSeconds");
            assert.equal(alarm.inputs.treatMissingData, "notBreaching");
        }
    });

    it("takes the maximum over every node of the shard and wires each alarm to its region's alarm topic", () => {
        for (const region of ["us-east-1", "us-west-2"]) {
            const topic = only(inRegion(prod, T.topic, region).filter((t) => t.inputs.name === "test-elasticache-alarms"), "alarm topic");
            for (const alarm of inRegion(prod, T.alarm, region)) {
                assert.deepEqual(alarm.inputs.alarmActions, [topic.state.arn]);
                assert.deepEqual(alarm.inputs.okActions, [topic.state.arn]);
            }
        }
        const cpu = inRegion(prod, T.alarm, "us-east-1").find((a) => a.inputs.name === "test-us-east-1-0002-cpu")!;
        const queries = cpu.inputs.metricQueries as any[];
        const nodes = queries.filter((q) => q.metric).map((q) => q.metric.dimensions.CacheClusterId);
        assert.deepEqual(nodes, ["test-us-east-1-0002-001", "test-us-east-1-0002-002", "test-us-east-1-0002-003"]);
        assert.equal(queries.find((q) => q.returnData).expression, "MAX([m1,m2,m3])");
        assert.equal(cpu.inputs.threshold, 75);
        assert.equal(cpu.inputs.comparisonOperator, "GreaterThanThreshold");
    });

    it("takes thresholds from config and defaults for the rest", async () => {
        const run = await runWith({ alarms: { memoryPercent: 65, evaluationPeriods: 3 } });
        const alarms = inRegion(run, T.alarm, "us-east-1");
        assert.equal(alarms.find((a) => kindOf(a.inputs.name) === "memory")!.inputs.threshold, 65);
        assert.equal(alarms.find((a) => kindOf(a.inputs.name) === "cpu")!.inputs.threshold, 80, "default");
        assert.ok(alarms.every((a) => a.inputs.evaluationPeriods === 3));
    });

    it("scales with the topology: shards x kinds per region", async () => {
        const run = await runWith({ shards: 5, replicasPerShard: 1 });
        assert.equal(inRegion(run, T.alarm, "us-east-1").length, 5 * KINDS.length);
        assert.equal(inRegion(run, T.alarm, "us-west-2").length, 5 * KINDS.length);
        const any = inRegion(run, T.alarm, "us-west-2")[0];
        assert.equal((any.inputs.metricQueries as any[]).filter((q) => q.metric).length, 2, "primary + 1 replica");
    });

    it("builds one dashboard per region over that region's member", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const dashboard = only(inRegion(prod, T.dashboard, region), "dashboard");
            const body = JSON.parse(String(dashboard.inputs.dashboardBody));
            assert.ok(body.widgets.length >= 8);
            assert.ok(body.widgets.every((w: any) => w.properties.region === region));
            const expressions = body.widgets.map((w: any) => w.properties.metrics[0][0].expression as string);
            // Partial match on the group id, so each node (<rg>-<shard>-<node>) is found.
            assert.ok(expressions.every((e: string) => e.includes(` CacheClusterId=test-${region}'`)), expressions[0]);
        }
        assert.equal(ofType(prod, T.dashboard).length, 3);
    });
});
