import * as pulumi from "@pulumi/pulumi";
import { AuthConfig, Engine } from "../config";
import { NamingInput } from "../naming";

/** What a member replication group needs from its region (a CacheRegion provides all of it). */
export interface MemberFoundation {
    subnetGroupName: pulumi.Input<string>;
    securityGroupId: pulumi.Input<string>;
    kmsKeyArn: pulumi.Input<string>;
    slowLogGroupName: pulumi.Input<string>;
    engineLogGroupName: pulumi.Input<string>;
    /** An unencrypted topic in the member's region: ElastiCache cannot publish to an encrypted one. */
    eventTopicArn: pulumi.Input<string>;
}

export interface GlobalDatastoreArgs {
    naming: NamingInput;
    engine: Engine;
    engineVersion: string;
    nodeType: string;
    shards: number;
    replicasPerShard: number;
    port: number;
    /**
     * Region of the replication group that created the datastore. It keeps the shape it was created
     * with for its whole life, whichever region is primary now.
     */
    foundingRegion: string;
    /** Every member region, each with its foundation. The current primary is deliberately not an input. */
    foundations: Record<string, MemberFoundation>;
    backupRetentionDays: number;
    snapshotWindow: string;
    maintenanceWindow: string;
    applyImmediately: boolean;
    auth: AuthConfig;
    /**
     * Per region, the RBAC user group the member uses (the shared one auth.ts createRegionUsers makes).
     * Default: none, for an AUTH token (auth mode auth-token).
     */
    userGroupIds?: Record<string, pulumi.Input<string>>;
    /** Snapshot (in foundingRegion) the founding replication group is created from. Default: none, an empty cache. */
    seedSnapshot?: string;
    /**
     * Declare only the founding member and the datastore, no joining members yet (Generation.founderOnly).
     * Default false.
     */
    founderOnly?: boolean;
    /** Suffix of the final snapshot names while retire-generation removes this generation (naming.ts finalSnapshotName). Default none. */
    finalSnapshotSuffix?: string;
    /**
     * Whether the replication groups, the datastore and the users are protected from deletion.
     * Default true; false only while retire-generation removes this generation.
     */
    protect?: boolean;
    tags?: Record<string, string>;
}

export interface DatastoreMember {
    region: string;
    replicationGroupId: pulumi.Output<string>;
    arn: pulumi.Output<string>;
    configurationEndpoint: pulumi.Output<string>;
    port: pulumi.Output<number>;
}
