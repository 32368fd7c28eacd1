/**
 * One function per ElastiCache command: reads the input the way AWS does (required fields,
 * regional visibility, paging), calls the model or its operations, answers with SDK shapes.
 * Test-only.
 */
import {
    CreateGlobalReplicationGroupCommand, CreateReplicationGroupCommand, CreateSnapshotCommand, DeleteGlobalReplicationGroupCommand, DeleteReplicationGroupCommand, DescribeEventsCommand,
    DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand, DescribeSnapshotsCommand, DisassociateGlobalReplicationGroupCommand, FailoverGlobalReplicationGroupCommand,
    GlobalReplicationGroupNotFoundFault, InvalidParameterValueException, ReplicationGroupNotFoundFault, TestFailoverCommand,
} from "@aws-sdk/client-elasticache";
import { CreateReplicationGroupArgs, DatastoreOperations, Durations } from "./datastore-ops";
import { deleteDatastore, deleteReplicationGroup } from "./delete-ops";
import { serviceError } from "./errors";
import { FakeDatastore, FakeModel } from "./model";
import { datastoreShape, eventShape, replicationGroupShape, snapshotShape } from "./shapes";
import { TestFailoverOperation } from "./test-failover";
import { SnapshotOperations, findSnapshots } from "./snapshot-ops";

/** A handler gets the region the client was configured for and the command input. */
export type Handler = (region: string, input: any) => object;

/** The Command class a handler answers, and the handler. */
export interface HandlerEntry {
    command: abstract new (...args: any[]) => unknown;
    handle: Handler;
}

const MINUTE_MS = 60_000;
/**
 * API Reference, DescribeEvents: "By default, only the events occurring within the last hour are
 * returned; however, you can retrieve up to 14 days' worth of events".
 */
const EVENT_RETENTION_MS = 14 * 24 * 60 * MINUTE_MS;

/**
 * MaxRecords/Marker paging as the Describe* APIs do it. API Reference, DescribeReplicationGroups and
 * DescribeEvents, MaxRecords: "Default: 100 Constraints: minimum 20; maximum 100"; DescribeSnapshots:
 * "Default: 50 Constraints: minimum 20; maximum 50". DescribeGlobalReplicationGroups documents no
 * bounds: the fake applies 20..100 there too (an assumption). The Marker is opaque in the API; the
 * fake's is an index of its own.
 */
export function page<T>(items: T[], input: { MaxRecords?: number; Marker?: string }, limits: { max: number } = { max: 100 }): { items: T[]; Marker?: string } {
    const max = input.MaxRecords ?? limits.max;
    if (!Number.isInteger(max) || max < 20 || max > limits.max) {
        throw serviceError(InvalidParameterValueException, `MaxRecords must be an integer from 20 to ${limits.max}, got ${input.MaxRecords}`);
    }
    const start = input.Marker === undefined ? 0 : Number(input.Marker);
    if (!Number.isInteger(start) || start < 0 || start > items.length) {
        throw serviceError(InvalidParameterValueException, `Marker "${input.Marker}" was not returned by a previous call of this operation`);
    }
    const end = start + max;
    return { items: items.slice(start, end), Marker: end < items.length ? String(end) : undefined };
}

/**
 * Assumption: which code AWS answers a missing required parameter with is not documented per
 * operation (the query protocol's common errors list MissingParameter); the fake answers
 * InvalidParameterValue. Code under test never leaves a required parameter out on purpose.
 */
function required(command: string, input: Record<string, unknown>, ...fields: string[]): void {
    const missing = fields.filter((f) => input[f] === undefined || input[f] === "");
    if (missing.length > 0) {
        throw serviceError(InvalidParameterValueException, `${command}: missing required parameter(s) ${missing.join(", ")}`);
    }
}

function toMs(value: unknown, field: string): number {
    const ms = value instanceof Date ? value.getTime() : typeof value === "string" || typeof value === "number" ? new Date(value).getTime() : NaN;
    if (Number.isNaN(ms)) {
        throw serviceError(InvalidParameterValueException, `${field} must be a date, got ${String(value)}`);
    }
    return ms;
}

export function elastiCacheHandlers(model: FakeModel, datastores: DatastoreOperations, testFailover: TestFailoverOperation, durations: Durations,
    snapshots: SnapshotOperations): HandlerEntry[] {
    // Assumption: a Global Datastore is described (and failed over, detached, deleted) through the API of
    // any region that holds a member, and not found elsewhere; the API reference does not say.
    const visibleDatastore = (region: string, id: string | undefined): FakeDatastore => {
        const ds = model.datastoresVisibleIn(region).find((d) => d.id === id);
        if (!ds) {
            throw serviceError(GlobalReplicationGroupNotFoundFault, `GlobalReplicationGroupId "${id}": no Global Datastore with that id has a member in ${region}`);
        }
        return ds;
    };

    return [
        {
            command: DescribeGlobalReplicationGroupsCommand,
            handle: (region, input) => {
                const found = input.GlobalReplicationGroupId ? [visibleDatastore(region, input.GlobalReplicationGroupId)] : model.datastoresVisibleIn(region);
                const { items, Marker } = page(found, input);
                return { GlobalReplicationGroups: items.map((ds) => datastoreShape(model, ds, input.ShowMemberInfo === true)), Marker };
            },
        },
        {
            command: DescribeReplicationGroupsCommand,
            handle: (region, input) => {
                let found = model.replicationGroupsIn(region);
                if (input.ReplicationGroupId) {
                    // API Reference, DescribeReplicationGroups: ReplicationGroupId "is not case sensitive".
                    found = found.filter((rg) => rg.id.toLowerCase() === String(input.ReplicationGroupId).toLowerCase());
                    if (found.length === 0) {
                        throw serviceError(ReplicationGroupNotFoundFault, `ReplicationGroupId "${input.ReplicationGroupId}": no replication group with that id in ${region}`);
                    }
                }
                const { items, Marker } = page(found, input);
                return { ReplicationGroups: items.map(replicationGroupShape), Marker };
            },
        },
        {
            command: FailoverGlobalReplicationGroupCommand,
            handle: (region, input) => {
                required("FailoverGlobalReplicationGroup", input, "GlobalReplicationGroupId", "PrimaryRegion", "PrimaryReplicationGroupId");
                const ds = visibleDatastore(region, input.GlobalReplicationGroupId);
                datastores.failover(ds, input.PrimaryReplicationGroupId, input.PrimaryRegion);
                return { GlobalReplicationGroup: datastoreShape(model, ds, true) };
            },
        },
        {
            command: DisassociateGlobalReplicationGroupCommand,
            handle: (region, input) => {
                required("DisassociateGlobalReplicationGroup", input, "GlobalReplicationGroupId", "ReplicationGroupId", "ReplicationGroupRegion");
                const ds = visibleDatastore(region, input.GlobalReplicationGroupId);
                datastores.disassociate(ds, input.ReplicationGroupId, input.ReplicationGroupRegion);
                return { GlobalReplicationGroup: datastoreShape(model, ds, true) };
            },
        },
        {
            command: CreateGlobalReplicationGroupCommand,
            handle: (region, input) => {
                required("CreateGlobalReplicationGroup", input, "GlobalReplicationGroupIdSuffix", "PrimaryReplicationGroupId");
                const ds = datastores.createDatastore(region, input.GlobalReplicationGroupIdSuffix, input.PrimaryReplicationGroupId, input.GlobalReplicationGroupDescription);
                return { GlobalReplicationGroup: datastoreShape(model, ds, true) };
            },
        },
        {
            command: CreateReplicationGroupCommand,
            handle: (region, given: CreateReplicationGroupArgs) => {
                required("CreateReplicationGroup", given, "ReplicationGroupId", "ReplicationGroupDescription");
                // API Reference, CreateReplicationGroup: ReplicationGroupId "is stored as a lowercase string".
                const input: CreateReplicationGroupArgs = { ...given, ReplicationGroupId: given.ReplicationGroupId!.toLowerCase() };
                if (input.SnapshotArns !== undefined && input.GlobalReplicationGroupId === undefined) {
                    throw serviceError(InvalidParameterValueException, "SnapshotArns: the fake does not model seeding from S3; restore with SnapshotName");
                }
                // A secondary may not name a snapshot: joining refuses it (InvalidParameterCombination).
                if (input.SnapshotName !== undefined && input.GlobalReplicationGroupId === undefined) {
                    return { ReplicationGroup: replicationGroupShape(snapshots.restore(region, input)) };
                }
                datastores.createReplicationGroup(region, input);
                return { ReplicationGroup: replicationGroupShape(model.requireReplicationGroup(region, input.ReplicationGroupId!)) };
            },
        },
        {
            command: DeleteGlobalReplicationGroupCommand,
            handle: (region, input) => {
                // API Reference, DeleteGlobalReplicationGroup: RetainPrimaryReplicationGroup is required.
                required("DeleteGlobalReplicationGroup", input, "GlobalReplicationGroupId", "RetainPrimaryReplicationGroup");
                const ds = visibleDatastore(region, input.GlobalReplicationGroupId);
                deleteDatastore(model, ds, input.RetainPrimaryReplicationGroup);
                return { GlobalReplicationGroup: datastoreShape(model, ds, true) };
            },
        },
        {
            command: DeleteReplicationGroupCommand,
            handle: (region, input) => {
                required("DeleteReplicationGroup", input, "ReplicationGroupId");
                deleteReplicationGroup(model, region, input.ReplicationGroupId, input.FinalSnapshotIdentifier, durations.finalSnapshot);
                return { ReplicationGroup: replicationGroupShape(model.requireReplicationGroup(region, input.ReplicationGroupId)) };
            },
        },
        {
            command: DescribeSnapshotsCommand,
            handle: (region, input) => {
                // DescribeSnapshots pages by 20..50 records (default 50), unlike the other Describe calls.
                const { items, Marker } = page(findSnapshots(model, region, input), input, { max: 50 });
                return { Snapshots: items.map((s) => snapshotShape(s, model.now(), input.ShowNodeGroupConfig === true)), Marker };
            },
        },
        {
            command: CreateSnapshotCommand,
            handle: (region, input) => {
                required("CreateSnapshot", input, "SnapshotName");
                return { Snapshot: snapshotShape(snapshots.createSnapshot(region, input), model.now(), true) };
            },
        },
        {
            command: TestFailoverCommand,
            handle: (region, input) => {
                required("TestFailover", input, "ReplicationGroupId", "NodeGroupId");
                return { ReplicationGroup: replicationGroupShape(testFailover.run(region, input.ReplicationGroupId, input.NodeGroupId)) };
            },
        },
        {
            command: DescribeEventsCommand,
            handle: (region, input) => {
                const now = model.clock.now();
                const end = input.EndTime !== undefined ? toMs(input.EndTime, "EndTime") : now;
                let start: number;
                if (input.StartTime !== undefined) {
                    start = toMs(input.StartTime, "StartTime");
                } else {
                    // Duration: "the number of minutes worth of events to retrieve"; default the last hour (above).
                    const minutes = input.Duration ?? 60;
                    if (!Number.isInteger(minutes) || minutes < 0 || minutes > 14 * 24 * 60) {
                        throw serviceError(InvalidParameterValueException, `Duration must be a whole number of minutes from 0 to 20160 (14 days), got ${input.Duration}`);
                    }
                    start = end - minutes * MINUTE_MS;
                }
                start = Math.max(start, now - EVENT_RETENTION_MS);
                // SourceType / SourceIdentifier filters: API Reference, DescribeEvents. Order (newest first) is an assumption.
                const found = model.eventsIn(region).filter((e) =>
                    e.at >= start && e.at <= end &&
                    (input.SourceType === undefined || e.sourceType === input.SourceType) &&
                    (input.SourceIdentifier === undefined || e.sourceIdentifier === input.SourceIdentifier));
                const { items, Marker } = page(found, input);
                return { Events: items.map(eventShape), Marker };
            },
        },
    ];
}
