/** Type tokens the pack inspects, in one place. */
export const TYPES = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    cluster: "aws:elasticache/cluster:Cluster",
    globalDatastore: "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    user: "aws:elasticache/user:User",
    userGroup: "aws:elasticache/userGroup:UserGroup",
    userGroupAssociation: "aws:elasticache/userGroupAssociation:UserGroupAssociation",
    /** Gone from @pulumi/aws 7.x (EC2-Classic); kept so the pack still flags it under older providers. */
    legacySecurityGroup: "aws:elasticache/securityGroup:SecurityGroup",
    ec2SecurityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ec2SecurityGroupRule: "aws:ec2/securityGroupRule:SecurityGroupRule",
    vpcIngressRule: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    vpcEgressRule: "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule",
    metricAlarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    kmsKey: "aws:kms/key:Key",
    snsTopic: "aws:sns/topic:Topic",
} as const;

/** How messages name a resource of each type ("ElastiCache replication group must ..."). */
export const KIND: Record<string, string> = {
    [TYPES.replicationGroup]: "ElastiCache replication group",
    [TYPES.cluster]: "ElastiCache cluster",
    [TYPES.globalDatastore]: "ElastiCache Global Datastore",
    [TYPES.user]: "ElastiCache user",
    [TYPES.userGroup]: "ElastiCache user group",
    [TYPES.userGroupAssociation]: "ElastiCache user group association",
    [TYPES.legacySecurityGroup]: "ElastiCache security group",
    [TYPES.ec2SecurityGroup]: "Security group",
    [TYPES.ec2SecurityGroupRule]: "Security group rule",
    [TYPES.vpcIngressRule]: "Security group ingress rule",
    [TYPES.vpcEgressRule]: "Security group egress rule",
    [TYPES.metricAlarm]: "CloudWatch alarm",
    [TYPES.kmsKey]: "KMS key",
    [TYPES.snsTopic]: "SNS topic",
};

export function kindOf(type: string): string {
    return KIND[type] ?? type;
}
