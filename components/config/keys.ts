/**
 * The stack configuration keys, declared once as data. The loader, the validator, the offline plan
 * (which must know which keys are secret) and the README table all read this list.
 */

export const NAMESPACE = "elasticache-global";

export type KeyKind = "string" | "integer" | "boolean" | "list" | "object";

export interface ConfigKey {
    /** Key name without the namespace. */
    name: string;
    kind: KeyKind;
    /** Required keys have no default; everything else is optional. */
    required?: boolean;
    /** Secret keys are never printed, only their length. */
    secret?: boolean;
    /** Human-readable default, for documentation. */
    defaultText?: string;
    doc: string;
}

export const CONFIG_KEYS: readonly ConfigKey[] = [
    { name: "primaryRegion", kind: "string", required: true, doc: "Region whose replication group currently accepts writes." },
    {
        name: "foundingRegion", kind: "string", defaultText: "primaryRegion",
        doc: "Region whose replication group created the Global Datastore. Never changes for a datastore: pin it before the first promotion.",
    },
    { name: "secondaryRegions", kind: "list", required: true, doc: "One or two other regions that replicate from the primary." },
    { name: "engine", kind: "string", defaultText: "valkey", doc: "`valkey` or `redis` (Redis OSS)." },
    { name: "engineVersion", kind: "string", defaultText: "8.0 (valkey), 7.1 (redis)", doc: "Engine version; Global Datastore needs Valkey 7.2+ or Redis OSS 5.0.6+." },
    { name: "nodeType", kind: "string", defaultText: "cache.r7g.large", doc: "Node type eligible for Global Datastore (M5, M6g, M7g, R5, R6g, R7g, C7gn; large or bigger). Not R6gd: whether its secondaries need data tiering set is undocumented." },
    { name: "shards", kind: "integer", defaultText: "3", doc: "Node groups (shards), 1..500." },
    { name: "replicasPerShard", kind: "integer", defaultText: "2", doc: "Replicas in each shard, 1..5 (Multi-AZ needs at least one)." },
    { name: "backupRetentionDays", kind: "integer", defaultText: "7", doc: "Automated snapshot retention, 1..35 days." },
    { name: "namePrefix", kind: "string", defaultText: "the stack name", doc: "Prefix of every physical name (replication groups, datastore suffix, users, log groups)." },
    { name: "port", kind: "integer", defaultText: "6379", doc: "Port the cache listens on." },
    { name: "snapshotWindow", kind: "string", defaultText: "03:00-05:00", doc: "Daily snapshot window, UTC, `hh:mm-hh:mm`, at least 60 minutes." },
    { name: "maintenanceWindow", kind: "string", defaultText: "sun:06:00-sun:07:00", doc: "Weekly maintenance window, UTC, `ddd:hh:mm-ddd:hh:mm`, 60 minutes to 24 hours, not overlapping the snapshot window." },
    { name: "applyImmediately", kind: "boolean", defaultText: "false", doc: "Apply modifications now instead of in the maintenance window." },
    { name: "logRetentionDays", kind: "integer", defaultText: "30", doc: "Retention of the slow-log and engine-log groups (a CloudWatch Logs retention value)." },
    {
        name: "networks", kind: "object", defaultText: "a new VPC per region on the region's own /16 (us-east-1 10.100.0.0/16, ...)",
        doc: "Per region: either `{vpcId, subnetIds}` of existing private subnets or `{vpcCidr}` for a new VPC with three private subnets; plus `allowedCidrs` and `allowedSecurityGroupIds` that may reach the port.",
    },
    {
        name: "users", kind: "list", defaultText: "[{name: app, access: \"on ~* &* +@all\"}]",
        doc: "RBAC users (Valkey, Redis OSS 6+): `{name, access, authentication}` with authentication `password` (default) or `iam`. The built-in default user is always disabled.",
    },
    { name: "userPasswords", kind: "object", secret: true, doc: "Secret map of user name to password (16..128 printable characters) for users with password authentication." },
    { name: "authToken", kind: "string", secret: true, doc: "Secret AUTH token, only for Redis OSS older than 6.0 (no RBAC there)." },
    {
        name: "alarms", kind: "object", defaultText: "cpuPercent 80, memoryPercent 80, replicationLagSeconds 10, globalReplicationLagSeconds 30, evictions 1000, connections 20000, networkAllowanceExceeded 100, periodSeconds 60, evaluationPeriods 5",
        doc: "Alarm thresholds, each a positive number; alarms fire when a shard's worst node exceeds one for evaluationPeriods periods.",
    },
    { name: "notificationEmails", kind: "list", defaultText: "[]", doc: "Email addresses subscribed to every region's event and alarm topic." },
    { name: "route53", kind: "object", doc: "Optional `{zoneId, recordName}`: a private Route 53 CNAME that follows the writer." },
    { name: "tags", kind: "object", defaultText: "{}", doc: "Tags added to every resource that takes tags." },
    {
        name: "generation", kind: "integer", defaultText: "1",
        doc: "The active generation (1..99): the datastore the writer endpoint and the roles above refer to. `restore-from-snapshot` builds the next one from a snapshot and cuts over to it.",
    },
    { name: "seedSnapshot", kind: "string", doc: "Name of the snapshot the active generation was created from, in its founding region (set by `restore-from-snapshot`; never change it on an existing generation)." },
    {
        name: "founderOnly", kind: "boolean", defaultText: "false",
        doc: "The active generation declares only its founding replication group and datastore, no secondaries yet: `restore-from-snapshot` sets it at the cutover and clears it when the secondaries join. The cache runs in one region meanwhile; primaryRegion must be foundingRegion.",
    },
    {
        name: "inactiveGenerations", kind: "object", defaultText: "{}",
        doc: "Generations that exist beside the active one, by number: `{foundingRegion, seedSnapshot?, founderOnly?, retiring?, finalSnapshotSuffix?}`. A new one while it is built and verified, an old one kept for investigation until `retire-generation` removes it.",
    },
    {
        name: "highestGeneration", kind: "integer", defaultText: "the highest generation declared",
        doc: "The highest generation number ever declared (1..99). It only grows: `restore-from-snapshot` raises it when it declares a generation, `retire-generation` leaves it, so a number and the names and final snapshots that carry it are never used twice. Never lower it.",
    },
    {
        name: "recoveryRolePrincipals", kind: "list", defaultText: "the account root",
        doc: "IAM principal ARNs (account root, users, roles) allowed to assume the recovery role, which carries only the permissions the recovery programs need.",
    },
];

export function fullKey(name: string): string {
    return `${NAMESPACE}:${name}`;
}

export const SECRET_KEYS: readonly string[] = CONFIG_KEYS.filter((k) => k.secret).map((k) => k.name);
