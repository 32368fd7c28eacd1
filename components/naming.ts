/**
 * Every physical name the program gives AWS, derived from the stack configuration alone. The recovery
 * programs use the same functions to find the deployment when the stack outputs are out of reach
 * (for example when the state backend lives in the failed region).
 */

export interface NamingInput {
    stack: string;
    namePrefix: string;
    /**
     * The generation the names belong to (see StackConfig.generation); default 1. A generation is a
     * whole datastore rebuilt from a snapshot beside the previous one, so everything it owns gets
     * names of its own, while generation 1 keeps the names the program has always given.
     */
    generation?: number;
}

/** "" for generation 1, "-g<N>" after it: part of every name a generation owns. */
export function generationSuffix(n: Pick<NamingInput, "generation">): string {
    return !n.generation || n.generation === 1 ? "" : `-g${n.generation}`;
}

/** The prefix of every name a generation owns: `<namePrefix>` or `<namePrefix>-g<N>`. */
function generationPrefix(n: NamingInput): string {
    return `${n.namePrefix}${generationSuffix(n)}`;
}

export function replicationGroupId(n: NamingInput, region: string): string {
    return `${generationPrefix(n)}-${region}`;
}

/**
 * The suffix of the Global Datastore. AWS prepends a region-specific code to it, so the full id is
 * only known from the resource's `globalReplicationGroupId` output (or DescribeGlobalReplicationGroups).
 */
export function globalDatastoreSuffix(n: NamingInput): string {
    return generationPrefix(n);
}

/**
 * The snapshot AWS takes when the program deletes a member (DeleteReplicationGroup's
 * FinalSnapshotIdentifier). Without `suffix`, `<group>-final`; retire-generation gives each retirement a
 * suffix of its own (the UTC time it started, `YYYYMMDD-HHMMSS`) and checks the names are free before
 * the deletion, since AWS refuses a name already taken in the region and the deletion would stop halfway.
 */
export function finalSnapshotName(n: NamingInput, region: string, suffix?: string): string {
    return `${replicationGroupId(n, region)}-final${suffix ? `-${suffix}` : ""}`;
}

/**
 * Users and user groups are shared by every generation: one set per region, created once with the
 * names generation 1 always had, so a cutover changes nothing for applications (AWS lets one user
 * group serve several replication groups: UserGroup.ReplicationGroups is a list, "Role-Based Access
 * Control (RBAC)" in the ElastiCache user guide deploys a user group "to one or more" caches).
 * User ids are per region but may repeat across regions; the user group keeps one id everywhere.
 */
export function userGroupId(n: Pick<NamingInput, "namePrefix">): string {
    return `${n.namePrefix}-users`;
}

/** With IAM authentication the user name equals this id; it is the same for every generation. */
export function userId(n: Pick<NamingInput, "namePrefix">, userName: string): string {
    return `${n.namePrefix}-${userName.toLowerCase()}`;
}

/** The replacement of the built-in `default` user: same user name, disabled, no commands. */
export function disabledDefaultUserId(n: Pick<NamingInput, "namePrefix">): string {
    return `${n.namePrefix}-default-disabled`;
}

export function logGroupPrefix(n: NamingInput): string {
    return `/elasticache-global/${n.namePrefix}/`;
}

export function logGroupName(n: NamingInput, logType: "slow-log" | "engine-log"): string {
    return `${logGroupPrefix(n)}${logType}`;
}

export function kmsAliasName(n: NamingInput): string {
    return `alias/elasticache-global/${n.namePrefix}`;
}

/** The region's topic for ElastiCache events (unencrypted: ElastiCache cannot publish to an encrypted topic). */
export function eventTopicName(n: NamingInput): string {
    return `${n.namePrefix}-elasticache-events`;
}

/** The region's topic for CloudWatch alarms (encrypted with the region's key). */
export function alarmTopicName(n: NamingInput): string {
    return `${n.namePrefix}-elasticache-alarms`;
}

/** SSM parameters that applications read to find the writer (same name in every region). */
export function writerParameterName(n: NamingInput): string {
    return `/elasticache-global/${n.stack}/writer`;
}

/** SSM parameter with this region's own member, for reads close to the application. */
export function readerParameterName(n: NamingInput): string {
    return `/elasticache-global/${n.stack}/reader`;
}

export function dashboardName(n: NamingInput, region: string): string {
    return `${generationPrefix(n)}-elasticache-${region}`;
}

/** The program's name for its GlobalCache; every logical name starts with it (recovery derives names from it). */
export const ROOT_NAME = "cache";

/**
 * The Pulumi name of a generation's datastore component; its children are named `<this>-<region>`,
 * `<this>-datastore`, ... Generation 1 keeps the name it always had, so nothing existing is renamed.
 */
export function generationResourceName(base: string, generation: number): string {
    return generation === 1 ? base : `${base}-g${generation}`;
}

/**
 * CloudWatch publishes ElastiCache host metrics per node, named
 * `<replication group id>-<shard, 4 digits>-<node, 3 digits>` in cluster mode.
 */
export function memberClusterId(rgId: string, shard: number, node: number): string {
    return `${rgId}-${String(shard).padStart(4, "0")}-${String(node).padStart(3, "0")}`;
}

/** A per-shard alarm: `<replication group id>-<shard>-<kind>`. */
export function shardAlarmName(rgId: string, shard: number, kind: string): string {
    return `${rgId}-${shardId(shard)}-${kind}`;
}

/** The kind of a per-shard alarm, read back from its name. */
export function shardAlarmKind(alarmName: string): string {
    return alarmName.replace(/^.*-\d{4}-/, "");
}

/** Node group ids as ElastiCache numbers them in cluster mode: "0001", "0002", ... */
export function shardId(shard: number): string {
    return String(shard).padStart(4, "0");
}

/**
 * The recovery role's physical name, stable so that an operator can find and assume it when the
 * stack's outputs are out of reach. IAM role names are at most 64 characters; name prefixes at most 20.
 */
export function recoveryRoleName(n: NamingInput): string {
    return `${n.namePrefix}-elasticache-recovery`;
}

/**
 * The logical names of the ElastiCache resources generation `generation` owns (its datastore and member
 * replication groups): exactly what retiring it may delete. Users and user groups are shared by every
 * generation and never among them.
 */
export function generationElastiCacheNames(generation: number, regions: readonly string[]): string[] {
    const ds = generationResourceName(ROOT_NAME, generation);
    return [`${ds}-datastore`, ...regions.map((region) => `${ds}-${region}`)];
}
