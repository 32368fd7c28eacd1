/**
 * KICS queries on ElastiCache (Checkmarx/kics, assets/queries/terraform/aws/<query>/test/): each
 * positive*.tf must be reported, each negative*.tf not. Controls are named by the query's folder.
 * Left out: `redis_disabled` (it fails every engine but "redis", Valkey included: a choice of engine,
 * not a setting) and `elasticache_nodes_not_created_across_multi_az` (memcached only).
 */
import { PeerCase, cluster, group } from "../case";

const DIR = "Checkmarx/kics assets/queries/terraform/aws";

/** The queries' aws_elasticache_cluster: one cache.m5.large node with a custom parameter group. */
function kicsCluster(name: string, extra: Parameters<typeof cluster>[1]) {
    return cluster(name, { clusterId: "cluster", nodeType: "cache.m5.large", numCacheNodes: 1, parameterGroupName: "cache-params", ...extra });
}

/** The encryption queries' replication group (Terraform AWS provider 3.x argument names). */
function kicsGroup(name: string, extra: Parameters<typeof group>[1]) {
    return group(name, {
        automaticFailoverEnabled: true, preferredCacheClusterAzs: ["us-west-2a", "us-west-2b"], replicationGroupId: "tf-rep-group-1",
        description: "test description", nodeType: "cache.m4.large", numCacheClusters: 2, port: 6379, ...extra,
    });
}

const PORT = "elasticache_using_default_port";
const BACKUP = "elasticache_redis_cluster_without_backup";
const AT_REST = "elasticache_replication_group_not_encrypted_at_rest";
const TRANSIT = "elasticache_replication_group_not_encrypted_at_transit";
const VPC = "elasticache_without_vpc";
const VERSION = "redis_not_compliant";

export const KICS_CASES: PeerCase[] = [
    { peer: "KICS", control: PORT, verdict: "fail", source: `${DIR}/${PORT}/test/positive1.tf`, resource: kicsCluster("positive1", { engine: "redis" }) },
    { peer: "KICS", control: PORT, verdict: "fail", source: `${DIR}/${PORT}/test/positive2.tf`, resource: kicsCluster("positive2", { engine: "memcached" }) },
    { peer: "KICS", control: PORT, verdict: "fail", source: `${DIR}/${PORT}/test/positive3.tf`, resource: kicsCluster("positive3", { engine: "redis", port: 6379 }) },
    { peer: "KICS", control: PORT, verdict: "fail", source: `${DIR}/${PORT}/test/positive4.tf`, resource: kicsCluster("positive4", { engine: "memcached", port: 11211 }) },
    { peer: "KICS", control: PORT, verdict: "pass", source: `${DIR}/${PORT}/test/negative1.tf`, resource: kicsCluster("negative1", { engine: "redis", port: 6380 }) },
    { peer: "KICS", control: PORT, verdict: "pass", source: `${DIR}/${PORT}/test/negative2.tf`, resource: kicsCluster("negative2", { engine: "memcached", port: 11212 }) },

    { peer: "KICS", control: BACKUP, verdict: "fail", source: `${DIR}/${BACKUP}/test/positive.tf: positive1`, resource: kicsCluster("positive1", { engine: "redis" }) },
    { peer: "KICS", control: BACKUP, verdict: "fail", source: `${DIR}/${BACKUP}/test/positive.tf: positive2`, resource: kicsCluster("positive2", { engine: "redis", snapshotRetentionLimit: 0 }) },
    { peer: "KICS", control: BACKUP, verdict: "pass", source: `${DIR}/${BACKUP}/test/negative.tf`, resource: kicsCluster("negative1", { engine: "redis", snapshotRetentionLimit: 5 }) },

    { peer: "KICS", control: AT_REST, verdict: "fail", source: `${DIR}/${AT_REST}/test/positive1.tf`, resource: kicsGroup("example", { parameterGroupName: "default.redis3.2" }) },
    { peer: "KICS", control: AT_REST, verdict: "fail", source: `${DIR}/${AT_REST}/test/positive2.tf`, resource: kicsGroup("example2", { atRestEncryptionEnabled: false }) },
    { peer: "KICS", control: AT_REST, verdict: "pass", source: `${DIR}/${AT_REST}/test/negative.tf`, resource: kicsGroup("example3", { atRestEncryptionEnabled: true }) },

    { peer: "KICS", control: TRANSIT, verdict: "fail", source: `${DIR}/${TRANSIT}/test/positive1.tf`, resource: kicsGroup("example", {}) },
    { peer: "KICS", control: TRANSIT, verdict: "fail", source: `${DIR}/${TRANSIT}/test/positive2.tf`, resource: kicsGroup("example", { parameterGroupName: "default.redis3.2", transitEncryptionEnabled: false }) },
    {
        peer: "KICS", control: TRANSIT, verdict: "pass", source: `${DIR}/${TRANSIT}/test/negative1.tf`,
        resource: kicsGroup("example3", { parameterGroupName: "default.redis3.2", atRestEncryptionEnabled: true, transitEncryptionEnabled: true }),
    },

    { peer: "KICS", control: VPC, verdict: "fail", source: `${DIR}/${VPC}/test/positive.tf`, resource: cluster("positive1", { clusterId: "cluster-example", engine: "memcached", nodeType: "cache.m4.large", numCacheNodes: 2, port: 11211 }) },
    {
        peer: "KICS", control: VPC, verdict: "pass", source: `${DIR}/${VPC}/test/negative.tf`,
        resource: cluster("negative1", { clusterId: "cluster-example", engine: "memcached", nodeType: "cache.m4.large", numCacheNodes: 2, port: 11211, subnetGroupName: "subnet-group-from-a-variable" }),
    },

    { peer: "KICS", control: VERSION, verdict: "fail", source: `${DIR}/${VERSION}/test/positive.tf`, resource: cluster("positive1", { clusterId: "cluster-example", engine: "redis", nodeType: "cache.m4.large", numCacheNodes: 1, engineVersion: "2.6.13", port: 6379 }) },
    {
        peer: "KICS", control: VERSION, verdict: "pass", source: `${DIR}/${VERSION}/test/negative.tf`,
        resource: cluster("negative_example", { clusterId: "cluster-example", engine: "redis", nodeType: "cache.m4.large", numCacheNodes: 1, parameterGroupName: "default.redis3.2", engineVersion: "5.0.0", port: 6379 }),
    },
];
