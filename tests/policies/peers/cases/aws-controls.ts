/**
 * AWS's own controls, which ship no test fixtures: each case is the documented pass/fail condition of
 * the control, at the parameter values the control uses by default, applied to a replication group
 * or cluster that differs from a compliant one only in the setting the control reads.
 * Sources: "Security Hub CSPM controls for ElastiCache" (AWS Security Hub User Guide), the AWS Config
 * Developer Guide page of each managed rule, and "Amazon ElastiCache controls" (AWS Control Tower
 * Controls Reference).
 */
import { PeerCase, KEY_ARN, cluster, group } from "../case";

const SH = "AWS Security Hub User Guide, Security Hub CSPM controls for ElastiCache";
const CONFIG = "AWS Config Developer Guide, managed rule";
const CT = "AWS Control Tower Controls Reference, Amazon ElastiCache controls";

/** A Redis OSS replication group that every control passes, changed in one setting per case. */
function redisGroup(name: string, changes: Parameters<typeof group>[1] = {}) {
    return group(name, {
        engine: "redis", engineVersion: "7.1", nodeType: "cache.r7g.large", numCacheClusters: 2, automaticFailoverEnabled: true, multiAzEnabled: true,
        atRestEncryptionEnabled: true, kmsKeyId: KEY_ARN, transitEncryptionEnabled: true, userGroupIds: ["app-users"], subnetGroupName: "private-cache",
        snapshotRetentionLimit: 15, ...changes,
    });
}

/** A single-node Redis OSS cluster that every control passes, changed in one setting per case. */
function redisCluster(name: string, changes: Parameters<typeof cluster>[1] = {}) {
    return cluster(name, {
        engine: "redis", engineVersion: "7.1", nodeType: "cache.r7g.large", numCacheNodes: 1, subnetGroupName: "private-cache",
        snapshotRetentionLimit: 15, autoMinorVersionUpgrade: "true", transitEncryptionEnabled: true, ...changes,
    });
}

const sh = (control: string, verdict: PeerCase["verdict"], condition: string, resource: PeerCase["resource"]): PeerCase =>
    ({ peer: "Security Hub", control, verdict, source: `${SH}, [${control}]: ${condition}`, resource });
const config = (control: string, verdict: PeerCase["verdict"], condition: string, resource: PeerCase["resource"]): PeerCase =>
    ({ peer: "AWS Config", control, verdict, source: `${CONFIG} ${control}: ${condition}`, resource });

export const AWS_CONTROL_CASES: PeerCase[] = [
    // Security Hub, with its own parameter defaults (ElastiCache.1: snapshotRetentionPeriod 1).
    sh("ElastiCache.1", "fail", "retention below snapshotRetentionPeriod (default 1): automatic backups off", redisCluster("no-backups", { snapshotRetentionLimit: 0 })),
    sh("ElastiCache.1", "pass", "retention of 1 day meets the default snapshotRetentionPeriod 1", redisCluster("one-day", { snapshotRetentionLimit: 1 })),
    sh("ElastiCache.2", "fail", "the cluster does not apply minor version upgrades automatically", redisCluster("no-upgrades", { autoMinorVersionUpgrade: "false" })),
    sh("ElastiCache.2", "pass", "minor version upgrades applied automatically", redisCluster("upgrades")),
    sh("ElastiCache.3", "fail", "automatic failover not enabled", redisGroup("no-failover", { automaticFailoverEnabled: false, multiAzEnabled: false })),
    sh("ElastiCache.3", "pass", "automatic failover enabled", redisGroup("failover")),
    sh("ElastiCache.3", "pass", "automatic failover enabled, Multi-AZ not (the control reads automatic failover only)", redisGroup("failover-single-az", { multiAzEnabled: false })),
    sh("ElastiCache.4", "fail", "not encrypted at rest", redisGroup("plain", { atRestEncryptionEnabled: false, kmsKeyId: undefined })),
    sh("ElastiCache.4", "pass", "encrypted at rest with the AWS managed key (no kmsKeyId)", redisGroup("aws-managed-key", { kmsKeyId: undefined })),
    sh("ElastiCache.5", "fail", "not encrypted in transit", redisGroup("no-tls", { transitEncryptionEnabled: false, userGroupIds: undefined })),
    sh("ElastiCache.5", "pass", "encrypted in transit", redisGroup("tls")),
    sh("ElastiCache.6", "fail", "Redis OSS before 6.0 without AuthToken", redisGroup("old-no-token", { engineVersion: "5.0.6", userGroupIds: undefined })),
    sh("ElastiCache.6", "pass", "Redis OSS before 6.0 with AuthToken", redisGroup("old-token", { engineVersion: "5.0.6", userGroupIds: undefined, authToken: "a-secret-token-of-16-or-more" })),
    sh("ElastiCache.6", "pass", "Redis OSS 6.0 or later is out of the control's scope, with or without AuthToken", redisGroup("new-no-token", { userGroupIds: undefined })),
    sh("ElastiCache.7", "fail", "the cluster uses the default subnet group", redisCluster("default-subnets", { subnetGroupName: "default" })),
    sh("ElastiCache.7", "pass", "the cluster uses a custom subnet group", redisCluster("custom-subnets")),

    // AWS Config managed rules, with their default parameters.
    config("elasticache-auto-minor-version-upgrade-check", "fail", "Redis or Valkey cluster with AutoMinorVersionUpgrade not true", redisCluster("no-upgrades", { autoMinorVersionUpgrade: "false" })),
    config("elasticache-auto-minor-version-upgrade-check", "pass", "AutoMinorVersionUpgrade true", redisCluster("upgrades", { autoMinorVersionUpgrade: "true" })),
    config("elasticache-repl-grp-auto-failover-enabled", "fail", "AutomaticFailover not enabled", redisGroup("no-failover", { automaticFailoverEnabled: false, multiAzEnabled: false })),
    config("elasticache-repl-grp-auto-failover-enabled", "pass", "AutomaticFailover enabled (Multi-AZ not read)", redisGroup("failover-single-az", { multiAzEnabled: false })),
    config("elasticache-repl-grp-encrypted-at-rest", "fail", "not encrypted at rest", redisGroup("plain", { atRestEncryptionEnabled: false, kmsKeyId: undefined })),
    config("elasticache-repl-grp-encrypted-at-rest", "pass", "encrypted at rest, AWS managed key", redisGroup("aws-managed-key", { kmsKeyId: undefined })),
    config("elasticache-repl-grp-encrypted-in-transit", "fail", "not encrypted in transit", redisGroup("no-tls", { transitEncryptionEnabled: false, userGroupIds: undefined })),
    config("elasticache-repl-grp-encrypted-in-transit", "pass", "encrypted in transit", redisGroup("tls")),
    config("elasticache-repl-grp-redis-auth-enabled", "fail", "Redis below 6 and AuthToken missing", redisGroup("old-no-token", { engineVersion: "5.0.6", userGroupIds: undefined })),
    config("elasticache-repl-grp-redis-auth-enabled", "pass", "Redis below 6 with AuthToken", redisGroup("old-token", { engineVersion: "5.0.6", userGroupIds: undefined, authToken: "a-secret-token-of-16-or-more" })),
    config("elasticache-repl-grp-redis-auth-enabled", "pass", "Redis 6 and above use ACLs: out of scope", redisGroup("new-no-token", { userGroupIds: undefined })),
    config("elasticache-rbac-auth-enabled", "fail", "Redis 6 or above with UserGroupIds missing (no allowedUserGroupIDs)", redisGroup("no-groups", { userGroupIds: undefined })),
    config("elasticache-rbac-auth-enabled", "pass", "Redis 6 or above with a user group", redisGroup("groups")),
    config("elasticache-rbac-auth-enabled", "pass", "Redis below 6: out of scope", redisGroup("old", { engineVersion: "5.0.6", userGroupIds: undefined, authToken: "a-secret-token-of-16-or-more" })),
    config("elasticache-subnet-group-check", "fail", "the cluster uses a default subnet group", redisCluster("default-subnets", { subnetGroupName: "default" })),
    config("elasticache-subnet-group-check", "pass", "a custom subnet group", redisCluster("custom-subnets")),
    config("elasticache-redis-cluster-automatic-backup-check", "fail", "SnapshotRetentionLimit below snapshotRetentionPeriod (default 15)", redisGroup("two-weeks", { snapshotRetentionLimit: 14 })),
    config("elasticache-redis-cluster-automatic-backup-check", "pass", "SnapshotRetentionLimit of 15 meets the default 15", redisGroup("fifteen-days", { snapshotRetentionLimit: 15 })),
    config("elasticache-automatic-backup-check-enabled", "fail", "automated backup not enabled (SnapshotRetentionLimit 0)", redisCluster("no-backups", { snapshotRetentionLimit: 0 })),
    config("elasticache-automatic-backup-check-enabled", "pass", "SnapshotRetentionLimit of 1 meets the default snapshotRetentionPeriod 1", redisCluster("one-day", { snapshotRetentionLimit: 1 })),
    // No defaults for latestRedisVersion: the cases use the pack's floor for Redis OSS (6.2) as the parameter.
    config("elasticache-supported-engine-version", "fail", "EngineVersion below latestRedisVersion (6.2.0 here)", redisCluster("old-version", { engineVersion: "6.0" })),
    config("elasticache-supported-engine-version", "pass", "EngineVersion at or above latestRedisVersion (6.2.0 here)", redisCluster("new-version", { engineVersion: "7.1" })),

    // Control Tower (proactive, CloudFormation guard): Redis OSS cache clusters with SnapshotRetentionLimit above 0.
    { peer: "Control Tower", control: "CT.ELASTICACHE.PR.1", verdict: "fail", source: `${CT}, [CT.ELASTICACHE.PR.1]: SnapshotRetentionLimit 0`, resource: redisCluster("no-backups", { snapshotRetentionLimit: 0 }) },
    { peer: "Control Tower", control: "CT.ELASTICACHE.PR.1", verdict: "pass", source: `${CT}, [CT.ELASTICACHE.PR.1]: SnapshotRetentionLimit above 0`, resource: redisCluster("one-day", { snapshotRetentionLimit: 1 }) },
];
