/**
 * Human summaries of recorded resources for the offline plan: the settings a reviewer checks first,
 * per resource type. Secrets are shown as [secret].
 */
import { RecordedResource, mapSecrets } from "./run";
import { UNKNOWN } from "./policy/wire";

type Props = Record<string, any>;

const DESCRIBERS: Record<string, (p: Props) => string> = {
    "aws:elasticache/replicationGroup:ReplicationGroup": (p) => {
        if (p.globalReplicationGroupId) {
            return [
                `joins datastore ${p.globalReplicationGroupId}`,
                `${p.replicasPerNodeGroup} replicas/shard`,
                "Multi-AZ and failover from the datastore", `KMS ${short(p.kmsKeyId)}`, auth(p), backups(p), logs(p),
            ].join(", ");
        }
        return [
            `${p.engine} ${p.engineVersion}`, p.nodeType, `cluster mode ${p.clusterMode}`,
            `${p.numNodeGroups} shards x (1 primary + ${p.replicasPerNodeGroup} replicas)`,
            flags(p), `at rest ${p.atRestEncryptionEnabled ? `KMS ${short(p.kmsKeyId)}` : "OFF"}`,
            `in transit ${p.transitEncryptionEnabled ? p.transitEncryptionMode : "OFF"}`,
            auth(p), `port ${p.port}`, `parameter group ${p.parameterGroupName}`, backups(p), logs(p),
        ].join(", ");
    },
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": (p) =>
        `id ${p.globalReplicationGroupId ?? "[unknown]"}, primary at creation ${p.primaryReplicationGroupId}, ${p.cacheNodeType}, ` +
        `engine version ${p.engineVersion}, ${p.numNodeGroups} shards, automatic failover ${p.automaticFailoverEnabled ? "on" : "off"}`,
    // A password makes the whole authentication block secret.
    "aws:elasticache/user:User": (p) =>
        `user ${p.userName} (id ${p.userId}), ${p.authenticationMode?.type ?? "password [secret]"}, access "${p.accessString}"`,
    "aws:elasticache/userGroup:UserGroup": (p) => `group ${p.userGroupId}: ${(p.userIds ?? []).join(", ")}`,
    "aws:elasticache/subnetGroup:SubnetGroup": (p) => `${p.name} on ${Array.isArray(p.subnetIds) ? p.subnetIds.length : "[unknown]"} subnets`,
    "aws:ec2/vpc:Vpc": (p) => `${p.cidrBlock} (new, private only)`,
    "aws:ec2/subnet:Subnet": (p) => `${p.cidrBlock} in ${p.availabilityZone}`,
    "aws:ec2/securityGroup:SecurityGroup": (p) => `${p.name}`,
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (p) =>
        `tcp ${p.fromPort} from ${p.cidrIpv4 ?? p.cidrIpv6 ?? p.referencedSecurityGroupId}`,
    "aws:kms/key:Key": (p) => `customer managed, rotation ${p.enableKeyRotation ? "on" : "off"}, deletion window ${p.deletionWindowInDays} d`,
    "aws:kms/alias:Alias": (p) => `${p.name}`,
    "aws:cloudwatch/logGroup:LogGroup": (p) => `${p.name}, ${p.retentionInDays} d, KMS ${short(p.kmsKeyId)}`,
    // The event topic is unencrypted on purpose: ElastiCache cannot publish to an encrypted topic.
    "aws:sns/topic:Topic": (p) => `${p.name}, ${p.kmsMasterKeyId ? `KMS ${short(p.kmsMasterKeyId)}` : "not encrypted"}`,
    "aws:sns/topicPolicy:TopicPolicy": (p) => topicPolicy(p.policy),
    "aws:sns/topicSubscription:TopicSubscription": (p) => `${p.protocol} ${p.endpoint}`,
    "aws:ssm/parameter:Parameter": (p) => {
        const doc = safeJson(p.insecureValue);
        const shown = doc ? `${doc.role} ${doc.region} ${doc.configurationEndpoint}` : p.insecureValue === "[unknown]" ? "[unknown]" : "[secret]";
        return `${p.name} -> ${shown}`;
    },
    "aws:route53/record:Record": (p) => `${p.name} ${p.type} -> ${(p.records ?? []).join(", ")} (ttl ${p.ttl})`,
    "aws:cloudwatch/dashboard:Dashboard": (p) => `${p.dashboardName}`,
};

function flags(p: Props): string {
    return `Multi-AZ ${p.multiAzEnabled ? "on" : "OFF"}, automatic failover ${p.automaticFailoverEnabled ? "on" : "OFF"}`;
}

function auth(p: Props): string {
    if (p.userGroupIds?.length) {
        return `RBAC ${p.userGroupIds.join(", ")}`;
    }
    return p.authToken ? "AUTH token" : "NO AUTH";
}

function backups(p: Props): string {
    return `snapshots ${p.snapshotRetentionLimit} d at ${p.snapshotWindow}, maintenance ${p.maintenanceWindow}, final snapshot ${p.finalSnapshotIdentifier ?? "NONE"}`;
}

function logs(p: Props): string {
    return `logs ${(p.logDeliveryConfigurations ?? []).map((l: Props) => l.logType).join("+") || "NONE"}`;
}

/** "SNS:Publish by AWS * if AWS:SourceOwner=123456789012": who may do what, under which conditions. */
function topicPolicy(text: unknown): string {
    const doc = safeJson(text);
    if (!doc) {
        return String(text);
    }
    const statements: Props[] = Array.isArray(doc.Statement) ? doc.Statement : [doc.Statement];
    return statements.map((s) => {
        const principal = typeof s.Principal === "object" ? Object.entries(s.Principal).map(([k, v]) => `${k} ${[v].flat().join("+")}`).join(", ") : s.Principal;
        const conditions = Object.values((s.Condition ?? {}) as Record<string, Record<string, unknown>>)
            .flatMap((c) => Object.entries(c).map(([k, v]) => `${k}=${[v].flat().join("|")}`));
        return `${s.Effect === "Deny" ? "deny " : ""}${[s.Action].flat().join("+")} by ${principal}${conditions.length ? ` if ${conditions.join(" and ")}` : ""}`;
    }).join("; ");
}

function short(arn: unknown): string {
    const text = String(arn ?? "none");
    return text.length > 24 ? `...${text.slice(-12)}` : text;
}

function safeJson(text: unknown): Props | undefined {
    try {
        return typeof text === "string" ? JSON.parse(text) : undefined;
    } catch {
        return undefined;
    }
}

/** Every UNKNOWN (a first preview) replaced by "[unknown]", recursively. */
function showUnknowns(value: unknown): unknown {
    if (value === UNKNOWN) {
        return "[unknown]";
    }
    if (Array.isArray(value)) {
        return value.map(showUnknowns);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, showUnknowns(v)]));
    }
    return value;
}

/** Inputs and computed values with every secret replaced by "[secret]" and every unknown by "[unknown]". */
export function redacted(r: RecordedResource): Props {
    return showUnknowns(mapSecrets(r.state, () => "[secret]")) as Props;
}

/** Order in which the plan lists a region's resources: what it stands on first, then the cache, then what follows it. */
const TYPE_ORDER = [
    "ec2:Vpc", "ec2:Subnet", "elasticache:SubnetGroup", "ec2:SecurityGroup", "vpc:SecurityGroupIngressRule",
    "kms:Key", "kms:Alias", "cloudwatch:LogGroup", "sns:Topic", "sns:TopicPolicy", "sns:TopicSubscription",
    "elasticache:User", "elasticache:UserGroup", "elasticache:ReplicationGroup", "elasticache:GlobalReplicationGroup",
    "ssm:Parameter", "cloudwatch:Dashboard",
];

export function typeRank(shortTypeName: string): number {
    const index = TYPE_ORDER.indexOf(shortTypeName);
    return index < 0 ? TYPE_ORDER.length : index;
}

export function describe(r: RecordedResource): string {
    const describer = DESCRIBERS[r.type];
    return describer ? describer(redacted(r)) : "";
}

/** "aws:elasticache/replicationGroup:ReplicationGroup" -> "elasticache:ReplicationGroup" */
export function shortType(type: string): string {
    const m = /^aws:([^/]+)\/[^:]+:(.+)$/.exec(type);
    return m ? `${m[1]}:${m[2]}` : type;
}
