/**
 * Global Datastore state changes: failover, disassociation, creation, a secondary joining, and the
 * out-of-band changes tests inject (someone else modifying, someone promoting by hand). Each one
 * validates like AWS, then moves statuses on through scheduled transitions. Test-only.
 *
 * Event messages for these operations are the fake's own wording (AWS does not document them);
 * code under test should not match on them. TestFailover events follow the documented texts.
 */
import {
    GlobalReplicationGroupAlreadyExistsFault, GlobalReplicationGroupNotFoundFault, InvalidGlobalReplicationGroupStateFault, InvalidParameterCombinationException,
    InvalidParameterValueException, InvalidReplicationGroupStateFault, ReplicationGroupAlreadyExistsFault, ReplicationGroupNotFoundFault,
} from "@aws-sdk/client-elasticache";
import { serviceError } from "./errors";
import { FakeDatastore, FakeMember, FakeModel } from "./model";
import { buildReplicationGroup, datastoreId, resolveShape } from "./seed";

/**
 * How long each operation takes in virtual time. Every field documents its default. All are
 * simulated values chosen for the tests, not documented by AWS; only their order of magnitude follows
 * the shared ElastiCache facts (promotion about a minute, creation or restore tens of minutes).
 */
export interface Durations {
    /** FailoverGlobalReplicationGroup, modifying until roles swap. Default 60 s ("about a minute"). */
    failover: number;
    /** DisassociateGlobalReplicationGroup, disassociating until the member leaves. Default 90 s. */
    disassociate: number;
    /** CreateGlobalReplicationGroup, creating until available. Default 5 min. */
    createDatastore: number;
    /** CreateReplicationGroup joining a datastore, creating/associating until associated. Default 20 min. */
    joinSecondary: number;
    /** CreateReplicationGroup of a standalone group. Default 15 min. */
    createReplicationGroup: number;
    /** TestFailover: from the call to the replica's promotion. Default 20 s. */
    testFailoverPromotion: number;
    /** TestFailover: from the call to "Recovering cache nodes". Default 60 s. */
    testFailoverRecoveryStart: number;
    /** TestFailover: from the call to "Finished recovery"; the next call may start then. Default 8 min. */
    testFailoverRecovered: number;
    /** CloudWatch: a 60 s datapoint becomes readable this long after its period ends. Default 60 s. */
    metricPublishDelay: number;
    /** DeleteReplicationGroup with FinalSnapshotIdentifier: the snapshot is creating this long. Default 4 min. */
    finalSnapshot: number;
    /** CreateSnapshot: the snapshot is creating (the group snapshotting) this long. Default 5 min. */
    snapshot: number;
    /** CreateReplicationGroup with SnapshotName: creating this long, then available (or create-failed). Default 25 min. */
    restore: number;
}

export const DEFAULT_DURATIONS: Durations = {
    failover: 60_000,
    disassociate: 90_000,
    createDatastore: 5 * 60_000,
    joinSecondary: 20 * 60_000,
    createReplicationGroup: 15 * 60_000,
    testFailoverPromotion: 20_000,
    testFailoverRecoveryStart: 60_000,
    testFailoverRecovered: 8 * 60_000,
    metricPublishDelay: 60_000,
    finalSnapshot: 4 * 60_000,
    snapshot: 5 * 60_000,
    restore: 25 * 60_000,
};

/**
 * Parameters a joining secondary must not set: the datastore decides them. The list is the provider's
 * (terraform-provider-aws internal/service/elasticache/replication_group.go, global_replication_group_id
 * ConflictsWith); that AWS answers InvalidParameterCombination when they are sent is an assumption (the
 * provider refuses them before any call).
 */
const SECONDARY_FORBIDDEN = [
    "NumNodeGroups", "CacheParameterGroupName", "Engine", "EngineVersion", "CacheNodeType", "CacheSecurityGroupNames",
    "TransitEncryptionEnabled", "TransitEncryptionMode", "AtRestEncryptionEnabled", "SnapshotArns", "SnapshotName",
] as const;

export interface CreateReplicationGroupArgs {
    ReplicationGroupId?: string;
    GlobalReplicationGroupId?: string;
    NumNodeGroups?: number;
    ReplicasPerNodeGroup?: number;
    Engine?: string;
    EngineVersion?: string;
    CacheNodeType?: string;
    ClusterMode?: string;
    Port?: number;
    [key: string]: unknown;
}

export class DatastoreOperations {
    constructor(
        private readonly model: FakeModel,
        private readonly durations: Durations,
        /** Commands whose operations never complete (the "stuck" fault). */
        private readonly neverFinishes: (command: string) => boolean,
        private readonly regionDown: (region: string) => boolean,
        /**
         * Whether a secondary whose own promotion is stuck may be detached while the datastore is
         * modifying. AWS documents InvalidGlobalReplicationGroupState for a detach when the datastore
         * is not available, and does not say whether a stuck promotion is an exception, so the
         * default refuses; tests opt in to the permissive behaviour to cover both.
         */
        private readonly detachDuringStuckPromotion: boolean = false,
    ) {}

    private now(): number {
        return this.model.now();
    }

    private finishAt(command: string, duration: number): number {
        return this.neverFinishes(command) ? Infinity : this.now() + duration;
    }

    private memberNamed(ds: FakeDatastore, field: string, rgId: string | undefined, regionField: string, region: string | undefined): FakeMember {
        const member = ds.members.find((m) => m.replicationGroupId === rgId);
        if (!member) {
            const names = ds.members.map((m) => `${m.replicationGroupId} (${m.region})`).join(", ");
            throw serviceError(InvalidParameterValueException, `${field} "${rgId}" is not a member of Global Datastore ${ds.id}; members: ${names}`);
        }
        if (member.region !== region) {
            throw serviceError(InvalidParameterValueException, `${regionField} "${region}" does not match the region of ${rgId}, which is ${member.region}`);
        }
        return member;
    }

    /**
     * API Reference, FailoverGlobalReplicationGroup and DisassociateGlobalReplicationGroup, Errors:
     * InvalidGlobalReplicationGroupStateFault "The Global datastore is not available or in primary-only state."
     */
    private requireAvailable(ds: FakeDatastore, action: string): void {
        const status = this.model.datastoreStatus(ds);
        if (status !== "available") {
            throw serviceError(InvalidGlobalReplicationGroupStateFault, `Global Datastore ${ds.id} is ${status}; ${action} needs it available`);
        }
    }

    /**
     * FailoverGlobalReplicationGroup: the target names the SECONDARY to promote (API Reference: "The
     * secondary region will become primary, and all other clusters will become secondary."). Naming the
     * current primary or a region that does not match is answered with InvalidParameterValue: an
     * assumption (both faults are in the operation's error list, neither case is documented).
     */
    failover(ds: FakeDatastore, targetId: string | undefined, targetRegion: string | undefined): void {
        this.requireAvailable(ds, "FailoverGlobalReplicationGroup");
        const target = this.memberNamed(ds, "PrimaryReplicationGroupId", targetId, "PrimaryRegion", targetRegion);
        if (target.role !== "SECONDARY") {
            throw serviceError(InvalidParameterValueException, `PrimaryReplicationGroupId "${targetId}" is already the primary of ${ds.id}; name a secondary member to promote`);
        }
        if (target.status !== "associated") {
            throw serviceError(InvalidGlobalReplicationGroupStateFault, `Member ${targetId} of ${ds.id} is ${target.status}; only an associated secondary can be promoted`);
        }
        const oldPrimary = this.model.primaryMember(ds)!;
        // Assumption: the old primary has to hand over; while its region does not answer, the promotion cannot finish.
        const finish = this.regionDown(oldPrimary.region) ? Infinity : this.finishAt("FailoverGlobalReplicationGroup", this.durations.failover);
        this.beginFailover(ds, oldPrimary, target, finish, "failover");
    }

    /**
     * Datastore statuses creating | modifying | available | primary-only | deleting are the provider's
     * (terraform-provider-aws internal/service/elasticache/global_replication_group.go, status
     * constants). Member status "associated" is the provider's too; "associating" and "disassociating",
     * and both groups reading "modifying" during a failover, are assumptions.
     */
    private beginFailover(ds: FakeDatastore, oldPrimary: FakeMember, target: FakeMember, finishAt: number, opLabel: string): void {
        const op = `${opLabel}:${target.replicationGroupId}`;
        ds.operations.add(op);
        const groups = [oldPrimary, target].map((m) => this.model.requireReplicationGroup(m.region, m.replicationGroupId));
        groups.forEach((rg) => (rg.status = "modifying"));
        for (const m of ds.members) {
            this.model.emit(m.region, "replication-group", m.replicationGroupId,
                `Failover of Global Datastore ${ds.id} started: promoting ${target.replicationGroupId} in ${target.region}`);
        }
        this.model.schedule(finishAt, `${ds.id} ${op} completes`, () => {
            const at = this.now();
            this.model.setRole(ds, oldPrimary, "SECONDARY", at);
            this.model.setRole(ds, target, "PRIMARY", at);
            groups.forEach((rg) => (rg.status = "available"));
            ds.operations.delete(op);
            for (const m of ds.members) {
                this.model.emit(m.region, "replication-group", m.replicationGroupId,
                    `Failover of Global Datastore ${ds.id} completed: ${target.replicationGroupId} in ${target.region} is the primary`);
            }
        });
    }

    /** DisassociateGlobalReplicationGroup: the secondary leaves and becomes a standalone, writable group. */
    disassociate(ds: FakeDatastore, rgId: string | undefined, region: string | undefined): void {
        const member = this.memberNamed(ds, "ReplicationGroupId", rgId, "ReplicationGroupRegion", region);
        if (member.role !== "SECONDARY") {
            throw serviceError(InvalidParameterValueException, `ReplicationGroupId "${rgId}" is the primary of ${ds.id}; only a secondary can be disassociated`);
        }
        // Only when opted in: a promotion of this member that cannot finish does not block detaching it,
        // and the detach drops the stuck promotion.
        const stuckPromotion = `failover:${member.replicationGroupId}`;
        if (!(this.detachDuringStuckPromotion && ds.operations.size === 1 && ds.operations.has(stuckPromotion))) {
            this.requireAvailable(ds, "DisassociateGlobalReplicationGroup");
        }
        const op = `disassociate:${member.replicationGroupId}`;
        member.status = "disassociating";
        ds.operations.add(op);
        this.model.emit(member.region, "replication-group", member.replicationGroupId, `Disassociating from Global Datastore ${ds.id}`);
        this.model.schedule(this.finishAt("DisassociateGlobalReplicationGroup", this.durations.disassociate), `${ds.id} ${op} completes`, () => {
            const rg = this.model.requireReplicationGroup(member.region, member.replicationGroupId);
            ds.members = ds.members.filter((m) => m !== member);
            ds.operations.delete(op);
            if (ds.operations.delete(stuckPromotion)) {
                const primary = this.model.primaryMember(ds);
                [rg, primary && this.model.replicationGroup(primary.region, primary.replicationGroupId)].forEach((g) => g && (g.status = "available"));
            }
            rg.global = undefined;
            rg.roleHistory.push({ at: this.now(), role: "standalone" });
            this.model.emit(member.region, "replication-group", member.replicationGroupId, `Disassociated from Global Datastore ${ds.id}; the group now accepts writes`);
        });
    }

    /**
     * CreateGlobalReplicationGroup from a standalone, available group of the calling region. Errors as the
     * API Reference lists them: GlobalReplicationGroupAlreadyExistsFault, InvalidParameterValue,
     * InvalidReplicationGroupStateFault, ReplicationGroupNotFoundFault. The id is the suffix behind a
     * region-specific prefix (provider: GlobalReplicationGroupRegionPrefixFormat "[[:alpha:]]{5}-").
     */
    createDatastore(region: string, suffix: string | undefined, primaryId: string | undefined, description?: string): FakeDatastore {
        if (!suffix) {
            throw serviceError(InvalidParameterValueException, "GlobalReplicationGroupIdSuffix is required: the datastore name AWS prefixes with a region code");
        }
        const rg = this.model.replicationGroup(region, primaryId ?? "");
        if (!rg) {
            throw serviceError(ReplicationGroupNotFoundFault, `PrimaryReplicationGroupId "${primaryId}": no replication group with that id in ${region}`);
        }
        if (rg.global) {
            throw serviceError(InvalidReplicationGroupStateFault, `Replication group ${rg.id} already belongs to Global Datastore ${rg.global.datastoreId}`);
        }
        if (rg.status !== "available") {
            throw serviceError(InvalidReplicationGroupStateFault, `Replication group ${rg.id} is ${rg.status}; it must be available to found a Global Datastore`);
        }
        const id = datastoreId(region, suffix);
        if (this.model.datastores.has(id)) {
            throw serviceError(GlobalReplicationGroupAlreadyExistsFault, `Global Datastore ${id} already exists`);
        }
        const ds: FakeDatastore = {
            id, description: description ?? "", lifecycle: "creating", operations: new Set(),
            engine: rg.engine, engineVersion: rg.engineVersion, nodeType: rg.nodeType, clusterEnabled: rg.clusterMode !== "disabled",
            members: [{ replicationGroupId: rg.id, region, role: "PRIMARY", status: "associating" }],
        };
        this.model.datastores.set(id, ds);
        rg.global = { datastoreId: id, role: "PRIMARY" };
        rg.roleHistory.push({ at: this.now(), role: "PRIMARY" });
        this.model.emit(region, "replication-group", rg.id, `Creating Global Datastore ${id}`);
        this.model.schedule(this.finishAt("CreateGlobalReplicationGroup", this.durations.createDatastore), `${id} created`, () => {
            ds.lifecycle = undefined;
            ds.members[0].status = "associated";
            this.model.emit(region, "replication-group", rg.id, `Global Datastore ${id} created`);
        });
        return ds;
    }

    /** CreateReplicationGroup: a secondary joining a datastore, or a standalone group. */
    createReplicationGroup(region: string, input: CreateReplicationGroupArgs): void {
        const id = input.ReplicationGroupId;
        if (!id) {
            throw serviceError(InvalidParameterValueException, "ReplicationGroupId is required");
        }
        if (this.model.replicationGroup(region, id)) {
            throw serviceError(ReplicationGroupAlreadyExistsFault, `Replication group ${id} already exists in ${region}`);
        }
        if (input.GlobalReplicationGroupId) {
            this.joinSecondary(region, id, input);
            return;
        }
        const shape = resolveShape({
            shards: input.NumNodeGroups, replicasPerShard: input.ReplicasPerNodeGroup, engine: input.Engine,
            engineVersion: input.EngineVersion, nodeType: input.CacheNodeType, port: input.Port,
            clusterMode: input.ClusterMode as "enabled" | "disabled" | "compatible" | undefined,
        });
        const rg = buildReplicationGroup(id, region, shape, this.now());
        rg.status = "creating";
        this.model.addReplicationGroup(rg);
        this.model.emit(region, "replication-group", id, "Replication group created (creating)");
        this.model.schedule(this.finishAt("CreateReplicationGroup", this.durations.createReplicationGroup), `${region}/${id} available`, () => {
            rg.status = "available";
            this.model.emit(region, "replication-group", id, "Replication group available");
        });
    }

    private joinSecondary(region: string, id: string, input: CreateReplicationGroupArgs): void {
        const setForbidden = SECONDARY_FORBIDDEN.filter((key) => input[key] !== undefined);
        if (setForbidden.length > 0) {
            throw serviceError(InvalidParameterCombinationException,
                `A replication group joining Global Datastore ${input.GlobalReplicationGroupId} must not set ${setForbidden.join(", ")}: the datastore decides them`);
        }
        const ds = this.model.datastores.get(input.GlobalReplicationGroupId!);
        // API Reference, CreateReplicationGroup, Errors: GlobalReplicationGroupNotFoundFault.
        if (!ds) {
            throw serviceError(GlobalReplicationGroupNotFoundFault, `GlobalReplicationGroupId "${input.GlobalReplicationGroupId}": no such Global Datastore`);
        }
        // ElastiCache User Guide, "Prerequisites and limitations" (global datastores): a primary replicates
        // "to a secondary cluster in up to two other AWS Regions". The faults for breaking that are assumptions.
        if (ds.members.some((m) => m.region === region)) {
            throw serviceError(InvalidParameterValueException, `Global Datastore ${ds.id} already has a member in ${region}; each member needs its own region`);
        }
        if (ds.members.filter((m) => m.role === "SECONDARY").length >= 2) {
            throw serviceError(InvalidParameterValueException, `Global Datastore ${ds.id} already has 2 secondaries, the most it can have`);
        }
        const status = this.model.datastoreStatus(ds);
        if (status !== "available" && status !== "primary-only") {
            throw serviceError(InvalidGlobalReplicationGroupStateFault, `Global Datastore ${ds.id} is ${status}; a secondary can join only when it is available or primary-only`);
        }
        const primary = this.model.requireReplicationGroup(this.model.primaryMember(ds)!.region, this.model.primaryMember(ds)!.replicationGroupId);
        const shape = resolveShape({
            shards: primary.nodeGroups.length, replicasPerShard: input.ReplicasPerNodeGroup ?? primary.nodeGroups[0].nodes.length - 1,
            engine: ds.engine, engineVersion: ds.engineVersion, nodeType: ds.nodeType, clusterMode: primary.clusterMode, port: input.Port ?? primary.port,
        });
        const rg = buildReplicationGroup(id, region, shape, this.now(), { datastoreId: ds.id, role: "SECONDARY" });
        rg.status = "creating";
        this.model.addReplicationGroup(rg);
        const member: FakeMember = { replicationGroupId: id, region, role: "SECONDARY", status: "associating" };
        ds.members.push(member);
        const op = `join:${id}`;
        ds.operations.add(op);
        this.model.emit(region, "replication-group", id, `Joining Global Datastore ${ds.id} as a secondary`);
        this.model.schedule(this.finishAt("CreateReplicationGroup", this.durations.joinSecondary), `${ds.id} ${op} completes`, () => {
            rg.status = "available";
            member.status = "associated";
            ds.operations.delete(op);
            this.model.emit(region, "replication-group", id, `Joined Global Datastore ${ds.id} as a secondary`);
        });
    }

    /** Someone else's change (a scale-up, an upgrade) keeps the datastore modifying from `atMs` for `durationMs`. */
    outsideModification(ds: FakeDatastore, atMs: number, durationMs: number, what = "a change made outside the recovery program"): void {
        const op = `outside:${atMs}:${what}`;
        this.model.schedule(atMs, `${ds.id} ${what} starts`, () => {
            ds.operations.add(op);
            for (const m of ds.members) {
                this.model.emit(m.region, "replication-group", m.replicationGroupId, `Global Datastore ${ds.id} modifying: ${what}`);
            }
        });
        this.model.schedule(atMs + durationMs, `${ds.id} ${what} ends`, () => ds.operations.delete(op));
    }

    /** Someone promoted `region`'s member by hand (console or CLI): no call of ours, same outcome. */
    promoteByHand(ds: FakeDatastore, region: string, durationMs = 0): void {
        const target = ds.members.find((m) => m.region === region);
        if (!target || target.role !== "SECONDARY") {
            throw new Error(`FakeAws.promoteByHand: ${ds.id} has no secondary in ${region}; members: ${ds.members.map((m) => `${m.region} ${m.role}`).join(", ")}`);
        }
        this.beginFailover(ds, this.model.primaryMember(ds)!, target, this.now() + durationMs, "promoted-by-hand");
        this.model.settle();
    }
}
