/**
 * FakeAws: the real @aws-sdk/client-elasticache, @aws-sdk/client-cloudwatch and @aws-sdk/client-ssm clients, with
 * `send` intercepted by aws-sdk-client-mock and answered from an in-memory model that moves on with
 * a virtual clock. Endpoints and credentials never matter: nothing leaves the process. Test-only.
 *
 *     const aws = FakeAws.seed(PROD_SEED).install();
 *     afterEach(() => aws.restore());
 *     // code under test builds `new ElastiCacheClient({ region })` as usual and gets the fake
 */
import { CreateReplicationGroupCommand, CreateReplicationGroupCommandInput, ElastiCacheClient, ReplicationGroup } from "@aws-sdk/client-elasticache";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SSMClient } from "@aws-sdk/client-ssm";
import { AwsStub, mockClient } from "aws-sdk-client-mock";
import { CallLog, LoggedCall } from "./call-log";
import { cloudWatchHandlers } from "./cloudwatch-handlers";
import { DEFAULT_DURATIONS, DatastoreOperations, Durations } from "./datastore-ops";
import { HandlerEntry, elastiCacheHandlers } from "./elasticache-handlers";
import { responseMetadata } from "./errors";
import { Faults, Service } from "./faults";
import { ExpiryFunction, FakeDatastore, FakeModel, FakeSnapshot, LagFunction, WriteFunction } from "./model";
import { SeedArgs, seedModel } from "./seed";
import { ssmHandlers } from "./ssm-handlers";
import { TEST_FAILOVER_QUOTA, TestFailoverOperation } from "./test-failover";
import { VirtualClock } from "./virtual-clock";
import { SnapshotOperations, SnapshotSeed, seedSnapshot, snapshotKey } from "./snapshot-ops";

export { PROD_SEED, DATASTORE_ID_PREFIXES, datastoreId } from "./seed";
export type { SeedArgs } from "./seed";
export { DEFAULT_DURATIONS } from "./datastore-ops";
export type { Durations } from "./datastore-ops";
export { VirtualClock } from "./virtual-clock";
export type { LoggedCall } from "./call-log";
export type { SnapshotSeed } from "./snapshot-ops";
export { NODE_SNAPSHOT_SPACING_MS } from "./snapshot-ops";

export interface FakeAwsOptions {
    /** Default: a new VirtualClock at 2025-01-15T10:00:00Z. */
    clock?: VirtualClock;
    /** Overrides of DEFAULT_DURATIONS. */
    durations?: Partial<Durations>;
    /** TestFailover node groups allowed per rolling 24 h per region. Default 15. */
    testFailoverQuota?: number;
    /**
     * Let DisassociateGlobalReplicationGroup through while the datastore is modifying only because the
     * member's own promotion is stuck (and drop that promotion). Default false: refused with
     * InvalidGlobalReplicationGroupState, as AWS documents for a datastore that is not available.
     */
    detachDuringStuckPromotion?: boolean;
}

// The two clients have unrelated input/output unions; the fake only needs what both stubs share.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type AnyStub = AwsStub<any, any, any>;

export class FakeAws {
    readonly clock: VirtualClock;
    readonly model: FakeModel;
    readonly faults: Faults;
    readonly log = new CallLog();
    readonly durations: Durations;
    private readonly datastoreOps: DatastoreOperations;
    private readonly snapshotOps: SnapshotOperations;
    private readonly handlers: { service: Service; entries: HandlerEntry[] }[];
    private stubs: AnyStub[] = [];

    constructor(options: FakeAwsOptions = {}) {
        this.clock = options.clock ?? new VirtualClock();
        this.durations = { ...DEFAULT_DURATIONS, ...options.durations };
        this.model = new FakeModel(this.clock);
        this.faults = new Faults(this.clock);
        this.datastoreOps = new DatastoreOperations(this.model, this.durations, (c) => this.faults.isStuck(c), (r) => this.faults.isRegionDown(r),
            options.detachDuringStuckPromotion ?? false);
        this.snapshotOps = new SnapshotOperations(this.model, this.durations, {
            isStuck: (c) => this.faults.isStuck(c),
            snapshotFails: (r, id) => this.faults.shouldSnapshotFail(r, id),
            restoreFails: (r, id) => this.faults.shouldRestoreFail(r, id),
        });
        const testFailover = new TestFailoverOperation(this.model, this.durations, (c) => this.faults.isStuck(c), options.testFailoverQuota ?? TEST_FAILOVER_QUOTA);
        this.handlers = [
            { service: "elasticache", entries: elastiCacheHandlers(this.model, this.datastoreOps, testFailover, this.durations, this.snapshotOps) },
            { service: "cloudwatch", entries: cloudWatchHandlers(this.model, this.durations, (r, at) => this.faults.metricsSilentAt(r, at)) },
            { service: "ssm", entries: ssmHandlers(this.model) },
        ];
    }

    /** A fake holding one deployed, healthy Global Datastore (see SeedArgs and PROD_SEED). */
    static seed(args: SeedArgs, options: FakeAwsOptions = {}): FakeAws {
        const fake = new FakeAws(options);
        seedModel(fake.model, args);
        return fake;
    }

    /** Intercepts every ElastiCacheClient, CloudWatchClient and SSMClient instance, existing or future. */
    install(): this {
        this.restore();
        const elastiCache = mockClient(ElastiCacheClient) as unknown as AnyStub;
        const cloudWatch = mockClient(CloudWatchClient) as unknown as AnyStub;
        const ssm = mockClient(SSMClient) as unknown as AnyStub;
        this.bind(elastiCache, "elasticache");
        this.bind(cloudWatch, "cloudwatch");
        this.bind(ssm, "ssm");
        this.stubs = [elastiCache, cloudWatch, ssm];
        return this;
    }

    /** Puts the real `send` back. Call it in afterEach so no test file leaks the mock. */
    restore(): void {
        this.stubs.forEach((stub) => stub.restore());
        this.stubs = [];
    }

    /** Forgets calls and faults; the model and the clock stay as they are. */
    reset(): void {
        this.log.clear();
        this.faults.clear();
        this.stubs.forEach((stub) => stub.resetHistory());
    }

    /** Calls that would have changed something in AWS; a dry run must make none. */
    mutatingCalls(): LoggedCall[] {
        return this.log.mutatingCalls();
    }

    /** The one datastore of a seeded fake, or the one with `id`. */
    datastore(id?: string): FakeDatastore {
        if (id !== undefined) {
            return this.model.requireDatastore(id);
        }
        const all = [...this.model.datastores.values()];
        if (all.length !== 1) {
            throw new Error(`FakeAws.datastore(): ${all.length} datastores exist (${all.map((d) => d.id).join(", ")}); pass an id`);
        }
        return all[0];
    }

    /** Replication lag (seconds) of the secondary `rgId` in `region` over virtual time. */
    setReplicationLag(region: string, rgId: string, lag: LagFunction): void {
        this.model.requireReplicationGroup(region, rgId);
        this.model.replicationLag.set(FakeModel.key(region, rgId), lag);
    }

    /**
     * Client write commands per minute sent to each shard primary of `rgId` in `region` over virtual
     * time; replicas run them again (CloudWatch SetTypeCmds per node, see WriteFunction).
     */
    setWrites(region: string, rgId: string, writes: WriteFunction): void {
        this.model.requireReplicationGroup(region, rgId);
        this.model.writes.set(FakeModel.key(region, rgId), writes);
    }

    /** Keys held by each shard of `rgId` over virtual time (CloudWatch CurrItems, the same on every node of the shard). */
    setItems(region: string, rgId: string, items: (atMs: number, shardId: string) => number): void {
        this.model.requireReplicationGroup(region, rgId);
        this.model.items.set(FakeModel.key(region, rgId), items);
    }

    /** Keys expiring per minute in each shard of `rgId`: replicas run a DEL for each (see ExpiryFunction). */
    setExpiries(region: string, rgId: string, expiries: ExpiryFunction): void {
        this.model.requireReplicationGroup(region, rgId);
        this.model.expiries.set(FakeModel.key(region, rgId), expiries);
    }

    /** The value of SSM parameter `name` in `region`, or undefined when it does not exist there. */
    parameter(region: string, name: string): string | undefined {
        return this.model.parameters.get(FakeModel.key(region, name))?.value;
    }

    /** Snapshots in `region`, as AWS holds them now. */
    snapshotsIn(region: string): FakeSnapshot[] {
        this.model.settle();
        return [...this.model.snapshots.values()].filter((s) => s.region === region);
    }

    /**
     * Adds a snapshot AWS took earlier (automated by default) of `seed.replicationGroupId` in `region`,
     * with one node snapshot per node group; the group need not exist (snapshots outlive their group).
     */
    addSnapshot(region: string, seed: SnapshotSeed): FakeSnapshot {
        this.model.settle();
        return seedSnapshot(this.model, region, seed);
    }

    /** The snapshot `name` in `region` as AWS holds it now, or a clear error naming the ones there are. */
    snapshot(region: string, name: string): FakeSnapshot {
        this.model.settle();
        const found = this.model.snapshots.get(snapshotKey(region, name));
        if (!found) {
            throw new Error(`FakeAws: no snapshot ${name} in ${region}; there: ${this.snapshotsIn(region).map((s) => s.name).join(", ") || "none"}`);
        }
        return found;
    }

    /**
     * CreateReplicationGroup through the real SDK client, so it is logged and faults apply: for tests
     * that stand in for something outside the code under test (a stack update creating a group from a
     * snapshot, a human). Accepts every input field the API has and ignores those the fake does not
     * model. Needs install().
     */
    async createReplicationGroup(region: string, input: CreateReplicationGroupCommandInput): Promise<ReplicationGroup> {
        if (this.stubs.length === 0) {
            throw new Error("FakeAws.createReplicationGroup: call install() first; it sends through the intercepted SDK client");
        }
        const client = new ElastiCacheClient({ region, credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" } });
        return (await client.send(new CreateReplicationGroupCommand(input))).ReplicationGroup!;
    }

    /** Someone else modifies the datastore from `atMs` (virtual epoch ms) for `durationMs`. */
    modifyOutOfBand(atMs: number, durationMs: number, datastoreId?: string): void {
        this.datastoreOps.outsideModification(this.datastore(datastoreId), atMs, durationMs);
        this.model.settle();
    }

    /** Someone promoted `region`'s member by hand; roles swap after `durationMs` (default at once). */
    promoteByHand(region: string, durationMs = 0, datastoreId?: string): void {
        this.datastoreOps.promoteByHand(this.datastore(datastoreId), region, durationMs);
    }

    private bind(stub: AnyStub, service: Service): void {
        const entries = this.handlers.find((h) => h.service === service)!.entries;
        stub.onAnyCommand().callsFake((input: object) => {
            // sinon records the call (with its command) before running the fake, so the last one is this call.
            const command = stub.send.args[stub.send.args.length - 1]?.[0] as object | undefined;
            const name = command?.constructor.name ?? "an unknown command";
            return Promise.reject(new Error(`FakeAws does not answer ${name} (${service}, input ${JSON.stringify(input)}); add a handler under tests/recovery/fake/`));
        });
        for (const entry of entries) {
            const name = entry.command.name.replace(/Command$/, "");
            stub.on(entry.command as never).callsFake((input: Record<string, unknown>, getClient: () => { config: unknown }) => {
                // getClient() reads the last recorded `this`: it must be called before anything awaits.
                const config = getClient().config as { region: () => Promise<string> };
                return this.dispatch(service, name, input, config.region(), entry);
            });
        }
    }

    private async dispatch(service: Service, name: string, input: Record<string, unknown>, regionPromise: Promise<string>, entry: HandlerEntry): Promise<object> {
        const region = await regionPromise;
        const call = this.log.record({ service, region, command: name, input: structuredClone(input), at: this.clock.now() });
        try {
            await this.faults.check(service, region, name);
            this.model.settle();
            const output = entry.handle(region, input);
            this.faults.checkAfterEffect(service, region, name);
            call.outcome = "ok";
            return { $metadata: responseMetadata(200), ...output };
        } catch (error) {
            call.outcome = error instanceof Error ? error.name : String(error);
            throw error;
        }
    }
}

