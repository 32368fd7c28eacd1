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

/**
 * Regions with a default VPC block. Append only: an entry's position is its block, and moving it
 * would replace that region's VPC and the cache in it.
 */
const DEFAULT_VPC_REGIONS = [
    "us-east-1", "us-east-2", "us-west-1", "us-west-2", "ca-central-1", "ca-west-1", "sa-east-1", "mx-central-1",
    "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1", "eu-central-2", "eu-north-1", "eu-south-1", "eu-south-2",
    "ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-southeast-1", "ap-southeast-2", "ap-southeast-3",
    "ap-southeast-4", "ap-southeast-5", "ap-southeast-7", "ap-south-1", "ap-south-2", "ap-east-1", "ap-east-2",
    "me-south-1", "me-central-1", "il-central-1", "af-south-1",
];

/**
 * The /16 of a VPC the program creates when no vpcCidr is set. It depends on the region alone, never
 * on the region's place in the member list, which changes with every promotion. Undefined for a
 * region not in the table: such a region needs an explicit vpcCidr.
 */
export function defaultVpcCidr(region: string): string | undefined {
    const index = DEFAULT_VPC_REGIONS.indexOf(region);
    return index < 0 ? undefined : `10.${100 + index}.0.0/16`;
}

/** The values CloudWatch Logs accepts for a log group's retention. */
export const LOG_RETENTION_DAYS = [1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];
