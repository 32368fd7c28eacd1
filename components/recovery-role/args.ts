import * as pulumi from "@pulumi/pulumi";
import { NamingInput } from "../naming";

export interface RecoveryRoleArgs {
    naming: NamingInput;
    /** ARNs of the stack's member replication groups, one per region. */
    replicationGroupArns: pulumi.Input<string>[];
    /** The Global Datastore's id (the `globalReplicationGroupId` output, with AWS's region prefix). */
    globalDatastoreId: pulumi.Input<string>;
    /**
     * IAM principal ARNs allowed to assume the role. Default: the account root, which lets the
     * account's own IAM policies decide who may assume it.
     */
    principals?: string[];
    /** Longest session, in seconds. Default 3600: enough for a promotion, short enough to expire after the incident. */
    maxSessionSeconds?: number;
    /** Default {}. */
    tags?: Record<string, string>;
}

export const DEFAULT_MAX_SESSION_SECONDS = 3600;
