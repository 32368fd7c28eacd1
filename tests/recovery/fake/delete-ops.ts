/**
 * Deleting a Global Datastore (keeping its primary) and deleting a replication group with a final
 * snapshot, as `rejoin` does after an outage. Validates like AWS, then moves on with virtual time.
 * Test-only.
 */
import {
    InvalidGlobalReplicationGroupStateFault, InvalidParameterValueException, InvalidReplicationGroupStateFault, ReplicationGroupNotFoundFault,
    SnapshotAlreadyExistsFault,
} from "@aws-sdk/client-elasticache";
import { serviceError } from "./errors";
import { FakeDatastore, FakeModel } from "./model";
import { snapshotKey, startSnapshot } from "./snapshot-ops";

/** DeleteGlobalReplicationGroup: deleting until gone (a simulated duration: not documented). */
export const DELETE_DATASTORE_MS = 2 * 60_000;
/** DeleteReplicationGroup (with its final snapshot): deleting until gone (a simulated duration: not documented). */
export const DELETE_REPLICATION_GROUP_MS = 6 * 60_000;

/**
 * API Reference, DeleteGlobalReplicationGroup: "a two-step process": disassociate the secondaries,
 * then delete with RetainPrimaryReplicationGroup=true; "The primary cluster is never deleted when
 * deleting a Global Datastore". Errors: GlobalReplicationGroupNotFoundFault,
 * InvalidGlobalReplicationGroupStateFault ("not available or in primary-only state"),
 * InvalidParameterValue. Which fault answers a datastore that still has secondaries is not documented
 * (assumption: InvalidGlobalReplicationGroupState).
 */
export function deleteDatastore(model: FakeModel, ds: FakeDatastore, retainPrimary: unknown): void {
    if (retainPrimary !== true) {
        throw serviceError(InvalidParameterValueException, "RetainPrimaryReplicationGroup: the fake supports only true (keep the primary as a standalone group)");
    }
    if (ds.members.some((m) => m.role === "SECONDARY")) {
        throw serviceError(InvalidGlobalReplicationGroupStateFault, `Global Datastore ${ds.id} still has secondaries; disassociate them first`);
    }
    const status = model.datastoreStatus(ds);
    if (status !== "available" && status !== "primary-only") {
        throw serviceError(InvalidGlobalReplicationGroupStateFault, `Global Datastore ${ds.id} is ${status}; it can be deleted only when available or primary-only`);
    }
    ds.lifecycle = "deleting";
    model.schedule(model.clock.now() + DELETE_DATASTORE_MS, `${ds.id} deleted`, () => {
        for (const member of ds.members) {
            const rg = model.replicationGroup(member.region, member.replicationGroupId);
            if (rg) {
                rg.global = undefined;
                rg.roleHistory.push({ at: model.clock.now(), role: "standalone" });
            }
        }
        model.datastores.delete(ds.id);
    });
}

/**
 * With `finalSnapshot`, AWS refuses a name already taken in the region (SnapshotAlreadyExistsFault)
 * before deleting anything; the snapshot is creating for `finalSnapshotMs`, then available.
 */
export function deleteReplicationGroup(model: FakeModel, region: string, id: string | undefined, finalSnapshot: string | undefined, finalSnapshotMs: number): void {
    const rg = model.replicationGroup(region, id ?? "");
    if (!rg) {
        throw serviceError(ReplicationGroupNotFoundFault, `ReplicationGroupId "${id}": no replication group with that id in ${region}`);
    }
    // API Reference, DeleteGlobalReplicationGroup: the primary "can only be deleted when it no longer is
    // associated with any Global Datastore". The fault AWS answers with is an assumption.
    if (rg.global) {
        throw serviceError(InvalidReplicationGroupStateFault, `Replication group ${rg.id} is a member of Global Datastore ${rg.global.datastoreId}; remove it from the datastore first`);
    }
    // A group that failed to create can only be deleted (the Terraform provider, upstream of @pulumi/aws, destroys such a tainted group).
    // API Reference, DeleteReplicationGroup, Errors: InvalidReplicationGroupState "not in the available state".
    if (rg.status !== "available" && rg.status !== "create-failed") {
        throw serviceError(InvalidReplicationGroupStateFault, `Replication group ${rg.id} is ${rg.status}; it can be deleted only when available or create-failed`);
    }
    if (finalSnapshot !== undefined) {
        if (model.snapshots.has(snapshotKey(region, finalSnapshot))) {
            throw serviceError(SnapshotAlreadyExistsFault, `A snapshot named ${finalSnapshot} already exists in ${region}`);
        }
        // Taken of the group as it is before the deletion: node snapshots and shape outlive the group.
        startSnapshot(model, rg, finalSnapshot, { source: "manual", durationMs: finalSnapshotMs });
    }
    rg.status = "deleting";
    model.schedule(model.clock.now() + DELETE_REPLICATION_GROUP_MS, `${region}/${rg.id} deleted`, () => {
        model.replicationGroups.delete(FakeModel.key(region, rg.id));
    });
}
