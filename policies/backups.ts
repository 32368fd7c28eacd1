/** Recovery points: automatic snapshots, their window, and a final snapshot on deletion. */
import { parseMaintenanceWindow, parseSnapshotWindow, windowsOverlap } from "../components/config/windows";
import { skipMemcached, skipReplicationGroupMember } from "./lib/applicability";
import { integerOption } from "./lib/config";
import { known, presence } from "./lib/props";
import { ResourceCheck, resourceRule } from "./lib/rule";
import { TYPES } from "./lib/types";

function skipWithoutSnapshots<C>(c: ResourceCheck<C>): void {
    skipReplicationGroupMember(c);
    skipMemcached(c);
}

/** The retention a cache declares: snapshotRetentionLimit, 0 (no automatic snapshots) when unset. */
function retentionOf<C>(c: ResourceCheck<C>): { days: number; found: string } {
    const days = known<number>(c.props, "snapshotRetentionLimit");
    return days === undefined
        ? { days: 0, found: "leaves snapshotRetentionLimit unset (0: no automatic snapshots)" }
        : { days, found: `sets snapshotRetentionLimit ${days}` };
}

/**
 * elasticache-automatic-backups: automatic snapshots on (snapshotRetentionLimit 1 or more), whatever
 * the node type: one that cannot take snapshots (cache.t1.micro) leaves the cache with no recovery
 * point, and fails.
 */
export const automaticBackups = resourceRule({
    name: "elasticache-automatic-backups",
    severity: "high",
    summary: "ElastiCache replication groups and clusters must take automatic snapshots (snapshotRetentionLimit of 1 or more)",
    remediationSteps: "Set snapshotRetentionLimit to 1 or more (at most 35) and a snapshotWindow; the change is online. A node type that " +
        "cannot take snapshots (cache.t1.micro) has to be replaced by one that can.",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipWithoutSnapshots(c);
        const { days, found } = retentionOf(c);
        if (days < 1) {
            c.report("take automatic snapshots", found, "set snapshotRetentionLimit: 1 or more (35 at most)");
        }
    },
});

export interface SnapshotRetentionConfig {
    /** Fewest days automatic snapshots are kept. Default: 7. */
    minRetentionDays: number;
}

/** elasticache-snapshot-retention: snapshotRetentionLimit >= minRetentionDays (default 7). */
export const snapshotRetention = resourceRule<SnapshotRetentionConfig>({
    name: "elasticache-snapshot-retention",
    severity: "high",
    summary: "ElastiCache replication groups and clusters must keep automatic snapshots for at least the configured number of days",
    remediationSteps: "Set snapshotRetentionLimit to the configured minimum or more (at most 35) and a snapshotWindow; the change is online.",
    configSchema: {
        properties: {
            minRetentionDays: integerOption("Fewest days automatic snapshots are kept, 1..35. Default: 7.", 7, 1, 35),
        },
    },
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipWithoutSnapshots(c);
        const { days, found } = retentionOf(c);
        if (days < c.config.minRetentionDays) {
            c.report(`keep automatic snapshots for at least ${c.config.minRetentionDays} days`, found,
                `set snapshotRetentionLimit: ${c.config.minRetentionDays} or more (35 at most)`);
        }
    },
});

/**
 * elasticache-snapshot-window: a daily snapshotWindow "hh:mm-hh:mm" of at least 60 minutes that does
 * not overlap the weekly maintenanceWindow "ddd:hh:mm-ddd:hh:mm" (both UTC). AWS rejects an overlap
 * only when it applies the change; an unset maintenance window is chosen by AWS and cannot clash.
 */
export const snapshotWindow = resourceRule({
    name: "elasticache-snapshot-window",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must take snapshots in a set daily window that does not overlap the maintenance window",
    remediationSteps: "Set snapshotWindow (\"hh:mm-hh:mm\", UTC, 60 minutes or more) in a quiet hour and a maintenanceWindow " +
        "(\"ddd:hh:mm-ddd:hh:mm\") that does not overlap it on any day.",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipWithoutSnapshots(c);
        const snapshotText = known<string>(c.props, "snapshotWindow");
        if (snapshotText === undefined) {
            c.report("take snapshots in a set window", "leaves snapshotWindow unset, so AWS picks a window, possibly at peak load",
                "set snapshotWindow, for example \"03:00-05:00\" (UTC)");
            return;
        }
        const snapshot = parseSnapshotWindow(snapshotText);
        if (typeof snapshot === "string") {
            c.report("have a valid snapshot window", `sets snapshotWindow "${snapshotText}", which ${snapshot}`, "set snapshotWindow as hh:mm-hh:mm, 60 minutes or more");
            return;
        }
        const maintenanceText = known<string>(c.props, "maintenanceWindow");
        if (maintenanceText === undefined) {
            return;
        }
        const maintenance = parseMaintenanceWindow(maintenanceText);
        if (typeof maintenance === "string") {
            c.report("have a valid maintenance window", `sets maintenanceWindow "${maintenanceText}", which ${maintenance}`,
                "set maintenanceWindow as ddd:hh:mm-ddd:hh:mm, 60 minutes to 24 hours");
        } else if (windowsOverlap(snapshot, maintenance)) {
            c.report("keep the snapshot window clear of the maintenance window",
                `sets snapshotWindow "${snapshotText}", which overlaps maintenanceWindow "${maintenanceText}"`,
                "move one of the two windows so they do not overlap on any day");
        }
    },
});

/** elasticache-final-snapshot: finalSnapshotIdentifier set, so deleting the cache keeps its data. */
export const finalSnapshot = resourceRule({
    name: "elasticache-final-snapshot",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must name a final snapshot, so deleting them keeps a copy of the data",
    remediationSteps: "Set finalSnapshotIdentifier to a name unique in the region, for example \"<replication group id>-final\".",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipWithoutSnapshots(c);
        if (presence(c.props, "finalSnapshotIdentifier") === "absent") {
            c.report("take a final snapshot when deleted", "sets no finalSnapshotIdentifier, so deletion discards the data",
                "set finalSnapshotIdentifier, for example \"<replication group id>-final\"");
        }
    },
});
