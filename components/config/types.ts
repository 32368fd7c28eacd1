import { Engine } from "./engine";

/** Networking of one region: existing private subnets, or a VPC the program creates. */
export type RegionNetwork =
    | { mode: "existing"; vpcId: string; subnetIds: string[]; allowedCidrs: string[]; allowedSecurityGroupIds: string[] }
    | { mode: "create"; vpcCidr: string; allowedCidrs: string[]; allowedSecurityGroupIds: string[] };

export interface CacheUser {
    /** Name used to log in (`AUTH <name> <password>`), also part of the user id. */
    name: string;
    /** Redis ACL rule string, for example "on ~app:* +@read +@write". */
    access: string;
    authentication: "password" | "iam";
}

/**
 * How clients authenticate. RBAC for Valkey and Redis OSS 6+, with the built-in default user
 * replaced by a disabled one; an AUTH token only for older Redis OSS.
 */
export type AuthConfig =
    | { mode: "rbac"; users: CacheUser[]; passwords: Record<string, string> }
    | { mode: "auth-token"; token: string };

export interface AlarmThresholds {
    /** EngineCPUUtilization, percent, maximum over a shard's nodes. */
    cpuPercent: number;
    /** DatabaseMemoryUsagePercentage, percent. */
    memoryPercent: number;
    /** ReplicationLag of replicas inside a region, seconds. */
    replicationLagSeconds: number;
    /** GlobalDatastoreReplicationLag of a secondary region, seconds. */
    globalReplicationLagSeconds: number;
    /** Evictions per period (sum). */
    evictions: number;
    /** CurrConnections on any node. */
    connections: number;
    /** Packets shaped because a node exceeded its network bandwidth allowance, per period. */
    networkAllowanceExceeded: number;
    periodSeconds: number;
    evaluationPeriods: number;
}

export interface Route53Config {
    zoneId: string;
    recordName: string;
}

/**
 * One generation of the deployment: a whole Global Datastore (founding replication group, datastore,
 * secondaries, users, alarms) with names of its own (naming.ts generationSuffix). After data corruption
 * the next generation is built from a snapshot beside the current one, verified, and made active; the
 * old one stays, untouched, until a human retires it.
 */
export interface Generation {
    /** 1..99; names of generation 1 carry no generation mark. */
    number: number;
    /** Region of the replication group that created this generation's datastore. */
    foundingRegion: string;
    /** The snapshot (in foundingRegion) the founding replication group was created from. */
    seedSnapshot?: string;
    /**
     * Only the founding replication group and the datastore are declared, no secondaries yet. A restore
     * declares a new generation so, cuts the writer over as soon as the founder is verified, then
     * clears it so the secondaries join: the cache runs in one region in between. Default false.
     */
    founderOnly?: boolean;
    /**
     * Set by retire-generation just before removing the generation: its resources are declared
     * unprotected so that the stack update that follows may delete them.
     */
    retiring?: boolean;
    /**
     * Set with `retiring`: the suffix (`YYYYMMDD-HHMMSS`, UTC) of the final snapshot names AWS takes as
     * the update deletes the generation's replication groups (naming.ts finalSnapshotName), unique per
     * retirement and checked free before the deletion.
     */
    finalSnapshotSuffix?: string;
}

/** The validated stack configuration: every default resolved, every value checked. */
export interface StackConfig {
    stack: string;
    namePrefix: string;
    primaryRegion: string;
    foundingRegion: string;
    secondaryRegions: string[];
    engine: Engine;
    engineVersion: string;
    nodeType: string;
    shards: number;
    replicasPerShard: number;
    backupRetentionDays: number;
    port: number;
    snapshotWindow: string;
    maintenanceWindow: string;
    applyImmediately: boolean;
    logRetentionDays: number;
    networks: Record<string, RegionNetwork>;
    auth: AuthConfig;
    alarms: AlarmThresholds;
    notificationEmails: string[];
    route53?: Route53Config;
    tags: Record<string, string>;
    /** The active generation; foundingRegion, seedSnapshot and founderOnly belong to it. */
    generation: number;
    seedSnapshot?: string;
    /** The active generation declares only its founder and datastore (Generation.founderOnly). Default false. */
    founderOnly?: boolean;
    /**
     * The highest generation number ever declared in this stack; it only grows, and a retire leaves it,
     * so a number (and the names and final snapshots that carry it) is never used twice. Default: the
     * highest generation declared now.
     */
    highestGeneration: number;
    /** Generations declared beside the active one, in ascending order (never the active one). */
    inactiveGenerations: Generation[];
    /** Who may assume the recovery role; undefined means the account root (the account's own IAM policies decide). */
    recoveryRolePrincipals?: string[];
}

/** Every region of the datastore, the primary first. */
export function memberRegions(config: Pick<StackConfig, "primaryRegion" | "secondaryRegions">): string[] {
    return [config.primaryRegion, ...config.secondaryRegions];
}

/** Every generation the stack declares, ascending; exactly one of them is `config.generation`. */
export function allGenerations(config: Pick<StackConfig, "generation" | "foundingRegion" | "seedSnapshot" | "founderOnly" | "inactiveGenerations">): Generation[] {
    return [...config.inactiveGenerations, activeGeneration(config)].sort((a, b) => a.number - b.number);
}

/** The active generation as a Generation (its fields live in top-level keys). */
export function activeGeneration(config: Pick<StackConfig, "generation" | "foundingRegion" | "seedSnapshot" | "founderOnly">): Generation {
    return {
        number: config.generation, foundingRegion: config.foundingRegion,
        ...(config.seedSnapshot ? { seedSnapshot: config.seedSnapshot } : {}),
        ...(config.founderOnly ? { founderOnly: true } : {}),
    };
}

/** The regions where generation `g` has a member: its founding region only while it is founder-only. */
export function generationRegions(config: Pick<StackConfig, "primaryRegion" | "secondaryRegions">, g: Pick<Generation, "foundingRegion" | "founderOnly">): string[] {
    return g.founderOnly ? [g.foundingRegion] : memberRegions(config);
}
