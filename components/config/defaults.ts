import { AlarmThresholds, CacheUser } from "./types";

/** Defaults for every optional key, in one place. The README and keys.ts repeat them for readers. */
export const DEFAULTS = {
    engine: "valkey",
    nodeType: "cache.r7g.large",
    shards: 3,
    replicasPerShard: 2,
    backupRetentionDays: 7,
    port: 6379,
    snapshotWindow: "03:00-05:00",
    maintenanceWindow: "sun:06:00-sun:07:00",
    applyImmediately: false,
    logRetentionDays: 30,
} as const;

export const DEFAULT_USERS: readonly CacheUser[] = [{ name: "app", access: "on ~* &* +@all", authentication: "password" }];

export const DEFAULT_ALARMS: AlarmThresholds = {
    cpuPercent: 80,
    memoryPercent: 80,
    replicationLagSeconds: 10,
    globalReplicationLagSeconds: 30,
    evictions: 1000,
    connections: 20000,
    networkAllowanceExceeded: 100,
    periodSeconds: 60,
    evaluationPeriods: 5,
};

/** Each region gets its own /16 so the VPCs can be peered later. */
export function defaultVpcCidr(regionIndex: number): string {
    return `10.${100 + regionIndex}.0.0/16`;
}

/** The values CloudWatch Logs accepts for a log group's retention. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
