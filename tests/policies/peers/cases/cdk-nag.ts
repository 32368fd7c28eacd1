/**
 * cdk-nag's ElastiCache rules (cdklabs/cdk-nag, test/rules/ElastiCache.test.ts): each test's
 * CfnCacheCluster or CfnReplicationGroup, translated from CloudFormation property names (cacheNodeType,
 * cacheSubnetGroupName, replicationGroupDescription) to @pulumi/aws v7 inputs. AwsSolutions-AEC1..6
 * are the AWS Solutions pack's ids; ElastiCacheRedisClusterAutomaticBackup is the rule the HIPAA
 * Security and NIST 800-53 packs apply (15 days).
 */
import { PeerCase, cluster, group } from "../case";

const TEST = "cdklabs/cdk-nag test/rules/ElastiCache.test.ts";

const DESCRIPTION = "lorem ipsum dolor sit amet";

function cfnCluster(name: string, extra: Parameters<typeof cluster>[1]) {
    return cluster(name, { nodeType: "cache.t3.micro", numCacheNodes: 42, ...extra });
}

function cfnGroup(name: string, extra: Parameters<typeof group>[1]) {
    return group(name, { nodeType: "cache.t3.micro", description: DESCRIPTION, ...extra });
}

const source = (describe: string, test: string, resource?: string) => `${TEST}: ${describe} / ${test}${resource ? ` (${resource})` : ""}`;

export const CDK_NAG_CASES: PeerCase[] = [
    // AwsSolutions-AEC1, ElastiCacheClusterInVPC: a cache subnet group is set.
    { peer: "cdk-nag", control: "AwsSolutions-AEC1", verdict: "fail", source: source("ElastiCacheClusterInVPC", "Noncompliance 1"), resource: cfnCluster("rAec", { engine: "memcached" }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC1", verdict: "fail", source: source("ElastiCacheClusterInVPC", "Noncompliance 2"), resource: cfnGroup("rRedisGroup", { engine: "redis" }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC1", verdict: "pass", source: source("ElastiCacheClusterInVPC", "Compliance", "CfnCacheCluster"), resource: cfnCluster("rAec", { engine: "memcached", subnetGroupName: "lorem" }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC1", verdict: "pass", source: source("ElastiCacheClusterInVPC", "Compliance", "CfnReplicationGroup"), resource: cfnGroup("rRedisGroup", { engine: "redis", subnetGroupName: "lorem" }) },
    // AwsSolutions-AEC3, ElastiCacheRedisClusterEncryption: both switches set and true.
    { peer: "cdk-nag", control: "AwsSolutions-AEC3", verdict: "fail", source: source("ElastiCacheRedisClusterEncryption", "Noncompliance 1"), resource: cfnGroup("rRedisGroup", { engine: "redis", atRestEncryptionEnabled: true }) },
    {
        peer: "cdk-nag", control: "AwsSolutions-AEC3", verdict: "fail", source: source("ElastiCacheRedisClusterEncryption", "Noncompliance 2"),
        resource: cfnGroup("RedisGroup", { engine: "redis", atRestEncryptionEnabled: false, transitEncryptionEnabled: false }),
    },
    {
        peer: "cdk-nag", control: "AwsSolutions-AEC3", verdict: "pass", source: source("ElastiCacheRedisClusterEncryption", "Compliance"),
        resource: cfnGroup("rRedisGroup", { engine: "redis", subnetGroupName: "lorem", atRestEncryptionEnabled: true, transitEncryptionEnabled: true }),
    },
    // AwsSolutions-AEC4, ElastiCacheRedisClusterMultiAZ: multiAzEnabled true.
    { peer: "cdk-nag", control: "AwsSolutions-AEC4", verdict: "fail", source: source("ElastiCacheRedisClusterMultiAZ", "Noncompliance 1"), resource: cfnGroup("rRedisGroup", { engine: "redis" }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC4", verdict: "fail", source: source("ElastiCacheRedisClusterMultiAZ", "Noncompliance 2"), resource: cfnGroup("rRedisGroup", { engine: "redis", multiAzEnabled: false }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC4", verdict: "pass", source: source("ElastiCacheRedisClusterMultiAZ", "Compliance"), resource: cfnGroup("rRedisGroup", { engine: "redis", subnetGroupName: "lorem", multiAzEnabled: true }) },
    // AwsSolutions-AEC5, ElastiCacheClusterNonDefaultPort: a port is set and is not the engine's default.
    { peer: "cdk-nag", control: "AwsSolutions-AEC5", verdict: "fail", source: source("ElastiCacheClusterNonDefaultPort", "Noncompliance 1"), resource: cfnCluster("rAec", { engine: "memcached", port: 11211 }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC5", verdict: "fail", source: source("ElastiCacheClusterNonDefaultPort", "Noncompliance 2"), resource: cfnGroup("rRedisGroup", { engine: "redis", port: 6379 }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC5", verdict: "fail", source: source("ElastiCacheClusterNonDefaultPort", "Noncompliance 3"), resource: cfnCluster("CacheCluster", { engine: "redis", port: 6379 }) },
    { peer: "cdk-nag", control: "AwsSolutions-AEC5", verdict: "pass", source: source("ElastiCacheClusterNonDefaultPort", "Compliance", "CfnCacheCluster"), resource: cfnCluster("rAec", { engine: "memcached", port: 42 }) },
    {
        peer: "cdk-nag", control: "AwsSolutions-AEC5", verdict: "pass", source: source("ElastiCacheClusterNonDefaultPort", "Compliance", "CfnReplicationGroup"),
        resource: cfnGroup("rRedisGroup", { subnetGroupName: "lorem", multiAzEnabled: true, port: 42 }),
    },
    // AwsSolutions-AEC6, ElastiCacheRedisClusterRedisAuth: an AUTH token is set.
    { peer: "cdk-nag", control: "AwsSolutions-AEC6", verdict: "fail", source: source("ElastiCacheRedisClusterRedisAuth", "Noncompliance 1"), resource: cfnGroup("rRedisGroup", { engine: "redis" }) },
    {
        peer: "cdk-nag", control: "AwsSolutions-AEC6", verdict: "pass", source: source("ElastiCacheRedisClusterRedisAuth", "Compliance"),
        resource: cfnGroup("rRedisGroup", { subnetGroupName: "lorem", transitEncryptionEnabled: true, authToken: "a-secret-from-secrets-manager", port: 42 }),
    },
    // ElastiCacheRedisClusterAutomaticBackup (HIPAA Security, NIST 800-53 R4 and R5 packs): at least 15 days.
    {
        peer: "cdk-nag", control: "ElastiCacheRedisClusterAutomaticBackup", verdict: "fail", source: source("ElastiCacheRedisClusterAutomaticBackup", "Noncompliance 1"),
        resource: cfnCluster("rAec", { engine: "redis", snapshotRetentionLimit: 14, port: 11211 }),
    },
    { peer: "cdk-nag", control: "ElastiCacheRedisClusterAutomaticBackup", verdict: "fail", source: source("ElastiCacheRedisClusterAutomaticBackup", "Noncompliance 2"), resource: cfnGroup("rAecGroup", { engine: "redis" }) },
    {
        peer: "cdk-nag", control: "ElastiCacheRedisClusterAutomaticBackup", verdict: "pass", source: source("ElastiCacheRedisClusterAutomaticBackup", "Compliance", "CfnCacheCluster"),
        resource: cfnCluster("rAec", { engine: "redis", snapshotRetentionLimit: 16, port: 42 }),
    },
    {
        peer: "cdk-nag", control: "ElastiCacheRedisClusterAutomaticBackup", verdict: "pass", source: source("ElastiCacheRedisClusterAutomaticBackup", "Compliance", "CfnReplicationGroup"),
        resource: cfnGroup("rAecGroup", { engine: "redis", snapshotRetentionLimit: 16 }),
    },
];
