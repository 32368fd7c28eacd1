/**
 * Every rule of the pack, in one explicit list (no registration by import side effects). The order is
 * the order `pulumi preview` reports them in.
 */
import { Policies } from "@pulumi/policy";
import { authentication, userGroupDefaultUser } from "./authentication";
import { clusterModeEnabled, multiAzFailover, replicasPerShard, shardCount } from "./availability";
import { finalSnapshot, snapshotRetention, snapshotWindow } from "./backups";
import { encryptionAtRest, encryptionInTransit } from "./encryption";
import { globalDatastoreEligibility, globalDatastoreLagAlarms, globalDatastorePrimaryCompliant, globalDatastoreRegions } from "./global-datastore";
import { noDefaultSubnetGroup, noLegacySecurityGroup, portNotPublic } from "./network";
import { autoMinorVersionUpgrade, engineVersion, eventNotifications, logDelivery, statefulResourcesProtected } from "./operations";

/** The pack's name, as the engine reports it next to each violation. */
export const PACK_NAME = "elasticache-global";

export const ALL_POLICIES: Policies = [
    encryptionAtRest,
    encryptionInTransit,
    authentication,
    userGroupDefaultUser,
    clusterModeEnabled,
    multiAzFailover,
    replicasPerShard,
    shardCount,
    snapshotRetention,
    snapshotWindow,
    finalSnapshot,
    autoMinorVersionUpgrade,
    engineVersion,
    logDelivery,
    eventNotifications,
    noDefaultSubnetGroup,
    portNotPublic,
    noLegacySecurityGroup,
    globalDatastoreEligibility,
    globalDatastoreRegions,
    globalDatastorePrimaryCompliant,
    globalDatastoreLagAlarms,
    statefulResourcesProtected,
];
