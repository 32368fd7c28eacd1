import * as assert from "node:assert/strict";
import { GetMetricDataCommand, GetMetricDataCommandOutput } from "@aws-sdk/client-cloudwatch";
import { LAG_STALE_AFTER_MS, describeLag, judgeLag, lagFromMetricData, lagQueryInput, lagQueryInputs, readReplicationLag } from "../../../recovery/lib/lag";

const NOW = Date.UTC(2025, 0, 15, 10, 0, 0);
const at = (minutesAgo: number) => new Date(NOW - minutesAgo * 60_000);

describe("replication lag estimate", () => {
    it("asks for every node's GlobalDatastoreReplicationLag maximum over the last 5 minutes", () => {
        const input = lagQueryInput(["prod-us-west-2-0001-001", "prod-us-west-2-0001-002"], NOW);
        assert.equal(input.StartTime!.getTime(), NOW - 5 * 60_000);
        assert.equal(input.EndTime!.getTime(), NOW);
        assert.deepEqual(input.MetricDataQueries!.map((q) => q.MetricStat!.Metric!.Dimensions), [
            [{ Name: "CacheClusterId", Value: "prod-us-west-2-0001-001" }], [{ Name: "CacheClusterId", Value: "prod-us-west-2-0001-002" }],
        ]);
        assert.ok(input.MetricDataQueries!.every((q) => q.MetricStat!.Stat === "Maximum" && q.MetricStat!.Period === 60 && /^[a-z]/.test(q.Id!)));
    });

    it("batches the node queries at most 500 per request, with ids unique across requests", () => {
        const nodes = Array.from({ length: 1201 }, (_, i) => `prod-us-west-2-${String(Math.floor(i / 3) + 1).padStart(4, "0")}-00${(i % 3) + 1}`);
        const requests = lagQueryInputs(nodes, NOW);
        assert.deepEqual(requests.map((r) => r.MetricDataQueries!.length), [500, 500, 201]);
        const ids = requests.flatMap((r) => r.MetricDataQueries!.map((q) => q.Id));
        assert.equal(new Set(ids).size, 1201);
        assert.deepEqual(requests.flatMap((r) => r.MetricDataQueries!.map((q) => q.Label)), nodes);
    });

    it("reads every batch and says the lag is unknown when the metric went silent, naming the last datapoint", async () => {
        const sent: number[] = [];
        const lastAt = new Date(NOW - 7 * 60_000);
        const client = {
            send: async (command: GetMetricDataCommand): Promise<GetMetricDataCommandOutput> => {
                const input = command.input;
                sent.push(input.MetricDataQueries!.length);
                const values = input.StartTime!.getTime() <= lastAt.getTime() ? { Values: [1.5], Timestamps: [lastAt] } : { Values: [], Timestamps: [] };
                return { $metadata: {}, MetricDataResults: input.MetricDataQueries!.map((q) => ({ Id: q.Id, ...values })) };
            },
        };
        const nodes = Array.from({ length: 600 }, (_, i) => `node-${i}`);
        const estimate = await readReplicationLag(client, "prod-us-west-2", nodes, "us-west-2", NOW);
        assert.deepEqual(sent, [500, 100, 500, 100], "the 5-minute window, then the longer look back for the last value");
        assert.equal(estimate.maxSeconds, undefined);
        assert.deepEqual(estimate.silentSince, { at: lastAt.toISOString(), seconds: 1.5 });
        assert.match(describeLag(estimate), /^unknown; last datapoint at 2025-01-15T09:53:00\.000Z showed 1\.5 s, none since/);
        assert.equal(judgeLag(estimate, 5, false).proceed, false);
        assert.ok(LAG_STALE_AFTER_MS < 7 * 60_000);
    });

    /** A CloudWatch that holds `points` (minutes ago, seconds) for every node, answering any window it is asked about. */
    function cloudWatchWith(points: { minutesAgo: number; seconds: number }[]) {
        return {
            send: async (command: GetMetricDataCommand): Promise<GetMetricDataCommandOutput> => {
                const input = command.input;
                const inWindow = points.filter((p) => at(p.minutesAgo) >= input.StartTime! && at(p.minutesAgo) <= input.EndTime!);
                return { $metadata: {}, MetricDataResults: input.MetricDataQueries!.map((q) => ({
                    Id: q.Id, Values: inWindow.map((p) => p.seconds), Timestamps: inWindow.map((p) => at(p.minutesAgo)),
                })) };
            },
        };
    }

    it("a low datapoint inside the 5-minute window but older than 4 minutes is stale: the lag is unknown, not 0.2 s", async () => {
        const estimate = await readReplicationLag(cloudWatchWith([{ minutesAgo: 4.5, seconds: 0.2 }]), "prod-us-west-2", ["prod-us-west-2-0001-001"], "us-west-2", NOW);
        assert.ok(Date.parse(estimate.windowStart) < at(4.5).getTime(), "the datapoint is inside the window the estimate reads");
        assert.equal(estimate.maxSeconds, undefined);
        assert.deepEqual(estimate.silentSince, { at: at(4.5).toISOString(), seconds: 0.2 });
        assert.match(describeLag(estimate), /^unknown; last datapoint at 2025-01-15T09:55:30\.000Z showed 0\.2 s, none since/);
        const verdict = judgeLag(estimate, 5, false);
        assert.equal(verdict.proceed, false);
        assert.match(verdict.message, /refusing to promote: the data loss cannot be estimated.*--force/);
    });

    it("a live metric's newest datapoint, nearly 3 minutes old (the most the normal publication delay leaves), is current", async () => {
        const estimate = await readReplicationLag(cloudWatchWith([{ minutesAgo: 2.9, seconds: 0.3 }, { minutesAgo: 4.5, seconds: 0.9 }]),
            "prod-us-west-2", ["prod-us-west-2-0001-001"], "us-west-2", NOW);
        assert.equal(estimate.silentSince, undefined);
        assert.equal(estimate.maxSeconds, 0.9, "the worst of the window counts once the metric is live");
        assert.equal(judgeLag(estimate, 5, false).proceed, true);
    });

    it("takes the worst value over every node and page, and the newest datapoint as the latest", () => {
        const estimate = lagFromMetricData([
            { MetricDataResults: [{ Values: [0.3, 2.5], Timestamps: [at(1), at(4)] }, { Values: [], Timestamps: [] }] },
            { MetricDataResults: [{ Values: [0.9], Timestamps: [at(2)] }] },
        ], "prod-us-west-2", "us-west-2", NOW);
        assert.equal(estimate.maxSeconds, 2.5);
        assert.equal(estimate.latestSeconds, 0.3);
        assert.equal(estimate.latestAt, at(1).toISOString());
        assert.equal(estimate.datapoints, 3);
        assert.match(estimate.source, /GlobalDatastoreReplicationLag.*prod-us-west-2, in us-west-2/);
    });

    it("has no estimate when CloudWatch returned no datapoint", () => {
        const estimate = lagFromMetricData([{ MetricDataResults: [{ Values: [], Timestamps: [] }] }], "rg", "us-west-2", NOW);
        assert.equal(estimate.maxSeconds, undefined);
        assert.match(describeLag(estimate), /^unknown: no GlobalDatastoreReplicationLag datapoint/);
    });

    describe("judging it against --max-lag-seconds", () => {
        const lag = (maxSeconds: number | undefined) => ({ ...lagFromMetricData([], "rg", "us-west-2", NOW), maxSeconds, latestSeconds: maxSeconds });

        it("proceeds at or below the limit", () => {
            assert.deepEqual({ ...judgeLag(lag(5), 5, false), message: "" }, { proceed: true, forced: false, message: "" });
        });

        it("refuses above the limit, naming the lag, the limit and how to proceed", () => {
            const verdict = judgeLag(lag(7.5), 5, false);
            assert.equal(verdict.proceed, false);
            assert.match(verdict.message, /replication lag 7\.5 s is above --max-lag-seconds 5.*--force/);
        });

        it("refuses an unknown lag, since a silent metric may be a broken link", () => {
            const verdict = judgeLag(lag(undefined), 5, false);
            assert.equal(verdict.proceed, false);
            assert.match(verdict.message, /the data loss cannot be estimated/);
        });

        it("--force proceeds and says so", () => {
            const verdict = judgeLag(lag(60), 5, true);
            assert.ok(verdict.proceed && verdict.forced);
            assert.match(verdict.message, /proceeding because of --force/);
        });
    });
});
