/**
 * checkov's own tests of its ElastiCache checks for Terraform (bridgecrewio/checkov, tests/terraform/
 * checks/resource/aws/ and tests/terraform/graph/checks/resources/), translated to @pulumi/aws v7
 * inputs. Terraform's `replication_group_description` and `number_cache_clusters` are v7's
 * `description` and `numCacheClusters`; `availability_zones` is `preferredCacheClusterAzs`; a
 * reference to another resource becomes the value it resolves to.
 */
import { PeerCase, KEY_ARN, cluster, group, legacyCacheSecurityGroup } from "../case";

const REPO = "bridgecrewio/checkov";
const RESOURCE_TESTS = `${REPO} tests/terraform/checks/resource/aws`;

/** The replication group of checkov's unit tests of CKV_AWS_29 and CKV_AWS_30 (a conf dict, no .tf file). */
function unitTestGroup(changes: { atRest?: boolean; transit?: boolean }): PeerCase["resource"]["props"] {
    return group("tf-rep-group-1", {
        automaticFailoverEnabled: true,
        preferredCacheClusterAzs: ["us-west-2a", "us-west-2b"],
        replicationGroupId: "tf-rep-group-1",
        description: "test description",
        nodeType: "cache.m4.large",
        numCacheClusters: 2,
        parameterGroupName: "default.redis3.2",
        port: 6379,
        authToken: "auth-token-from-a-variable",
        ...(changes.atRest === undefined ? {} : { atRestEncryptionEnabled: changes.atRest }),
        ...(changes.transit === undefined ? {} : { transitEncryptionEnabled: changes.transit }),
    }).props;
}

const at = (path: string, what: string) => `${RESOURCE_TESTS}/${path}: ${what}`;

/** aws_elasticache_cluster of the CKV_AWS_134 and CKV_AWS_322 examples: Redis, cache.m5.large, one node. */
function exampleCluster(name: string, extra: Parameters<typeof cluster>[1] = {}) {
    return cluster(name, { clusterId: "cluster", engine: "redis", nodeType: "cache.m5.large", numCacheNodes: 1, parameterGroupName: "default.redis6.x", ...extra });
}

const memcached = cluster("memcached", { clusterId: "cluster", engine: "memcached", nodeType: "cache.m5.large", numCacheNodes: 1, parameterGroupName: "default.memcached1.6 " });

/** The failover graph check's replication group (CKV2_AWS_50). */
function failoverGroup(name: string, failover?: boolean) {
    return group(name, {
        ...(failover === undefined ? {} : { automaticFailoverEnabled: failover }),
        preferredCacheClusterAzs: ["us-west-2a", "us-west-2b"],
        replicationGroupId: "tf-rep-group-1",
        description: "example description",
        nodeType: "cache.m4.large",
        numCacheClusters: 2,
        parameterGroupName: "default.redis3.2",
        port: 6379,
    });
}

/** CKV_AWS_31's example groups. */
function authGroup(name: string, props: Parameters<typeof group>[1]) {
    return group(name, { automaticFailoverEnabled: true, replicationGroupId: "tf-rep-group-2", nodeType: "cache.m4.large", parameterGroupName: "default.redis3.2", port: 6379, ...props });
}

const CKV_AWS_31 = "example_ElasticacheReplicationGroupEncryptionAtTransitAuthToken/main.tf";
const CKV_AWS_134 = "example_ElasticCacheAutomaticBackup/main.tf";
const CKV_AWS_322 = "example_ElasticCacheAutomaticMinorUpgrades/main.tf";

export const CHECKOV_CASES: PeerCase[] = [
    // CKV_AWS_29: at_rest_encryption_enabled must be true.
    ...([["test_success", true, "pass"], ["test_failure", false, "fail"], ["test_failure_on_missing_property", undefined, "fail"]] as const).map(([test, atRest, verdict]): PeerCase => ({
        peer: "checkov", control: "CKV_AWS_29", verdict,
        source: at("test_ElasticacheReplicationGroupEncryptionAtRest.py", test),
        resource: { ...group("tf-rep-group-1", {}), props: unitTestGroup({ atRest, transit: true }) },
    })),
    // CKV_AWS_30: transit_encryption_enabled must be true.
    ...([["test_success", true, true, "pass"], ["test_failure", false, false, "fail"], ["test_failure_on_missing_property", undefined, undefined, "fail"]] as const).map(([test, atRest, transit, verdict]): PeerCase => ({
        peer: "checkov", control: "CKV_AWS_30", verdict,
        source: at("test_ElasticacheReplicationGroupEncryptionAtTransit.py", test),
        resource: { ...group("tf-rep-group-1", {}), props: unitTestGroup({ atRest, transit }) },
    })),
    // CKV_AWS_31: transit encryption, and auth_token or (since May 2024, bridgecrewio/checkov#6224) user_group_ids.
    {
        peer: "checkov", control: "CKV_AWS_31", verdict: "pass", source: at(CKV_AWS_31, "pass"),
        resource: authGroup("pass", { replicationGroupId: "tf-rep-group-1", atRestEncryptionEnabled: true, transitEncryptionEnabled: true, authToken: "auth-token-from-a-variable" }),
    },
    {
        peer: "checkov", control: "CKV_AWS_31", verdict: "pass", source: at(CKV_AWS_31, "pass2"),
        resource: group("pass2", { replicationGroupId: "sample", description: "Sample Redis replication group", engine: "redis", transitEncryptionEnabled: true, userGroupIds: ["sample-group-id"] }),
    },
    {
        peer: "checkov", control: "CKV_AWS_31", verdict: "fail", source: at(CKV_AWS_31, "fail"),
        resource: authGroup("fail", { atRestEncryptionEnabled: false, transitEncryptionEnabled: false }),
    },
    {
        peer: "checkov", control: "CKV_AWS_31", verdict: "fail", source: at(CKV_AWS_31, "fail2"),
        resource: authGroup("fail2", { atRestEncryptionEnabled: false, transitEncryptionEnabled: false, userGroupIds: ["sample-group-id"] }),
    },
    {
        peer: "checkov", control: "CKV_AWS_31", verdict: "fail", source: at(CKV_AWS_31, "fail3"),
        resource: authGroup("fail3", { atRestEncryptionEnabled: false, transitEncryptionEnabled: true }),
    },
    // CKV_AWS_134: snapshot_retention_limit set and not 0 on Redis clusters; memcached UNKNOWN.
    { peer: "checkov", control: "CKV_AWS_134", verdict: "pass", source: at(CKV_AWS_134, "enabled"), resource: exampleCluster("enabled", { snapshotRetentionLimit: 5 }) },
    { peer: "checkov", control: "CKV_AWS_134", verdict: "fail", source: at(CKV_AWS_134, "default"), resource: exampleCluster("default") },
    { peer: "checkov", control: "CKV_AWS_134", verdict: "fail", source: at(CKV_AWS_134, "disabled"), resource: exampleCluster("disabled", { snapshotRetentionLimit: 0 }) },
    { peer: "checkov", control: "CKV_AWS_134", verdict: "skip", source: at(CKV_AWS_134, "memcached (UNKNOWN)"), resource: memcached },
    // CKV_AWS_191: kms_key_id set.
    {
        peer: "checkov", control: "CKV_AWS_191", verdict: "pass",
        source: at("example_ElasticacheReplicationGroupEncryptedWithCMK/aws_elasticache_replication_group.tf", "pass"),
        resource: group("pass", {
            replicationGroupId: "tf-cmk", description: "test description", nodeType: "cache.t2.micro", numCacheClusters: 1, port: 6379,
            subnetGroupName: "bar", securityGroupIds: ["sg-0bar"], parameterGroupName: "default.redis3.2", engineVersion: "3.2.6",
            atRestEncryptionEnabled: true, kmsKeyId: KEY_ARN,
        }),
    },
    {
        peer: "checkov", control: "CKV_AWS_191", verdict: "fail",
        source: at("example_ElasticacheReplicationGroupEncryptedWithCMK/aws_elasticache_replication_group.tf", "fail"),
        resource: group("fail", {
            replicationGroupId: "tf-cmk", description: "test description", nodeType: "cache.t2.micro", numCacheClusters: 1, port: 6379,
            subnetGroupName: "bar", securityGroupIds: ["sg-0bar"], parameterGroupName: "default.redis3.2", engineVersion: "3.2.6",
            atRestEncryptionEnabled: true,
        }),
    },
    // CKV_AWS_196: no aws_elasticache_security_group at all.
    {
        peer: "checkov", control: "CKV_AWS_196", verdict: "fail", source: at("example_ElasticacheHasSecurityGroup/main.tf", "exists"),
        resource: legacyCacheSecurityGroup("elasticache-security-group", { securityGroupNames: ["security-group"] }),
    },
    // CKV_AWS_322: auto_minor_version_upgrade not false (missing passes); memcached UNKNOWN.
    { peer: "checkov", control: "CKV_AWS_322", verdict: "pass", source: at(CKV_AWS_322, "pass"), resource: exampleCluster("pass", { autoMinorVersionUpgrade: "true", snapshotRetentionLimit: 5 }) },
    { peer: "checkov", control: "CKV_AWS_322", verdict: "pass", source: at(CKV_AWS_322, "pass2"), resource: exampleCluster("pass2") },
    { peer: "checkov", control: "CKV_AWS_322", verdict: "fail", source: at(CKV_AWS_322, "fail"), resource: exampleCluster("fail", { autoMinorVersionUpgrade: "false", snapshotRetentionLimit: 0 }) },
    { peer: "checkov", control: "CKV_AWS_322", verdict: "skip", source: at(CKV_AWS_322, "memcached (UNKNOWN)"), resource: memcached },
    // CKV_AWS_323: subnet_group_name set. (Its test_ElastiCacheHasCustomSubnet.py is empty; the example names its resources pass and fail.)
    {
        peer: "checkov", control: "CKV_AWS_323", verdict: "pass", source: at("example_ElastiCacheHasCustomSubnet/main.tf", "pass"),
        resource: exampleCluster("pass", { subnetGroupName: "mysubnet", snapshotRetentionLimit: 5 }),
    },
    {
        peer: "checkov", control: "CKV_AWS_323", verdict: "fail", source: at("example_ElastiCacheHasCustomSubnet/main.tf", "fail"),
        resource: exampleCluster("fail", { snapshotRetentionLimit: 0 }),
    },
    // CKV2_AWS_50: automatic_failover_enabled equals true.
    ...([["pass", true, "pass"], ["fail_1", undefined, "fail"], ["fail_2", false, "fail"]] as const).map(([name, failover, verdict]): PeerCase => ({
        peer: "checkov", control: "CKV2_AWS_50", verdict,
        source: `${REPO} tests/terraform/graph/checks/resources/ElastiCacheRedisConfiguredAutomaticFailOver/main.tf: ${name} (expected.yaml)`,
        resource: failoverGroup(name, failover),
    })),
];
