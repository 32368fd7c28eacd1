/**
 * How many keys the restored cluster should hold: what the source cluster held when the snapshot was
 * taken, from CloudWatch CurrItems of each shard's nodes at the minute of its node snapshot. The
 * snapshot itself records sizes, not key counts.
 */
import { GetMetricDataCommand, MetricDataQuery } from "@aws-sdk/client-cloudwatch";
import { memberClusterId } from "../../../components/naming";
import { RegionClients } from "../clients";
import { callAws } from "../errors";

export interface ExpectedKeys {
    /** Keys in the whole source cluster at snapshot time; undefined when CloudWatch has no datapoint for some shard. */
    total?: number;
    perShard: { shard: string; at: number; keys?: number }[];
    source: string;
}

const MINUTE = 60_000;

/**
 * `nodeSnapshots`: the chosen snapshot's node groups with their creation times. Each shard's count is
 * the maximum over its nodes in the minute around its node snapshot (a replica that lags holds fewer).
 */
export async function expectedKeysAtSnapshot(clients: RegionClients, region: string, sourceGroupId: string, nodesPerShard: number,
    nodeSnapshots: readonly { nodeGroupId: string; createdAt: number }[]): Promise<ExpectedKeys> {
    const queries: MetricDataQuery[] = [];
    const ids = new Map<string, string>();
    nodeSnapshots.forEach((ns) => {
        for (let node = 1; node <= nodesPerShard; node++) {
            const id = `s${ns.nodeGroupId}n${node}`;
            ids.set(id, ns.nodeGroupId);
            queries.push({
                Id: id, ReturnData: true,
                MetricStat: {
                    Metric: { Namespace: "AWS/ElastiCache", MetricName: "CurrItems", Dimensions: [{ Name: "CacheClusterId", Value: memberClusterId(sourceGroupId, Number(ns.nodeGroupId), node) }] },
                    Period: 60, Stat: "Maximum",
                },
            });
        }
    });
    const start = Math.min(...nodeSnapshots.map((n) => n.createdAt)) - MINUTE;
    const end = Math.max(...nodeSnapshots.map((n) => n.createdAt)) + MINUTE;
    const answer = await callAws({ region, service: "cloudwatch", operation: "GetMetricData" },
        () => clients.cloudWatch(region).send(new GetMetricDataCommand({ MetricDataQueries: queries, StartTime: new Date(Math.floor(start / MINUTE) * MINUTE), EndTime: new Date(Math.ceil(end / MINUTE) * MINUTE) })));
    const perShard = nodeSnapshots.map((ns) => {
        const values = (answer.MetricDataResults ?? []).filter((r) => ids.get(r.Id ?? "") === ns.nodeGroupId).flatMap((r) =>
            (r.Timestamps ?? []).map((t, i) => ({ at: new Date(t).getTime(), value: r.Values?.[i] ?? 0 })))
            .filter((p) => Math.abs(p.at - ns.createdAt) <= MINUTE);
        return { shard: ns.nodeGroupId, at: ns.createdAt, keys: values.length ? Math.max(...values.map((v) => v.value)) : undefined };
    });
    const complete = perShard.every((s) => s.keys !== undefined);
    return {
        total: complete ? perShard.reduce((sum, s) => sum + (s.keys ?? 0), 0) : undefined,
        perShard,
        source: `CloudWatch CurrItems of ${sourceGroupId}'s nodes, maximum per shard in the minute of each node snapshot`,
    };
}
