import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { clusterParameterGroup } from "../config/engine";
import { finalSnapshotName, replicationGroupId } from "../naming";
import { GlobalDatastoreArgs, MemberFoundation } from "./args";

/**
 * Settings the Global Datastore owns once it exists. Members reject edits to them ("...is part of a
 * global cluster. Request rejected"), so every member ignores them and the datastore carries them.
 */
export const MANAGED_BY_DATASTORE = ["engineVersion", "nodeType", "numNodeGroups", "parameterGroupName", "automaticFailoverEnabled"];

/**
 * Settings a joining member inherits from the datastore and must not send (AWS answers
 * InvalidParameterCombination). The provider fills some of them with defaults of its own (engine
 * "redis"), which would otherwise show as a diff on every valkey secondary.
 */
export const INHERITED_BY_JOINERS = [
    ...MANAGED_BY_DATASTORE, "engine", "port", "clusterMode", "multiAzEnabled", "transitEncryptionEnabled",
    "transitEncryptionMode", "atRestEncryptionEnabled", "snapshotArns", "snapshotName",
];

/** Settings every member sets for itself: placement, keys, auth, backups, logs, events, tags. */
function regionalSettings(args: GlobalDatastoreArgs, region: string, f: MemberFoundation, userGroupId?: pulumi.Input<string>) {
    return {
        region,
        replicationGroupId: replicationGroupId(args.naming, region),
        description: `${args.naming.namePrefix} cache (${args.engine}, cluster mode, Multi-AZ) in ${region}`,
        replicasPerNodeGroup: args.replicasPerShard,
        subnetGroupName: f.subnetGroupName,
        securityGroupIds: [f.securityGroupId],
        kmsKeyId: f.kmsKeyArn,
        userGroupIds: userGroupId ? [userGroupId] : undefined,
        snapshotRetentionLimit: args.backupRetentionDays,
        snapshotWindow: args.snapshotWindow,
        maintenanceWindow: args.maintenanceWindow,
        finalSnapshotIdentifier: finalSnapshotName(args.naming, region, args.finalSnapshotSuffix),
        autoMinorVersionUpgrade: true,
        applyImmediately: args.applyImmediately,
        notificationTopicArn: f.eventTopicArn,
        logDeliveryConfigurations: [
            { destinationType: "cloudwatch-logs", destination: f.slowLogGroupName, logFormat: "json", logType: "slow-log" },
            { destinationType: "cloudwatch-logs", destination: f.engineLogGroupName, logFormat: "json", logType: "engine-log" },
        ],
        tags: { ...args.tags, "elasticache-global:member-region": region },
    };
}

/** The replication group that creates the datastore: the full engine, topology and encryption settings. */
export function foundingMemberArgs(args: GlobalDatastoreArgs, userGroupId?: pulumi.Input<string>): aws.elasticache.ReplicationGroupArgs {
    const region = args.foundingRegion;
    const auth = args.auth.mode === "auth-token"
        // ROTATE: a changed token is added beside the old one, which stays valid while clients move over
        // (ElastiCache guide, "Modifying the AUTH token on an existing cluster"; SET is allowed only after
        // ROTATE). The provider accepts exactly SET, ROTATE and DELETE, case-sensitively.
        ? { authToken: pulumi.secret(args.auth.token), authTokenUpdateStrategy: "ROTATE" }
        : {};
    return {
        ...regionalSettings(args, region, args.foundations[region], userGroupId),
        engine: args.engine,
        engineVersion: args.engineVersion,
        nodeType: args.nodeType,
        port: args.port,
        parameterGroupName: clusterParameterGroup(args.engine, args.engineVersion),
        clusterMode: "enabled",
        numNodeGroups: args.shards,
        // Joining members inherit both from the datastore, which owns failover from then on.
        automaticFailoverEnabled: true,
        multiAzEnabled: true,
        // Seeds the data; changing it later would replace the group, which the recovery guard refuses.
        snapshotName: args.seedSnapshot,
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        transitEncryptionMode: "required",
        ...auth,
    };
}

/** A replication group that joins the datastore in another region and sets only what a member may. */
export function joiningMemberArgs(
    args: GlobalDatastoreArgs, region: string, globalReplicationGroupId: pulumi.Input<string>, userGroupId?: pulumi.Input<string>,
): aws.elasticache.ReplicationGroupArgs {
    return { ...regionalSettings(args, region, args.foundations[region], userGroupId), globalReplicationGroupId };
}
