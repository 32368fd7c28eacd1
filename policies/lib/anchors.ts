/**
 * The external controls each rule corresponds to, in one place. Rule descriptions are built from this
 * table and the README's anchor table must list the same ids (a test keeps them in step).
 *
 * checkov ids are the Terraform checks (@pulumi/aws wraps the Terraform AWS provider); a few ids mean
 * something else in checkov's CloudFormation checks.
 */

export type Framework = "Security Hub" | "AWS Config" | "checkov" | "trivy";

export interface Anchor {
    framework: Framework;
    id: string;
}

const sh = (id: string): Anchor => ({ framework: "Security Hub", id });
const config = (id: string): Anchor => ({ framework: "AWS Config", id });
const checkov = (id: string): Anchor => ({ framework: "checkov", id });
const trivy = (id: string): Anchor => ({ framework: "trivy", id });

export const ANCHORS: Readonly<Record<string, readonly Anchor[]>> = {
    "elasticache-encryption-at-rest": [
        sh("ElastiCache.4"), config("elasticache-repl-grp-encrypted-at-rest"),
        checkov("CKV_AWS_29"), checkov("CKV_AWS_191"), trivy("AVD-AWS-0045"),
    ],
    "elasticache-encryption-in-transit": [
        sh("ElastiCache.5"), config("elasticache-repl-grp-encrypted-in-transit"),
        checkov("CKV_AWS_30"), checkov("CKV_AWS_31"), trivy("AVD-AWS-0051"),
    ],
    "elasticache-authentication": [
        sh("ElastiCache.6"), config("elasticache-repl-grp-redis-auth-enabled"), config("elasticache-rbac-auth-enabled"),
        checkov("CKV_AWS_31"),
    ],
    "elasticache-user-group-default-user": [],
    "elasticache-cluster-mode-enabled": [],
    "elasticache-multi-az-failover": [
        sh("ElastiCache.3"), config("elasticache-repl-grp-auto-failover-enabled"), checkov("CKV2_AWS_50"),
    ],
    "elasticache-replicas-per-shard": [],
    "elasticache-shard-count": [],
    "elasticache-snapshot-retention": [
        sh("ElastiCache.1"), config("elasticache-redis-cluster-automatic-backup-check"), config("elasticache-automatic-backup-check-enabled"),
        checkov("CKV_AWS_134"), trivy("AVD-AWS-0050"),
    ],
    "elasticache-snapshot-window": [],
    "elasticache-final-snapshot": [],
    "elasticache-auto-minor-version-upgrade": [
        sh("ElastiCache.2"), config("elasticache-auto-minor-version-upgrade-check"), checkov("CKV_AWS_322"),
    ],
    "elasticache-engine-version": [config("elasticache-supported-engine-version")],
    "elasticache-log-delivery": [],
    "elasticache-event-notifications": [],
    "elasticache-no-default-subnet-group": [
        sh("ElastiCache.7"), config("elasticache-subnet-group-check"), checkov("CKV_AWS_323"),
    ],
    "elasticache-port-not-public": [],
    "elasticache-no-legacy-security-group": [checkov("CKV_AWS_196")],
    "global-datastore-eligibility": [],
    "global-datastore-regions": [],
    "global-datastore-primary-compliant": [],
    "global-datastore-lag-alarms": [],
    "stateful-resources-protected": [],
};

/** "(Security Hub ElastiCache.4; AWS Config ...; checkov CKV_AWS_29, CKV_AWS_191)" for a description. */
export function anchorText(anchors: readonly Anchor[]): string {
    if (anchors.length === 0) {
        return "(pack-specific: no Security Hub, AWS Config, checkov or trivy control covers it)";
    }
    const byFramework = new Map<Framework, string[]>();
    for (const a of anchors) {
        byFramework.set(a.framework, [...(byFramework.get(a.framework) ?? []), a.id]);
    }
    return `(${[...byFramework].map(([framework, ids]) => `${framework} ${ids.join(", ")}`).join("; ")})`;
}
