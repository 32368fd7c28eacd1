/**
 * The AWS Guard Rules Registry's ElastiCache rules (aws-cloudformation/aws-guard-rules-registry,
 * rules/aws/elasticache/tests/*_tests.yml), translated from CloudFormation. The suppression cases
 * (cfn_nag and guard metadata) test the suppression mechanism, which has no Pulumi counterpart, and
 * are left out.
 */
import { PeerCase, group } from "../case";

const DIR = "aws-cloudformation/aws-guard-rules-registry rules/aws/elasticache/tests";
const AT_REST = "ELASTICACHE_REPLICATION_GROUP_ENCRYPTION_AT_REST";
const TRANSIT = "ELASTICACHE_REPLICATION_GROUP_ENCRYPTION_IN_TRANSIT";

/** The replication group all the registry's ElastiCache tests use. */
function registryGroup(name: string, engineVersion: string, extra: Parameters<typeof group>[1]) {
    return group(name, {
        description: "my description", numCacheClusters: 2, engine: "redis", nodeType: "cache.m3.medium", automaticFailoverEnabled: true,
        subnetGroupName: "subnetgroup", engineVersion, maintenanceWindow: "wed:09:25-wed:22:30", snapshotRetentionLimit: 4, snapshotWindow: "03:30-05:30",
        ...extra,
    });
}

const NO_TLS_BEFORE_3_2_6 = "Redis OSS before 3.2.6 has no in-transit encryption, so every client talks to it in plain text; the registry " +
    "skips such groups instead of failing them, and the pack keeps failing a group without TLS";

export const GUARD_RULES_CASES: PeerCase[] = [
    { peer: "guard rules", control: AT_REST, verdict: "fail", source: `${DIR}/elasticache_replication_group_encryption_at_rest_tests.yml: default AtRestEncryptionEnabled (false)`, resource: registryGroup("myReplicationGroup", "2.8.6", {}) },
    { peer: "guard rules", control: AT_REST, verdict: "fail", source: `${DIR}/elasticache_replication_group_encryption_at_rest_tests.yml: AtRestEncryptionEnabled = false`, resource: registryGroup("myReplicationGroup", "2.8.6", { atRestEncryptionEnabled: false }) },
    { peer: "guard rules", control: AT_REST, verdict: "pass", source: `${DIR}/elasticache_replication_group_encryption_at_rest_tests.yml: AtRestEncryptionEnabled = true`, resource: registryGroup("myReplicationGroup", "2.8.6", { atRestEncryptionEnabled: true }) },
    {
        peer: "guard rules", control: TRANSIT, verdict: "skip", source: `${DIR}/elasticache_replication_group_transit_encryption_tests.yml: old (ignored) version 2.x`,
        resource: registryGroup("myReplicationGroup", "2.8.6", {}), peerWrong: { ours: "fail", why: NO_TLS_BEFORE_3_2_6 },
    },
    {
        peer: "guard rules", control: TRANSIT, verdict: "skip", source: `${DIR}/elasticache_replication_group_transit_encryption_tests.yml: old (ignored) version 3.x`,
        resource: registryGroup("myReplicationGroup", "3.2.5", {}), peerWrong: { ours: "fail", why: NO_TLS_BEFORE_3_2_6 },
    },
    { peer: "guard rules", control: TRANSIT, verdict: "fail", source: `${DIR}/elasticache_replication_group_transit_encryption_tests.yml: default to false`, resource: registryGroup("myReplicationGroup", "4.0.10", {}) },
    {
        peer: "guard rules", control: TRANSIT, verdict: "fail", source: `${DIR}/elasticache_replication_group_transit_encryption_tests.yml: TransitEncryptionEnabled = false`,
        resource: registryGroup("myReplicationGroup", "4.0.10", { atRestEncryptionEnabled: false, transitEncryptionEnabled: false }),
    },
    {
        peer: "guard rules", control: TRANSIT, verdict: "pass", source: `${DIR}/elasticache_replication_group_transit_encryption_tests.yml: TransitEncryptionEnabled = true`,
        resource: registryGroup("myReplicationGroup", "4.0.10", { atRestEncryptionEnabled: true, transitEncryptionEnabled: true }),
    },
];
