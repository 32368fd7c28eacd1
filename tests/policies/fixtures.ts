/**
 * Compliant resources and stacks, shaped like what the real program declares. Each test starts from
 * one of these and changes one thing.
 */
import { TYPES } from "../../policies/lib/types";
import { StackInput, UNKNOWN, withProps } from "./helpers";

export const PRIMARY_REGION = "us-east-1";
export const SECONDARY_REGIONS = ["us-west-2", "eu-west-1"] as const;
export const DATASTORE_ID = "ldgnf-prod";

const logs = [
    { destinationType: "cloudwatch-logs", destination: "/elasticache-global/prod/slow-log", logFormat: "json", logType: "slow-log" },
    { destinationType: "cloudwatch-logs", destination: "/elasticache-global/prod/engine-log", logFormat: "json", logType: "engine-log" },
];

function keyArn(region: string): string {
    return `arn:aws:kms:${region}:123456789012:key/0b1e3c5d-1111-2222-3333-${region.replace(/-/g, "").padEnd(12, "0").slice(0, 12)}`;
}

/** What every member sets for itself (and a secondary may set). */
function regionalProps(region: string): Record<string, unknown> {
    return {
        region,
        replicationGroupId: `prod-${region}`,
        description: `prod cache in ${region}`,
        replicasPerNodeGroup: 2,
        subnetGroupName: "prod-cache",
        securityGroupIds: ["sg-0123456789abcdef0"],
        kmsKeyId: keyArn(region),
        userGroupIds: ["prod-users"],
        snapshotRetentionLimit: 14,
        snapshotWindow: "03:00-05:00",
        maintenanceWindow: "sun:06:00-sun:07:00",
        finalSnapshotIdentifier: `prod-${region}-final`,
        autoMinorVersionUpgrade: true,
        notificationTopicArn: topicArn(region),
        logDeliveryConfigurations: logs,
    };
}

/** The founding (primary) replication group: Valkey 8.0, cluster mode, 3 shards x 2 replicas. */
export function compliantPrimary(changes: Record<string, unknown> = {}): Record<string, unknown> {
    return withProps({
        ...regionalProps(PRIMARY_REGION),
        engine: "valkey",
        engineVersion: "8.0",
        nodeType: "cache.r7g.xlarge",
        port: 6379,
        parameterGroupName: "default.valkey8.cluster.on",
        clusterMode: "enabled",
        numNodeGroups: 3,
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
    }, changes);
}

/** The same, on Redis OSS 7.1 (no encryption at rest by default). */
export function compliantRedisPrimary(changes: Record<string, unknown> = {}): Record<string, unknown> {
    return compliantPrimary({ engine: "redis", engineVersion: "7.1", parameterGroupName: "default.redis7.cluster.on", ...changes });
}

/** A member that joins the datastore: only what a secondary may set. */
export function compliantSecondary(region: string = SECONDARY_REGIONS[0], changes: Record<string, unknown> = {}): Record<string, unknown> {
    return withProps({ ...regionalProps(region), globalReplicationGroupId: DATASTORE_ID }, changes);
}

/** A standalone Valkey node: compliant where a cluster can be, single-node by nature. */
export function compliantCluster(changes: Record<string, unknown> = {}): Record<string, unknown> {
    return withProps({
        region: PRIMARY_REGION,
        clusterId: "prod-single",
        engine: "valkey",
        engineVersion: "8.0",
        nodeType: "cache.r7g.large",
        numCacheNodes: 1,
        subnetGroupName: "prod-cache",
        transitEncryptionEnabled: true,
        snapshotRetentionLimit: 14,
        snapshotWindow: "03:00-05:00",
        maintenanceWindow: "sun:06:00-sun:07:00",
        finalSnapshotIdentifier: "prod-single-final",
        autoMinorVersionUpgrade: "true", // a string on aws.elasticache.Cluster in @pulumi/aws v7
        notificationTopicArn: `arn:aws:sns:${PRIMARY_REGION}:123456789012:prod-elasticache-events`,
        logDeliveryConfigurations: logs,
    }, changes);
}

/** Shards of the compliant deployment (numNodeGroups of the datastore and its primary). */
export const SHARDS = 3;

function topicArn(region: string): string {
    return `arn:aws:sns:${region}:123456789012:prod-elasticache-events`;
}

/** The alarm on one shard's GlobalDatastoreReplicationLag, as the program's monitoring declares it. */
export function lagAlarm(region: string, shard = 1, changes: Record<string, unknown> = {}): Record<string, unknown> {
    const group = `prod-${region}`;
    const shardId = String(shard).padStart(4, "0");
    const nodes = [1, 2, 3].map((n) => `${group}-${shardId}-00${n}`);
    return withProps({
        region,
        name: `${group}-${shardId}-global-replication-lag`,
        comparisonOperator: "GreaterThanThreshold",
        threshold: 30,
        evaluationPeriods: 5,
        alarmActions: [topicArn(region)],
        metricQueries: [
            ...nodes.map((node, i) => ({
                id: `m${i + 1}`,
                returnData: false,
                metric: { namespace: "AWS/ElastiCache", metricName: "GlobalDatastoreReplicationLag", dimensions: { CacheClusterId: node }, period: 60, stat: "Maximum" },
            })),
            { id: "shard", expression: "MAX([m1,m2,m3])", returnData: true },
        ],
    }, changes);
}

/** Name of the lag alarm resource of one secondary's shard in compliantStack(). */
export function lagAlarmName(region: string, shard: number): string {
    return `lag-${region}-${shard}`;
}

/** The datastore's props as the stack state records them once it exists (AWS reports its engine). */
export function compliantDatastore(changes: Record<string, unknown> = {}): Record<string, unknown> {
    return withProps({
        region: PRIMARY_REGION,
        globalReplicationGroupIdSuffix: "prod",
        globalReplicationGroupId: DATASTORE_ID,
        primaryReplicationGroupId: `prod-${PRIMARY_REGION}`,
        engine: "valkey",
        cacheNodeType: "cache.r7g.xlarge",
        engineVersion: "8.0",
        numNodeGroups: SHARDS,
        automaticFailoverEnabled: true,
    }, changes);
}

/** Users and a user group of one region, with the default user replaced by a disabled one. */
export function usersOf(region: string): StackInput[] {
    return [
        { type: TYPES.user, name: `users-${region}-default-disabled`, props: { region, engine: "valkey", userId: "prod-default-disabled", userName: "default", accessString: "off -@all" } },
        { type: TYPES.user, name: `users-${region}-app`, props: { region, engine: "valkey", userId: "prod-app", userName: "app", accessString: "on ~* &* +@all -@dangerous" } },
        { type: TYPES.userGroup, name: `users-${region}`, props: { region, engine: "valkey", userGroupId: "prod-users", userIds: ["prod-default-disabled", "prod-app"] } },
    ];
}

/**
 * A whole compliant deployment after its first `pulumi up`: datastore, a primary and two secondaries
 * (protected), their KMS keys, users, and a lag alarm on every shard of each secondary.
 */
export function compliantStack(): StackInput[] {
    const regions = [PRIMARY_REGION, ...SECONDARY_REGIONS];
    const shards = Array.from({ length: SHARDS }, (_, i) => i + 1);
    return [
        { type: TYPES.globalDatastore, name: "datastore", props: compliantDatastore(), protect: true },
        { type: TYPES.replicationGroup, name: `cache-${PRIMARY_REGION}`, props: compliantPrimary(), protect: true },
        ...SECONDARY_REGIONS.map((region) => ({ type: TYPES.replicationGroup, name: `cache-${region}`, props: compliantSecondary(region), protect: true })),
        ...regions.map((region) => ({ type: TYPES.kmsKey, name: `key-${region}`, props: { region, enableKeyRotation: true }, protect: true })),
        ...regions.flatMap(usersOf),
        ...SECONDARY_REGIONS.flatMap((region) => shards.map((shard) => ({ type: TYPES.metricAlarm, name: lagAlarmName(region, shard), props: lagAlarm(region, shard) }))),
    ];
}

/**
 * The same deployment as AnalyzeStack sees it in the stack's first preview, before anything exists:
 * the outputs AWS computes that the rules read are unknown, and so is every input fed by one (the
 * engine names the feeding resource in propertyDependencies). The program never sets the datastore's
 * engine, and the founder never sets globalReplicationGroupId: both are unknown with nothing feeding
 * them. (tests/policies/program.test.ts runs the same check on the whole program's first preview.)
 */
export function firstPreviewStack(): StackInput[] {
    const primary = `cache-${PRIMARY_REGION}`;
    let stack = changeResource(compliantStack(), "datastore",
        { primaryReplicationGroupId: UNKNOWN, globalReplicationGroupId: UNKNOWN, engine: UNKNOWN, arn: UNKNOWN },
        { feeds: { primaryReplicationGroupId: [primary] } });
    stack = changeResource(stack, primary, { globalReplicationGroupId: UNKNOWN, arn: UNKNOWN, configurationEndpointAddress: UNKNOWN, kmsKeyId: UNKNOWN },
        { feeds: { kmsKeyId: [`key-${PRIMARY_REGION}`] } });
    for (const region of SECONDARY_REGIONS) {
        stack = changeResource(stack, `cache-${region}`,
            { globalReplicationGroupId: UNKNOWN, arn: UNKNOWN, configurationEndpointAddress: UNKNOWN, kmsKeyId: UNKNOWN, engine: UNKNOWN, port: UNKNOWN },
            { feeds: { globalReplicationGroupId: ["datastore"], kmsKeyId: [`key-${region}`] } });
    }
    return stack;
}

/**
 * A replication group of the stack outside the datastore, as the first preview sees it: AWS computes
 * its globalReplicationGroupId (unknown), and no datastore feeds it.
 */
export function standaloneGroupInFirstPreview(region: string = SECONDARY_REGIONS[0]): StackInput {
    return {
        type: TYPES.replicationGroup,
        name: `sessions-${region}`,
        props: compliantPrimary({ region, replicationGroupId: `sessions-${region}`, globalReplicationGroupId: UNKNOWN, arn: UNKNOWN }),
        protect: true,
    };
}

/** The stack with one resource's props changed (by name); undefined values remove keys. */
export function changeResource(stack: StackInput[], name: string, changes: Record<string, unknown>, extra: Partial<StackInput> = {}): StackInput[] {
    if (!stack.some((r) => r.name === name)) {
        throw new Error(`no resource named ${name} in the stack`);
    }
    return stack.map((r) => (r.name === name ? { ...r, ...extra, props: withProps(r.props, changes) } : r));
}
