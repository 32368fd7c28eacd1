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
