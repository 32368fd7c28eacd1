/**
 * trivy's ElastiCache checks (aquasecurity/trivy-checks, checks/cloud/aws/elasticache/): the good and
 * bad examples of each check's .yaml (Terraform, and CloudFormation where it adds a case) and its
 * _test.rego unit tests, whose inputs hold only the attribute under test.
 */
import { PeerCase, cluster, group, legacyCacheSecurityGroup } from "../case";

const DIR = "aquasecurity/trivy-checks checks/cloud/aws/elasticache";

const NO_SNAPSHOTS_ON_T1_MICRO = "cache.t1.micro cannot take snapshots at all, so the cache has no recovery point; trivy skips the node type " +
    "instead of failing it, and the pack keeps failing a Redis cache without automatic backups";

export const TRIVY_CASES: PeerCase[] = [
    // AVD-AWS-0045: replication groups encrypted at rest.
    { peer: "trivy", control: "AVD-AWS-0045", verdict: "pass", source: `${DIR}/enable_at_rest_encryption.yaml: terraform good`, resource: group("good_example", { replicationGroupId: "foo", description: "my foo cluster", atRestEncryptionEnabled: true }) },
    { peer: "trivy", control: "AVD-AWS-0045", verdict: "fail", source: `${DIR}/enable_at_rest_encryption.yaml: terraform bad`, resource: group("bad_example", { replicationGroupId: "foo", description: "my foo cluster", atRestEncryptionEnabled: false }) },
    { peer: "trivy", control: "AVD-AWS-0045", verdict: "pass", source: `${DIR}/enable_at_rest_encryption_test.rego: test_allow_with_encryption_enabled`, resource: group("allow", { atRestEncryptionEnabled: true }) },
    { peer: "trivy", control: "AVD-AWS-0045", verdict: "fail", source: `${DIR}/enable_at_rest_encryption_test.rego: test_deny_with_encryption_disabled`, resource: group("deny", { atRestEncryptionEnabled: false }) },
    // AVD-AWS-0049: (EC2-Classic) cache security groups have a description.
    { peer: "trivy", control: "AVD-AWS-0049", verdict: "pass", source: `${DIR}/add_description_for_security_group.yaml: terraform good`, resource: legacyCacheSecurityGroup("good_example", { description: "something" }) },
    { peer: "trivy", control: "AVD-AWS-0049", verdict: "fail", source: `${DIR}/add_description_for_security_group.yaml: terraform bad`, resource: legacyCacheSecurityGroup("bad_example", { description: "" }) },
    { peer: "trivy", control: "AVD-AWS-0049", verdict: "fail", source: `${DIR}/add_description_for_security_group.yaml: cloudformation bad (no Description)`, resource: legacyCacheSecurityGroup("BadExample", {}) },
    { peer: "trivy", control: "AVD-AWS-0049", verdict: "pass", source: `${DIR}/add_description_for_security_group_test.rego: test_allow_sg_with_description`, resource: legacyCacheSecurityGroup("allow", { description: "sg description" }) },
    { peer: "trivy", control: "AVD-AWS-0049", verdict: "fail", source: `${DIR}/add_description_for_security_group_test.rego: test_deny_sg_without_description`, resource: legacyCacheSecurityGroup("deny", { description: "" }) },
    // AVD-AWS-0050: Redis clusters keep snapshots (retention not 0), except on cache.t1.micro.
    { peer: "trivy", control: "AVD-AWS-0050", verdict: "pass", source: `${DIR}/enable_backup_retention.yaml: terraform good (redis, retention 5)`, resource: cluster("good_example", { engine: "redis", nodeType: "cache.m4.large", snapshotRetentionLimit: 5 }) },
    { peer: "trivy", control: "AVD-AWS-0050", verdict: "pass", source: `${DIR}/enable_backup_retention.yaml: terraform good (memcached)`, resource: cluster("good_memcached", { engine: "memcached", nodeType: "cache.m4.large" }) },
    {
        peer: "trivy", control: "AVD-AWS-0050", verdict: "pass", source: `${DIR}/enable_backup_retention.yaml: terraform good (redis on cache.t1.micro)`,
        resource: cluster("good_t1_micro", { engine: "redis", nodeType: "cache.t1.micro" }), peerWrong: { ours: "fail", why: NO_SNAPSHOTS_ON_T1_MICRO },
    },
    { peer: "trivy", control: "AVD-AWS-0050", verdict: "fail", source: `${DIR}/enable_backup_retention.yaml: terraform bad`, resource: cluster("bad_example", { engine: "redis", nodeType: "cache.m4.large" }) },
    { peer: "trivy", control: "AVD-AWS-0050", verdict: "pass", source: `${DIR}/enable_backup_retention_test.rego: test_allow_retention_limit_greater_than_zero`, resource: cluster("allow", { engine: "redis", nodeType: "cache.t3.micro", snapshotRetentionLimit: 1 }) },
    { peer: "trivy", control: "AVD-AWS-0050", verdict: "pass", source: `${DIR}/enable_backup_retention_test.rego: test_allow_retention_limit_zero_but_engine_is_not_redis`, resource: cluster("allow_memcached", { engine: "memcached", nodeType: "cache.t3.micro", snapshotRetentionLimit: 0 }) },
    {
        peer: "trivy", control: "AVD-AWS-0050", verdict: "pass", source: `${DIR}/enable_backup_retention_test.rego: test_allow_retention_limit_zero_but_nodetype_is_t1micro`,
        resource: cluster("allow_t1_micro", { engine: "redis", nodeType: "cache.t1.micro", snapshotRetentionLimit: 0 }), peerWrong: { ours: "fail", why: NO_SNAPSHOTS_ON_T1_MICRO },
    },
    { peer: "trivy", control: "AVD-AWS-0050", verdict: "fail", source: `${DIR}/enable_backup_retention_test.rego: test_deny_retention_limit_zero`, resource: cluster("deny", { engine: "redis", nodeType: "cache.t3.micro", snapshotRetentionLimit: 0 }) },
    // AVD-AWS-0051: replication groups encrypted in transit.
    { peer: "trivy", control: "AVD-AWS-0051", verdict: "pass", source: `${DIR}/enable_in_transit_encryption.yaml: terraform good`, resource: group("good_example", { transitEncryptionEnabled: true }) },
    { peer: "trivy", control: "AVD-AWS-0051", verdict: "fail", source: `${DIR}/enable_in_transit_encryption.yaml: terraform bad`, resource: group("bad_example", { transitEncryptionEnabled: false }) },
    { peer: "trivy", control: "AVD-AWS-0051", verdict: "fail", source: `${DIR}/enable_in_transit_encryption.yaml: cloudformation bad (no TransitEncryptionEnabled)`, resource: group("BadExample", {}) },
    { peer: "trivy", control: "AVD-AWS-0051", verdict: "pass", source: `${DIR}/enable_in_transit_encryption_test.rego: test_allow_encyption_enabled`, resource: group("allow", { transitEncryptionEnabled: true }) },
    { peer: "trivy", control: "AVD-AWS-0051", verdict: "fail", source: `${DIR}/enable_in_transit_encryption_test.rego: test_deny_encyption_disabled`, resource: group("deny", { transitEncryptionEnabled: false }) },
];
