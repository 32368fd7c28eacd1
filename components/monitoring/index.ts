import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AlarmThresholds } from "../config";
import { NamingInput, dashboardName, memberClusterId, replicationGroupId, shardAlarmName, shardId } from "../naming";
import { ALARM_SPECS, AlarmSpec, DASHBOARD_METRICS } from "./alarms";

export { ALARM_SPECS } from "./alarms";

export interface RegionMonitoringArgs {
    region: string;
    naming: NamingInput;
    shards: number;
    /** Nodes in each shard: the primary plus its replicas. */
    nodesPerShard: number;
    thresholds: AlarmThresholds;
    /** Topic that receives every alarm and recovery (the region's encrypted alarm topic). */
    alarmTopicArn: pulumi.Input<string>;
    tags?: Record<string, string>;
}

/**
 * CloudWatch alarms and a dashboard for one region's member. Alarms are per shard: the maximum of the
 * metric over the shard's nodes, so one alarm names the shard that is in trouble whichever node is
 * its primary after a failover.
 */
export class RegionMonitoring extends pulumi.ComponentResource {
    readonly alarmNames: pulumi.Output<string>[];
    readonly dashboardName: string;

    constructor(name: string, args: RegionMonitoringArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elasticache-global:index:RegionMonitoring", name, {}, opts);
        const rgId = replicationGroupId(args.naming, args.region);
        this.alarmNames = [];
        for (let shard = 1; shard <= args.shards; shard++) {
            for (const spec of ALARM_SPECS) {
                this.alarmNames.push(this.shardAlarm(name, args, rgId, shard, spec).name);
            }
        }
        this.dashboardName = dashboardName(args.naming, args.region);
        new aws.cloudwatch.Dashboard(`${name}-dashboard`, {
            region: args.region,
            dashboardName: this.dashboardName,
            dashboardBody: JSON.stringify(dashboardBody(args.region, rgId)),
        }, { parent: this });
        this.registerOutputs({ alarmNames: this.alarmNames, dashboardName: this.dashboardName });
    }

    private shardAlarm(name: string, args: RegionMonitoringArgs, rgId: string, shard: number, spec: AlarmSpec): aws.cloudwatch.MetricAlarm {
        const threshold = spec.threshold(args.thresholds);
        const nodes = Array.from({ length: args.nodesPerShard }, (_, i) => memberClusterId(rgId, shard, i + 1));
        return new aws.cloudwatch.MetricAlarm(`${name}-${shardId(shard)}-${spec.key}`, {
            region: args.region,
            name: shardAlarmName(rgId, shard, spec.key),
            alarmDescription: `${spec.metricName} of shard ${shardId(shard)} of ${rgId} (maximum over its ${nodes.length} nodes) ` +
                `is above ${threshold}${spec.unit}. See RUNBOOK.md.`,
            comparisonOperator: "GreaterThanThreshold",
            threshold,
            evaluationPeriods: args.thresholds.evaluationPeriods,
            datapointsToAlarm: args.thresholds.evaluationPeriods,
            treatMissingData: spec.treatMissingData,
            metricQueries: [
                ...nodes.map((node, i) => ({
                    id: `m${i + 1}`,
                    returnData: false,
                    metric: {
                        namespace: "AWS/ElastiCache",
                        metricName: spec.metricName,
                        dimensions: { CacheClusterId: node },
                        period: args.thresholds.periodSeconds,
                        stat: spec.stat,
                    },
                })),
                {
                    id: "shard",
                    label: `${spec.metricName} max over shard ${shardId(shard)}`,
                    expression: `MAX([${nodes.map((_, i) => `m${i + 1}`).join(",")}])`,
                    returnData: true,
                },
            ],
            alarmActions: [args.alarmTopicArn],
            okActions: [args.alarmTopicArn],
            tags: args.tags,
        }, { parent: this });
    }
}

function dashboardBody(region: string, rgId: string) {
    return {
        widgets: DASHBOARD_METRICS.map((metric, i) => ({
            type: "metric",
            x: (i % 2) * 12,
            y: Math.floor(i / 2) * 6,
            width: 12,
            height: 6,
            properties: {
                title: `${metric} — ${rgId}`,
                region,
                view: "timeSeries",
                stat: "Maximum",
                period: 60,
                // Unquoted: a partial match, so every node "<rg>-<shard>-<node>" of the group shows up
                // (a quoted value would match the replication group id exactly, which no node has).
                metrics: [[{ expression: `SEARCH('{AWS/ElastiCache,CacheClusterId} MetricName="${metric}" CacheClusterId=${rgId}', 'Maximum', 60)`, id: `e${i}` }]],
            },
        })),
    };
}
