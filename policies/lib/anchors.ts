/**
 * The external controls each rule corresponds to, in one place. Rule descriptions are built from this
 * table, the README's anchor table must list the same ids (a test keeps them in step), the profiles in
 * config/profiles/ turn on exactly the rules anchored to their scanner, and `npm run plan --
 * --compliance` reports each control by the rule that answers it.
 *
 * Every control is answered by exactly one rule, so that a profile can reproduce its scanner's verdict
 * control by control. The one exception is JOINT_CONTROLS: a peer check that tests two settings the
 * pack keeps in two rules.
 *
 * checkov ids are its Terraform checks (@pulumi/aws wraps the Terraform AWS provider). KICS controls
 * are named by their query's folder, cdk-nag's by the rule id its packs report.
 */

export type Framework = "Security Hub" | "AWS Config" | "Control Tower" | "checkov" | "trivy" | "KICS" | "cdk-nag" | "guard rules";

export interface Anchor {
    framework: Framework;
    id: string;
}

const sh = (id: string): Anchor => ({ framework: "Security Hub", id });
const config = (id: string): Anchor => ({ framework: "AWS Config", id });
const ct = (id: string): Anchor => ({ framework: "Control Tower", id });
const checkov = (id: string): Anchor => ({ framework: "checkov", id });
const trivy = (id: string): Anchor => ({ framework: "trivy", id });
const kics = (id: string): Anchor => ({ framework: "KICS", id });
const nag = (id: string): Anchor => ({ framework: "cdk-nag", id });
const guard = (id: string): Anchor => ({ framework: "guard rules", id });

/** cdk-nag's AwsSolutions-AEC3 requires encryption at rest and in transit in one check. */
export const JOINT_CONTROLS: readonly string[] = ["cdk-nag AwsSolutions-AEC3"];

export const ANCHORS: Readonly<Record<string, readonly Anchor[]>> = {
    "elasticache-encryption-at-rest": [
        sh("ElastiCache.4"), config("elasticache-repl-grp-encrypted-at-rest"), checkov("CKV_AWS_29"), trivy("AVD-AWS-0045"),
        kics("elasticache_replication_group_not_encrypted_at_rest"), nag("AwsSolutions-AEC3"), guard("ELASTICACHE_REPLICATION_GROUP_ENCRYPTION_AT_REST"),
    ],
    "elasticache-encryption-at-rest-cmk": [checkov("CKV_AWS_191")],
    "elasticache-encryption-in-transit": [
        sh("ElastiCache.5"), config("elasticache-repl-grp-encrypted-in-transit"), checkov("CKV_AWS_30"), trivy("AVD-AWS-0051"),
        kics("elasticache_replication_group_not_encrypted_at_transit"), nag("AwsSolutions-AEC3"), guard("ELASTICACHE_REPLICATION_GROUP_ENCRYPTION_IN_TRANSIT"),
    ],
    "elasticache-authentication": [checkov("CKV_AWS_31"), nag("AwsSolutions-AEC6")],
    "elasticache-auth-token": [sh("ElastiCache.6"), config("elasticache-repl-grp-redis-auth-enabled")],
    "elasticache-rbac-user-group": [config("elasticache-rbac-auth-enabled")],
    "elasticache-user-group-default-user": [],
    "elasticache-cluster-mode-enabled": [],
    "elasticache-automatic-failover": [sh("ElastiCache.3"), config("elasticache-repl-grp-auto-failover-enabled"), checkov("CKV2_AWS_50")],
    "elasticache-multi-az": [nag("AwsSolutions-AEC4")],
    "elasticache-replicas-per-shard": [],
    "elasticache-shard-count": [],
    "elasticache-automatic-backups": [
        sh("ElastiCache.1"), config("elasticache-automatic-backup-check-enabled"), ct("CT.ELASTICACHE.PR.1"), checkov("CKV_AWS_134"),
        trivy("AVD-AWS-0050"), kics("elasticache_redis_cluster_without_backup"),
    ],
    "elasticache-snapshot-retention": [config("elasticache-redis-cluster-automatic-backup-check"), nag("ElastiCacheRedisClusterAutomaticBackup")],
    "elasticache-snapshot-window": [],
    "elasticache-final-snapshot": [],
    "elasticache-auto-minor-version-upgrade": [sh("ElastiCache.2"), config("elasticache-auto-minor-version-upgrade-check"), checkov("CKV_AWS_322")],
    "elasticache-engine-version": [config("elasticache-supported-engine-version"), kics("redis_not_compliant")],
    "elasticache-log-delivery": [],
    "elasticache-event-notifications": [],
    "elasticache-no-default-subnet-group": [
        sh("ElastiCache.7"), config("elasticache-subnet-group-check"), checkov("CKV_AWS_323"), kics("elasticache_without_vpc"), nag("AwsSolutions-AEC1"),
    ],
    "elasticache-non-default-port": [kics("elasticache_using_default_port"), nag("AwsSolutions-AEC5")],
    "elasticache-port-not-public": [],
    "elasticache-no-legacy-security-group": [checkov("CKV_AWS_196")],
    "elasticache-security-group-description": [trivy("AVD-AWS-0049")],
    "global-datastore-eligibility": [],
    "global-datastore-regions": [],
    "global-datastore-primary-compliant": [],
    "global-datastore-lag-alarms": [],
    "stateful-resources-protected": [],
};

/** "Security Hub ElastiCache.4": how reports and the README name a control. */
export function controlLabel(anchor: Anchor): string {
    return `${anchor.framework} ${anchor.id}`;
}

/** Every control of a framework, with the rule(s) that answer it, in the order the anchors list them. */
export function controlsOf(framework: Framework): { id: string; rules: string[] }[] {
    const controls = new Map<string, string[]>();
    for (const [rule, anchors] of Object.entries(ANCHORS)) {
        for (const a of anchors.filter((x) => x.framework === framework)) {
            controls.set(a.id, [...(controls.get(a.id) ?? []), rule]);
        }
    }
    return [...controls].map(([id, rules]) => ({ id, rules }));
}

/** "(Security Hub ElastiCache.4; AWS Config ...; checkov CKV_AWS_29)" for a description. */
export function anchorText(anchors: readonly Anchor[]): string {
    if (anchors.length === 0) {
        return "(pack-specific: no scanner or AWS control covers it)";
    }
    const byFramework = new Map<Framework, string[]>();
    for (const a of anchors) {
        byFramework.set(a.framework, [...(byFramework.get(a.framework) ?? []), a.id]);
    }
    return `(${[...byFramework].map(([framework, ids]) => `${framework} ${ids.join(", ")}`).join("; ")})`;
}
