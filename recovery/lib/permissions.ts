/**
 * Every AWS action the recovery programs call, why, on what, and under which credentials; and the
 * least-privilege IAM policy built from that list (the stack's recovery role carries it). A test scans
 * recovery/ for SDK commands and fails when this list and the code disagree.
 *
 * Two sets of credentials run recovery. The recovery role runs what works without Pulumi: the outage
 * promotion, which must not depend on the deployment's credentials or its state backend. Everything that
 * runs `pulumi up` (planned mode and adopt with their reconcile, --reconcile-only, rejoin) runs with the
 * deployment's credentials, because up needs EC2, KMS, IAM and logs permissions the role must not have;
 * actions only those commands call are therefore not granted to the role (`grantedTo: "deployment"`).
 * So is `snapshot`: it is a routine step of deployments (the deploy workflow runs it before an engine or
 * node type change), and taking snapshots is not something an outage needs the role for.
 *
 * Deliberately absent: CreateGlobalReplicationGroup and CreateReplicationGroup. Rejoining a region
 * after an outage retires stale resources here, but re-creates them through `pulumi up` with the
 * deployment's credentials (which also need EC2, KMS and logs permissions this role must not have);
 * creating them here would leave the program and AWS out of step. Shard counts and engine
 * upgrades (IncreaseNodeGroupsInGlobalReplicationGroup, ...) are changes to the program, not recovery.
 */

/** Which resources an action may touch. IAM only scopes some actions by ARN; the rest need "*". */
export type ResourceScope =
    /** Describe and metric reads: listing calls cannot be scoped, and reading is not the risk. */
    | "any"
    /** The stack's replication groups. */
    | "members"
    /** The Global Datastore together with its member replication groups. */
    | "datastore-and-members"
    /** The stack's replication groups and the final snapshots taken when they are deleted (<id>-final...). */
    | "members-and-final-snapshots"
    /** The stack's replication groups and every snapshot named after one of them (<id>-...: manual and final snapshots). */
    | "members-and-their-snapshots"
    /** The stack's writer SSM parameter, in each member region. */
    | "writer-parameters";

/**
 * Whose credentials an action is called with. "recovery-role": the stack's recovery role grants it,
 * because a command that runs under the role calls it (the deployment's credentials need it too when
 * planned mode or rejoin call it). "deployment": only commands that also run pulumi up call it, so
 * only the deployment's credentials need it and the role does not get it.
 */
export type GrantedTo = "recovery-role" | "deployment";

export interface RecoveryPermission {
    /** IAM action, "<service>:<Operation>". */
    action: string;
    reason: string;
    scope: ResourceScope;
    grantedTo: GrantedTo;
    /**
     * The command that will call this action, while no code in recovery/ does yet. Remove it when the
     * call is written: the test fails on an action that is called and still marked planned.
     */
    plannedFor?: string;
    /**
     * The action (service:Operation) whose call needs this one too: AWS authorizes some requests against
     * more than one action. Required when no code calls this action directly; kept when code does too,
     * so the dependency stays on record.
     */
    impliedBy?: string;
}

export const RECOVERY_PERMISSIONS: readonly RecoveryPermission[] = [
    {
        action: "elasticache:DescribeGlobalReplicationGroups",
        reason: "Finds the Global Datastore with its members, their roles and status; polled until a promotion or detach completes.",
        grantedTo: "recovery-role",
        scope: "any",
    },
    {
        action: "elasticache:DescribeReplicationGroups",
        reason: "Reads each member's status, shards and configuration endpoint: decides when the new primary accepts writes.",
        grantedTo: "recovery-role",
        scope: "any",
    },
    {
        action: "elasticache:DescribeEvents",
        reason: "Rejoin: finds when the serving cluster was detached, from its events; shard failovers: counts the TestFailover quota and follows each failover to its end.",
        grantedTo: "recovery-role",
        scope: "any",
    },
    {
        action: "elasticache:DescribeSnapshots",
        reason: "Rejoin: finds the final snapshots of the retired groups by name and waits until they are available; snapshot: waits for the manual " +
            "snapshot it takes; lists the snapshots of every member region's group (with their node group times) to choose one to restore; " +
            "checks every final or manual snapshot name is free before asking for it.",
        grantedTo: "recovery-role",
        scope: "any",
    },
    {
        action: "cloudwatch:GetMetricData",
        reason: "Reads GlobalDatastoreReplicationLag in the promoted region (the data a promotion loses) and SetTypeCmds of the old primary (writes rejoin would lose).",
        grantedTo: "recovery-role",
        scope: "any",
    },
    {
        action: "ssm:GetParameter",
        reason: "Rejoin: reads the writer parameter to tell the serving cluster apart when more than one group is standalone.",
        grantedTo: "recovery-role",
        scope: "writer-parameters",
    },
    {
        action: "ssm:PutParameter",
        reason: "Outage mode and rejoin: points the writer parameter of each region at the cluster that accepts writes, without running Pulumi.",
        grantedTo: "recovery-role",
        scope: "writer-parameters",
    },
    {
        action: "elasticache:FailoverGlobalReplicationGroup",
        reason: "Planned mode (and the first attempt in outage mode): promotes a secondary while the primary region still answers (no data loss beyond replication lag).",
        grantedTo: "recovery-role",
        scope: "datastore-and-members",
    },
    {
        action: "elasticache:DisassociateGlobalReplicationGroup",
        reason: "Outage mode: detaches a secondary from the datastore so it accepts writes when the primary region cannot take part in a failover.",
        grantedTo: "recovery-role",
        scope: "datastore-and-members",
    },
    {
        action: "elasticache:DeleteGlobalReplicationGroup",
        reason: "Rejoin: retires the datastore an outage left behind (keeping the serving cluster), so the program can rebuild it around that cluster. " +
            "Rejoin runs pulumi up, so it runs with the deployment's credentials.",
        grantedTo: "deployment",
        scope: "datastore-and-members",
    },
    {
        action: "elasticache:DeleteReplicationGroup",
        reason: "Rejoin: deletes stale former members, with a final snapshot each; a cluster that holds data cannot join a datastore as a secondary. " +
            "Deployment credentials, as for all of rejoin.",
        grantedTo: "deployment",
        scope: "members-and-final-snapshots",
    },
    {
        action: "elasticache:CreateSnapshot",
        reason: "snapshot: takes a manual snapshot (<id>-manual-<time>) of the current primary, as the deploy workflow does before an engine or " +
            "node type change. Rejoin: DeleteReplicationGroup with FinalSnapshotIdentifier creates the final snapshot, which AWS authorizes as CreateSnapshot too.",
        grantedTo: "deployment",
        scope: "members-and-their-snapshots",
        impliedBy: "elasticache:DeleteReplicationGroup",
    },
    {
        action: "elasticache:AddTagsToResource",
        reason: "snapshot: CreateSnapshot with Tags (the reason, who asked) needs it as well; the service authorization reference lists it as a dependent " +
            "action of the calls that tag what they create.",
        grantedTo: "deployment",
        scope: "members-and-their-snapshots",
        impliedBy: "elasticache:CreateSnapshot",
    },
    {
        action: "elasticache:TestFailover",
        reason: "Shard failover and drills: fails one shard over to a replica inside its region.",
        grantedTo: "recovery-role",
        scope: "members",
    },
];

/** The ARNs the mutating actions are scoped to. */
export interface PolicyScope {
    /** ARNs of the stack's replication groups, one per member region. */
    replicationGroupArns: string[];
    /** ARN of the Global Datastore (global: no region in it). */
    globalDatastoreArn: string;
    /** Name of the writer SSM parameter (components/naming.ts writerParameterName), the same in every member region. */
    writerParameterName: string;
}

export interface PolicyStatement {
    Sid: string;
    Effect: "Allow";
    Action: string[];
    Resource: string | string[];
}

export interface PolicyDocument {
    Version: "2012-10-17";
    Statement: PolicyStatement[];
}

const REPLICATION_GROUP_ARN = /^arn:[a-z-]+:elasticache:[a-z0-9-]+:\d{12}:replicationgroup:[a-z0-9-]+$/;
const GLOBAL_DATASTORE_ARN = /^arn:[a-z-]+:elasticache::\d{12}:globalreplicationgroup:[a-z0-9-]+$/;

const STATEMENT_IDS: Record<ResourceScope, string> = {
    "any": "ReadDeploymentState",
    "members": "ActOnStackReplicationGroups",
    "datastore-and-members": "ActOnStackGlobalDatastore",
    "members-and-final-snapshots": "RetireStackReplicationGroups",
    "members-and-their-snapshots": "SnapshotStackReplicationGroups",
    "writer-parameters": "MoveStackWriterParameter",
};

const PARAMETER_NAME = /^(\/[A-Za-z0-9_.-]+)+$/;

/** The writer parameter in the region and account of each member (parameter ARNs drop the name's leading slash). */
function writerParameterArns(replicationGroupArns: readonly string[], name: string): string[] {
    return replicationGroupArns.map((arn) => {
        const [, partition, , region, account] = arn.split(":");
        return `arn:${partition}:ssm:${region}:${account}:parameter/${name.slice(1)}`;
    });
}

/** Every snapshot named after the group: the manual ones (<id>-manual-...) and the final ones (<id>-final-...). */
function groupSnapshotArnPattern(replicationGroupArn: string): string {
    return replicationGroupArn.replace(/:replicationgroup:([a-z0-9-]+)$/, ":snapshot:$1-*");
}

/** Final snapshots are named after their group (components/naming.ts finalSnapshotName, plus a suffix per run). */
function finalSnapshotArnPattern(replicationGroupArn: string): string {
    return replicationGroupArn.replace(/:replicationgroup:([a-z0-9-]+)$/, ":snapshot:$1-final*");
}

/**
 * The least-privilege policy of the recovery role: reads anywhere, changes only this stack's resources,
 * and only actions that code running under the role calls now (entries still `plannedFor` a command, and
 * entries granted to the deployment's credentials, are not in it).
 */
export function recoveryPolicyDocument(scope: PolicyScope, permissions: readonly RecoveryPermission[] = RECOVERY_PERMISSIONS): PolicyDocument {
    if (scope.replicationGroupArns.length === 0) {
        throw new Error("recoveryPolicyDocument: replicationGroupArns is empty. Accepted: the ARN of every member replication group.");
    }
    scope.replicationGroupArns.forEach((arn, i) => {
        if (!REPLICATION_GROUP_ARN.test(arn)) {
            throw new Error(`recoveryPolicyDocument: replicationGroupArns[${i}] is ${JSON.stringify(arn)}. ` +
                "Accepted: arn:<partition>:elasticache:<region>:<account>:replicationgroup:<id>.");
        }
    });
    if (!GLOBAL_DATASTORE_ARN.test(scope.globalDatastoreArn)) {
        throw new Error(`recoveryPolicyDocument: globalDatastoreArn is ${JSON.stringify(scope.globalDatastoreArn)}. ` +
            "Accepted: arn:<partition>:elasticache::<account>:globalreplicationgroup:<id>.");
    }
    if (!PARAMETER_NAME.test(scope.writerParameterName)) {
        throw new Error(`recoveryPolicyDocument: writerParameterName is ${JSON.stringify(scope.writerParameterName)}. ` +
            "Accepted: an absolute SSM parameter name such as /elasticache-global/<stack>/writer.");
    }
    const members = [...scope.replicationGroupArns].sort();
    const resources: Record<ResourceScope, string | string[]> = {
        "any": "*",
        "members": members,
        "datastore-and-members": [scope.globalDatastoreArn, ...members],
        "members-and-final-snapshots": [...members, ...members.map(finalSnapshotArnPattern)],
        "members-and-their-snapshots": [...members, ...members.map(groupSnapshotArnPattern)],
        "writer-parameters": writerParameterArns(members, scope.writerParameterName),
    };
    const order: ResourceScope[] = ["any", "datastore-and-members", "members", "members-and-final-snapshots", "members-and-their-snapshots", "writer-parameters"];
    return {
        Version: "2012-10-17",
        Statement: order
            .map((s) => ({ scope: s, actions: permissions.filter((p) => p.scope === s && !p.plannedFor && p.grantedTo === "recovery-role").map((p) => p.action).sort() }))
            .filter(({ actions }) => actions.length > 0)
            .map(({ scope: s, actions }) => ({ Sid: STATEMENT_IDS[s], Effect: "Allow" as const, Action: actions, Resource: resources[s] })),
    };
}
