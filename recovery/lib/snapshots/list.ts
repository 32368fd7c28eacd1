/**
 * Reading snapshots from the control plane: every snapshot of a replication group (automated and
 * manual), or one by name. DescribeSnapshots answers at most 50 at a time, so the listing follows
 * Marker to the end; it asks for the node group configuration, which is where cluster mode shows.
 */
import { DescribeSnapshotsCommand, Snapshot } from "@aws-sdk/client-elasticache";
import { AwsCallError, callAws } from "../errors";
import { ClientsFor } from "../retarget/control-plane";

/** Every snapshot of `replicationGroupId` in `region`, automated and manual, in the order AWS lists them. */
export async function listSnapshots(clientsFor: ClientsFor, region: string, replicationGroupId: string, signal?: AbortSignal): Promise<Snapshot[]> {
    const found: Snapshot[] = [];
    let marker: string | undefined;
    do {
        const page = await callAws({ region, service: "elasticache", operation: "DescribeSnapshots" }, () =>
            clientsFor(region).send(new DescribeSnapshotsCommand({ ReplicationGroupId: replicationGroupId, ShowNodeGroupConfig: true, Marker: marker }),
                { abortSignal: signal }));
        found.push(...(page.Snapshots ?? []));
        marker = page.Marker;
    } while (marker);
    return found;
}

/** The snapshot named `name` in `region`, or undefined when AWS knows none by that name. */
export async function findSnapshot(clientsFor: ClientsFor, region: string, name: string, signal?: AbortSignal): Promise<Snapshot | undefined> {
    try {
        const answer = await callAws({ region, service: "elasticache", operation: "DescribeSnapshots" }, () =>
            clientsFor(region).send(new DescribeSnapshotsCommand({ SnapshotName: name, ShowNodeGroupConfig: true }), { abortSignal: signal }));
        return answer.Snapshots?.[0];
    } catch (e) {
        if (e instanceof AwsCallError && e.kind === "not-found") {
            return undefined;
        }
        throw e;
    }
}

/** A snapshot name that is taken in its region: AWS would refuse it (SnapshotAlreadyExistsFault). */
export class SnapshotNameTakenError extends Error {
    constructor(message: string, readonly region: string, readonly snapshotName: string) {
        super(message);
        this.name = "SnapshotNameTakenError";
    }
}

/**
 * Checks with DescribeSnapshots that no snapshot is named `name` in `region` before a call asks AWS
 * for one by that name (CreateSnapshot, or DeleteReplicationGroup's FinalSnapshotIdentifier): AWS
 * refuses a taken name, and for a final snapshot that refusal would come in the middle of a deletion.
 * `what` says what the name is for, in the message.
 */
export async function assertSnapshotNameFree(clientsFor: ClientsFor, region: string, name: string, what: string, signal?: AbortSignal): Promise<void> {
    const taken = await findSnapshot(clientsFor, region, name, signal);
    if (taken) {
        throw new SnapshotNameTakenError(`${what}: a snapshot named ${name} already exists in ${region} (of ${taken.ReplicationGroupId ?? "an unknown group"}, ` +
            `${taken.SnapshotStatus ?? "status unknown"}), and AWS refuses a name that is taken in the region, so the call that needs it was not made. ` +
            "Run the same command again: the name carries the time of the run, so the new run's is free.", region, name);
    }
}
