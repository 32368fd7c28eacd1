import * as assert from "node:assert/strict";
import { automaticBackups, finalSnapshot, snapshotRetention, snapshotWindow } from "../../policies/backups";
import { TYPES } from "../../policies/lib/types";
import { checkResource, UNKNOWN } from "./helpers";
import { compliantCluster, compliantPrimary, compliantSecondary } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });

describe("policies/backups", () => {
    describe("elasticache-automatic-backups", () => {
        it("passes a retention of one day or more", async () => {
            assert.deepEqual((await checkResource(automaticBackups, group(compliantPrimary()))).violations, []);
            assert.deepEqual((await checkResource(automaticBackups, group(compliantPrimary({ snapshotRetentionLimit: 1 })))).violations, []);
        });

        it("fails a retention of 0 or unset: no automatic snapshots", async () => {
            const zero = await checkResource(automaticBackups, group(compliantPrimary({ snapshotRetentionLimit: 0 })));
            assert.equal(zero.violations.length, 1);
            assert.match(zero.violations[0], /^ElastiCache replication group must take automatic snapshots: "cache-us-east-1" in us-east-1 sets snapshotRetentionLimit 0/);
            const unset = await checkResource(automaticBackups, group(compliantPrimary({ snapshotRetentionLimit: undefined })));
            assert.match(unset.violations.join("\n"), /leaves snapshotRetentionLimit unset \(0: no automatic snapshots\)/);
        });

        it("fails a Redis cluster on cache.t1.micro, which cannot take snapshots and so has none", async () => {
            const { violations } = await checkResource(automaticBackups, { type: TYPES.cluster, props: compliantCluster({ engine: "redis", nodeType: "cache.t1.micro", snapshotRetentionLimit: undefined }) });
            assert.match(violations.join("\n"), /^ElastiCache cluster must take automatic snapshots/);
        });

        it("checks secondaries, and is not applicable to memcached or to a node of a replication group", async () => {
            assert.equal((await checkResource(automaticBackups, group(compliantSecondary(undefined, { snapshotRetentionLimit: 0 })))).violations.length, 1);
            assert.match((await checkResource(automaticBackups, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached", snapshotRetentionLimit: 0 }) })).notApplicable ?? "", /memcached/);
            assert.match((await checkResource(automaticBackups, { type: TYPES.cluster, props: compliantCluster({ replicationGroupId: "prod", snapshotRetentionLimit: 0 }) })).notApplicable ?? "",
                /node of a replication group/);
        });

        it("reports 'could not verify' for an unknown snapshotRetentionLimit", async () => {
            const { violations } = await checkResource(automaticBackups, group(compliantPrimary({ snapshotRetentionLimit: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-automatic-backups .*snapshotRetentionLimit is unknown/);
        });
    });

    describe("elasticache-snapshot-retention", () => {
        it("passes 14 days with the default minimum of 7", async () => {
            assert.deepEqual((await checkResource(snapshotRetention, group(compliantPrimary()))).violations, []);
        });

        it("fails 14 days when the config asks for 21", async () => {
            const { violations } = await checkResource(snapshotRetention, group(compliantPrimary()), { minRetentionDays: 21 });
            assert.match(violations.join("\n"), /^ElastiCache replication group must keep automatic snapshots for at least 21 days: .* sets snapshotRetentionLimit 14/);
        });

        it("fails 6 days against the default minimum of 7", async () => {
            const { violations } = await checkResource(snapshotRetention, group(compliantPrimary({ snapshotRetentionLimit: 6 })));
            assert.match(violations.join("\n"), /at least 7 days/);
        });

        it("fails an unset retention (no automatic snapshots)", async () => {
            const { violations } = await checkResource(snapshotRetention, group(compliantPrimary({ snapshotRetentionLimit: undefined })));
            assert.match(violations.join("\n"), /leaves snapshotRetentionLimit unset \(0: no automatic snapshots\)/);
        });

        it("checks secondaries and standalone clusters", async () => {
            assert.equal((await checkResource(snapshotRetention, group(compliantSecondary(undefined, { snapshotRetentionLimit: 1 })))).violations.length, 1);
            assert.match((await checkResource(snapshotRetention, { type: TYPES.cluster, props: compliantCluster({ snapshotRetentionLimit: 0 }) })).violations.join("\n"),
                /^ElastiCache cluster must keep automatic snapshots/);
        });

        it("is not applicable to memcached, which has no snapshots", async () => {
            const outcome = await checkResource(snapshotRetention, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached", snapshotRetentionLimit: undefined }) });
            assert.match(outcome.notApplicable ?? "", /memcached/);
        });

        it("reports 'could not verify' for an unknown snapshotRetentionLimit, and not for unknowns it does not read", async () => {
            const outcome = await checkResource(snapshotRetention, group(compliantPrimary({ snapshotRetentionLimit: UNKNOWN })));
            assert.equal(outcome.cannotRun, undefined, "the unknown must not escape to the engine's advisory");
            assert.equal(outcome.violations.length, 1);
            assert.match(outcome.violations[0],
                /^could not verify elasticache-snapshot-retention on ElastiCache replication group "cache-us-east-1" in us-east-1: snapshotRetentionLimit is unknown during preview\. /);
            // The window is another rule's concern; retention is judged on the limit alone.
            const unknownWindow = await checkResource(snapshotRetention, group(compliantPrimary({ snapshotWindow: UNKNOWN })));
            assert.deepEqual(unknownWindow.violations, []);
            assert.equal(unknownWindow.cannotRun, undefined);
            // Memcached keeps no snapshots, so its retention is never needed, known or not.
            const memcached = await checkResource(snapshotRetention, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached", snapshotRetentionLimit: UNKNOWN }) });
            assert.deepEqual(memcached.violations, []);
            assert.match(memcached.notApplicable ?? "", /memcached/);
        });
    });

    describe("elasticache-snapshot-window", () => {
        it("passes a snapshot window clear of the maintenance window", async () => {
            assert.deepEqual((await checkResource(snapshotWindow, group(compliantPrimary()))).violations, []);
        });

        it("fails an unset snapshot window", async () => {
            const { violations } = await checkResource(snapshotWindow, group(compliantPrimary({ snapshotWindow: undefined })));
            assert.match(violations.join("\n"), /must take snapshots in a set window: .* leaves snapshotWindow unset/);
        });

        it("fails a snapshot window that overlaps the weekly maintenance window", async () => {
            const props = compliantPrimary({ snapshotWindow: "05:30-07:00", maintenanceWindow: "sun:06:00-sun:07:00" });
            const { violations } = await checkResource(snapshotWindow, group(props));
            assert.match(violations.join("\n"), /must keep the snapshot window clear of the maintenance window: .* "05:30-07:00", which overlaps maintenanceWindow "sun:06:00-sun:07:00"/);
        });

        it("catches an overlap across midnight on the maintenance day", async () => {
            const props = compliantPrimary({ snapshotWindow: "23:30-00:30", maintenanceWindow: "mon:00:00-mon:01:00" });
            assert.equal((await checkResource(snapshotWindow, group(props))).violations.length, 1);
        });

        it("fails malformed windows with the parser's reason", async () => {
            const short = await checkResource(snapshotWindow, group(compliantPrimary({ snapshotWindow: "03:00-03:30" })));
            assert.match(short.violations.join("\n"), /"03:00-03:30", which lasts 30 minutes; a snapshot window must last at least 60 minutes/);
            const badMaintenance = await checkResource(snapshotWindow, group(compliantPrimary({ maintenanceWindow: "sunday 6am" })));
            assert.match(badMaintenance.violations.join("\n"), /must have a valid maintenance window: .* "sunday 6am", which is not a weekly window/);
        });

        it("accepts an unset maintenance window (AWS picks one that does not clash)", async () => {
            assert.deepEqual((await checkResource(snapshotWindow, group(compliantPrimary({ maintenanceWindow: undefined })))).violations, []);
        });

        it("reports 'could not verify' for an unknown snapshot window", async () => {
            const { violations } = await checkResource(snapshotWindow, group(compliantPrimary({ snapshotWindow: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-snapshot-window .*snapshotWindow is unknown/);
        });
    });

    describe("elasticache-final-snapshot", () => {
        it("passes a named final snapshot", async () => {
            assert.deepEqual((await checkResource(finalSnapshot, group(compliantPrimary()))).violations, []);
        });

        it("fails without finalSnapshotIdentifier", async () => {
            const { violations } = await checkResource(finalSnapshot, group(compliantSecondary(undefined, { finalSnapshotIdentifier: undefined })));
            assert.match(violations.join("\n"), /must take a final snapshot when deleted: .* sets no finalSnapshotIdentifier/);
        });

        it("counts a name unknown during preview as set", async () => {
            assert.deepEqual((await checkResource(finalSnapshot, group(compliantPrimary({ finalSnapshotIdentifier: UNKNOWN })))).violations, []);
        });
    });
});
