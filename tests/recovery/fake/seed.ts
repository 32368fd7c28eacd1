/**
 * Builds a model that looks like a deployed stack: a founding primary, one or two secondaries, all
 * associated and available, ids from components/naming.ts. Test-only.
 */
import { endpointDocumentText } from "../../../components/endpoints";
import { NamingInput, globalDatastoreSuffix, memberClusterId, replicationGroupId, shardId, writerParameterName } from "../../../components/naming";
import { DATASTORE_ID_PREFIXES } from "../../../recovery/lib/founding-region";
import { ClusterMode, FakeDatastore, FakeModel, FakeNodeGroup, FakeReplicationGroup, MemberRole } from "./model";
import { replicationGroupShape } from "./shapes";
import { putParameter } from "./ssm-handlers";

// One table for the fake and for recovery, which reads the founding region from an id's prefix.
export { DATASTORE_ID_PREFIXES };

/**
 * API Reference, CreateGlobalReplicationGroup: "Amazon ElastiCache automatically applies a prefix to
 * the Global datastore ID ... Each Amazon Region has its own prefix" (the list: User Guide, "Using the
 * AWS CLI with Global datastores").
 */
export function datastoreId(foundingRegion: string, suffix: string): string {
    const prefix = DATASTORE_ID_PREFIXES[foundingRegion];
    if (!prefix) {
        throw new Error(`FakeAws: no Global Datastore id prefix known for region "${foundingRegion}"; known: ${Object.keys(DATASTORE_ID_PREFIXES).join(", ")}`);
    }
    return `${prefix}-${suffix}`;
}

export interface ShapeArgs {
    /** Node groups (shards). Default 3. */
    shards?: number;
    /** Replicas per shard. Default 2. */
    replicasPerShard?: number;
    /** Default "valkey". */
    engine?: string;
    /** Default "8.0". */
    engineVersion?: string;
    /** Default "cache.r7g.xlarge" (Pulumi.prod.yaml). */
    nodeType?: string;
    /** Default "enabled". */
    clusterMode?: ClusterMode;
    /** Default 6379. */
    port?: number;
}

export interface MemberArgs {
    region: string;
    /** Default: naming.ts replicationGroupId(naming, region). */
    id?: string;
}

export interface SeedArgs extends ShapeArgs {
    /** Names ids the way the program does. Default {stack: "prod", namePrefix: "prod"}. */
    naming?: NamingInput;
    /** Default: naming.ts globalDatastoreSuffix(naming). */
    datastoreSuffix?: string;
    primary: MemberArgs;
    /** One or two; each in a region other than the primary's. */
    secondaries: MemberArgs[];
    /** Region whose member created the datastore (gives the id prefix). Default: primary.region. */
    foundingRegion?: string;
}

/** Pulumi.prod.yaml as deployed: us-east-1 primary and founder, us-west-2 and eu-west-1 secondaries. */
export const PROD_SEED: SeedArgs = {
    naming: { stack: "prod", namePrefix: "prod" },
    primary: { region: "us-east-1" },
    secondaries: [{ region: "us-west-2" }, { region: "eu-west-1" }],
    shards: 3,
    replicasPerShard: 2,
    engine: "valkey",
    engineVersion: "8.0",
    nodeType: "cache.r7g.xlarge",
};

const DAY_MS = 24 * 60 * 60 * 1000;

/** 16384 hash slots split evenly, as ElastiCache does for a new cluster-mode group. */
function slotRange(shard: number, shards: number): string {
    const start = Math.floor(((shard - 1) * 16384) / shards);
    const end = Math.floor((shard * 16384) / shards) - 1;
    return `${start}-${end}`;
}

/** Node groups with the primary of shard i in AZ (i mod 3) and replicas in the following AZs. */
export function buildNodeGroups(rgId: string, region: string, shards: number, replicasPerShard: number): FakeNodeGroup[] {
    const azs = ["a", "b", "c"].map((letter) => `${region}${letter}`);
    return Array.from({ length: shards }, (_, i) => {
        const shard = i + 1;
        return {
            id: shardId(shard),
            status: "available" as const,
            slots: slotRange(shard, shards),
            nodes: Array.from({ length: 1 + replicasPerShard }, (_, n) => ({
                cacheClusterId: memberClusterId(rgId, shard, n + 1),
                cacheNodeId: "0001",
                availabilityZone: azs[(i + n) % azs.length],
                role: n === 0 ? ("primary" as const) : ("replica" as const),
            })),
        };
    });
}

export function buildReplicationGroup(
    id: string, region: string, shape: Required<ShapeArgs>, createdAt: number, global?: { datastoreId: string; role: MemberRole },
): FakeReplicationGroup {
    return {
        id, region, status: "available",
        clusterMode: shape.clusterMode, engine: shape.engine, engineVersion: shape.engineVersion, nodeType: shape.nodeType, port: shape.port,
        nodeGroups: buildNodeGroups(id, region, shape.shards, shape.replicasPerShard),
        global, createdAt,
        roleHistory: [{ at: createdAt, role: global?.role ?? "standalone" }],
    };
}

export function resolveShape(args: ShapeArgs): Required<ShapeArgs> {
    return {
        shards: args.shards ?? 3,
        replicasPerShard: args.replicasPerShard ?? 2,
        engine: args.engine ?? "valkey",
        engineVersion: args.engineVersion ?? "8.0",
        nodeType: args.nodeType ?? "cache.r7g.xlarge",
        clusterMode: args.clusterMode ?? "enabled",
        port: args.port ?? 6379,
    };
}

/**
 * Fills the model with an associated, available datastore created a day before the clock's now, and
 * in each member region the writer parameter the program writes, naming the primary.
 */
export function seedModel(model: FakeModel, args: SeedArgs): FakeDatastore {
    const naming = args.naming ?? { stack: "prod", namePrefix: "prod" };
    const regions = [args.primary.region, ...args.secondaries.map((s) => s.region)];
    if (args.secondaries.length < 1 || args.secondaries.length > 2) {
        throw new Error(`FakeAws.seed: secondaries must list 1 or 2 regions, got ${args.secondaries.length}`);
    }
    if (new Set(regions).size !== regions.length) {
        throw new Error(`FakeAws.seed: every member needs its own region, got ${regions.join(", ")}`);
    }
    const shape = resolveShape(args);
    const id = datastoreId(args.foundingRegion ?? args.primary.region, args.datastoreSuffix ?? globalDatastoreSuffix(naming));
    const createdAt = model.clock.now() - DAY_MS;
    const datastore: FakeDatastore = {
        id, description: `Global Datastore ${id}`, operations: new Set(),
        engine: shape.engine, engineVersion: shape.engineVersion, nodeType: shape.nodeType,
        clusterEnabled: shape.clusterMode !== "disabled", members: [],
    };
    const members: { member: MemberArgs; role: MemberRole }[] = [
        { member: args.primary, role: "PRIMARY" },
        ...args.secondaries.map((member) => ({ member, role: "SECONDARY" as const })),
    ];
    for (const { member, role } of members) {
        const rgId = member.id ?? replicationGroupId(naming, member.region);
        model.addReplicationGroup(buildReplicationGroup(rgId, member.region, shape, createdAt, { datastoreId: id, role }));
        datastore.members.push({ replicationGroupId: rgId, region: member.region, role, status: "associated" });
    }
    model.datastores.set(id, datastore);
    const primary = model.requireReplicationGroup(args.primary.region, datastore.members[0].replicationGroupId);
    const text = endpointDocumentText({
        role: "writer", region: primary.region, replicationGroupId: primary.id, port: primary.port, globalDatastoreId: id,
        configurationEndpoint: replicationGroupShape(primary).ConfigurationEndpoint?.Address ?? "",
    });
    regions.forEach((region) => putParameter(model, region, writerParameterName(naming), text));
    return datastore;
}
