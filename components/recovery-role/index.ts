import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { recoveryPolicyDocument } from "../../recovery/lib/permissions";
import { DEFAULT_MAX_SESSION_SECONDS, RecoveryRoleArgs } from "./args";
import { recoveryRoleName, writerParameterName } from "../naming";

export { RecoveryRoleArgs, DEFAULT_MAX_SESSION_SECONDS } from "./args";

/**
 * The IAM role the outage promotion runs under: it can read the deployment anywhere and change only
 * this stack's datastore, replication groups and writer parameter, with exactly the actions
 * recovery/lib/permissions.ts grants to it. Commands that run pulumi up (planned, --reconcile-only,
 * rejoin) use the deployment's credentials instead, so what only they call is not in the role. IAM is
 * global, so the role is declared once, without a region.
 */
export class RecoveryRole extends pulumi.ComponentResource {
    readonly roleArn: pulumi.Output<string>;
    readonly roleName: pulumi.Output<string>;

    constructor(name: string, args: RecoveryRoleArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elasticache-global:index:RecoveryRole", name, {}, opts);
        validateRecoveryRoleArgs(args, this);
        const { role } = createRecoveryRole(name, this, args);
        this.roleArn = role.arn;
        this.roleName = role.name;
        this.registerOutputs({ roleArn: this.roleArn, roleName: this.roleName });
    }
}

function validateRecoveryRoleArgs(args: RecoveryRoleArgs, resource: pulumi.Resource): void {
    const seconds = args.maxSessionSeconds ?? DEFAULT_MAX_SESSION_SECONDS;
    // The bounds IAM accepts for MaxSessionDuration.
    if (!Number.isInteger(seconds) || seconds < 3600 || seconds > 43200) {
        throw new pulumi.ResourceError(`RecoveryRole maxSessionSeconds is ${JSON.stringify(seconds)}. Accepted: a whole number from 3600 to 43200.`, resource);
    }
    if (args.replicationGroupArns.length === 0) {
        throw new pulumi.ResourceError("RecoveryRole replicationGroupArns is empty. Accepted: the ARN of every member replication group.", resource);
    }
    if (args.principals !== undefined && args.principals.length === 0) {
        throw new pulumi.ResourceError("RecoveryRole principals is empty, so nobody could assume the role. Accepted: IAM principal ARNs, or leave it unset for the account root.", resource);
    }
}

export function createRecoveryRole(name: string, parent: pulumi.Resource, args: RecoveryRoleArgs) {
    const identity = aws.getCallerIdentityOutput({}, { parent });
    const partition = aws.getPartitionOutput({}, { parent });
    const principals = args.principals
        ? pulumi.output(args.principals)
        : pulumi.interpolate`arn:${partition.partition}:iam::${identity.accountId}:root`.apply((root) => [root]);

    const role = new aws.iam.Role(`${name}-recovery`, {
        name: recoveryRoleName(args.naming),
        description: `Recovery programs of ${args.naming.namePrefix}: promote, detach and fail over this stack's ElastiCache resources, move its writer parameter`,
        assumeRolePolicy: principals.apply((trusted) => JSON.stringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Principal: { AWS: trusted }, Action: "sts:AssumeRole" }],
        })),
        maxSessionDuration: args.maxSessionSeconds ?? DEFAULT_MAX_SESSION_SECONDS,
        tags: args.tags ?? {},
    }, { parent });

    const globalDatastoreArn = pulumi.interpolate`arn:${partition.partition}:elasticache::${identity.accountId}:globalreplicationgroup:${args.globalDatastoreId}`;
    const policy = new aws.iam.RolePolicy(`${name}-recovery`, {
        role: role.name,
        name: "recovery-actions",
        policy: pulumi.all([pulumi.all(args.replicationGroupArns), globalDatastoreArn]).apply(([replicationGroupArns, datastoreArn]) =>
            JSON.stringify(recoveryPolicyDocument({ replicationGroupArns, globalDatastoreArn: datastoreArn, writerParameterName: writerParameterName(args.naming) }))),
    }, { parent: role });

    return { role, policy };
}
