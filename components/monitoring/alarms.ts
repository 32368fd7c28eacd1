import { AlarmThresholds } from "../config";

/** One kind of alarm, evaluated per shard as the maximum over the shard's nodes. */
export interface AlarmSpec {
    /** Stable short name, part of the alarm name. */
    key: string;
    metricName: string;
    /** Statistic of each node's metric before the maximum across nodes is taken. */
    stat: "Maximum" | "Sum" | "Average";
    threshold: (t: AlarmThresholds) => number;
    unit: string;
    /**
     * Only some nodes emit replication metrics (replicas, or a secondary's shard primaries) and which
     * ones changes with every failover, so no data there is healthy, not a failure.
     */
    treatMissingData: "missing" | "notBreaching";
}

export const ALARM_SPECS: readonly AlarmSpec[] = [
    { key: "cpu", metricName: "EngineCPUUtilization", stat: "Maximum", threshold: (t) => t.cpuPercent, unit: "%", treatMissingData: "missing" },
    { key: "memory", metricName: "DatabaseMemoryUsagePercentage", stat: "Maximum", threshold: (t) => t.memoryPercent, unit: "%", treatMissingData: "missing" },
    { key: "replication-lag", metricName: "ReplicationLag", stat: "Maximum", threshold: (t) => t.replicationLagSeconds, unit: "s", treatMissingData: "notBreaching" },
    { key: "evictions", metricName: "Evictions", stat: "Sum", threshold: (t) => t.evictions, unit: " keys", treatMissingData: "missing" },
    { key: "connections", metricName: "CurrConnections", stat: "Maximum", threshold: (t) => t.connections, unit: " connections", treatMissingData: "missing" },
    { key: "network-in-allowance", metricName: "NetworkBandwidthInAllowanceExceeded", stat: "Sum", threshold: (t) => t.networkAllowanceExceeded, unit: " packets", treatMissingData: "missing" },
    { key: "network-out-allowance", metricName: "NetworkBandwidthOutAllowanceExceeded", stat: "Sum", threshold: (t) => t.networkAllowanceExceeded, unit: " packets", treatMissingData: "missing" },
    // In every member region, primary included: only a secondary emits the metric, so the primary's
    // alarm stays OK (notBreaching) until a promotion makes it a secondary. A promotion during an
    // outage moves no alarm, and the policy pack, which can only take the datastore's founder for the
    // primary, finds the alarms wherever the primary is.
    {
        key: "global-replication-lag", metricName: "GlobalDatastoreReplicationLag", stat: "Maximum",
        threshold: (t) => t.globalReplicationLagSeconds, unit: "s", treatMissingData: "notBreaching",
    },
];

/** Metrics the dashboard shows per region, beyond the alarmed ones. */
export const DASHBOARD_METRICS = [
    "EngineCPUUtilization", "DatabaseMemoryUsagePercentage", "CurrConnections", "NetworkBytesIn", "NetworkBytesOut",
    "Evictions", "ReplicationLag", "GlobalDatastoreReplicationLag", "CacheHitRate", "CurrItems",
];
