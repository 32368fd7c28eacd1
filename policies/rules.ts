/**
 * Every rule of the pack, in one explicit list (no registration by import side effects). The order is
 * the order `pulumi preview` reports them in.
 */
import { Policies } from "@pulumi/policy";
import { authentication, authToken, rbacUserGroup, userGroupDefaultUser } from "./authentication";
import { automaticFailover, clusterModeEnabled, multiAz, replicasPerShard, shardCount } from "./availability";
import { automaticBackups, finalSnapshot, snapshotRetention, snapshotWindow } from "./backups";
import { encryptionAtRest, encryptionAtRestCmk, encryptionInTransit } from "./encryption";
import { globalDatastoreEligibility, globalDatastoreLagAlarms, globalDatastorePrimaryCompliant, globalDatastoreRegions } from "./global-datastore";
import { noDefaultSubnetGroup, noLegacySecurityGroup, nonDefaultPort, portNotPublic, securityGroupDescription } from "./network";
import { autoMinorVersionUpgrade, engineVersion, eventNotifications, logDelivery, statefulResourcesProtected } from "./operations";

/** The pack's name, as the engine reports it next to each violation. */
export const PACK_NAME = "elasticache-global";

export const ALL_POLICIES: Policies = [
    encryptionAtRest,
    encryptionAtRestCmk,
    encryptionInTransit,
    authentication,
    authToken,
    rbacUserGroup,
    userGroupDefaultUser,
    clusterModeEnabled,
    automaticFailover,
    multiAz,
    replicasPerShard,
    shardCount,
    automaticBackups,
    snapshotRetention,
    snapshotWindow,
    finalSnapshot,
    autoMinorVersionUpgrade,
    engineVersion,
    logDelivery,
    eventNotifications,
    noDefaultSubnetGroup,
    nonDefaultPort,
    portNotPublic,
    noLegacySecurityGroup,
    securityGroupDescription,
    globalDatastoreEligibility,
    globalDatastoreRegions,
    globalDatastorePrimaryCompliant,
    globalDatastoreLagAlarms,
    statefulResourcesProtected,
];
