/**
 * Where a resource lives and what role a replication group plays in a Global Datastore.
 */
import { PolicyProviderResource, PolicyResource } from "@pulumi/policy";
import { Engine, ENGINES } from "../../components/config/engine";
import { presence, read, Unverifiable } from "./props";
import { TYPES } from "./types";

export const UNKNOWN_REGION = "unknown";

/**
 * The region of a resource: its own `region` input first (@pulumi/aws v7 lets one provider declare
 * resources in several regions, and the program sets it everywhere), else the region of an explicit
 * provider, else "unknown". The default provider's region comes from the stack's `aws:region`, which
 * a policy cannot read, so rules that need the region treat "unknown" as something to report.
 */
export function regionOf(resource: { props: Record<string, unknown>; provider?: PolicyProviderResource }): string {
    const own = read<string>(resource.props, "region");
    if (own.state === "known" && own.value) {
        return own.value;
    }
    if (resource.provider) {
        for (const key of ["region", "aws:region"]) {
            const fromProvider = read<string>(resource.provider.props, key);
            if (fromProvider.state === "known" && fromProvider.value) {
                return fromProvider.value;
            }
        }
    }
    return UNKNOWN_REGION;
}

/**
 * A replication group that joins a Global Datastore: `globalReplicationGroupId` is set, even if its
 * value is unknown during preview (the datastore's id is computed). Such a group inherits engine,
 * version, node type, shard count, encryption, failover and cluster mode from the datastore's primary.
 */
export function isSecondary(props: Record<string, unknown>): boolean {
    return presence(props, "globalReplicationGroupId") !== "absent";
}

/** Engine of a replication group or cluster. Unset means "redis", the provider's default. */
export function engineOf(props: Record<string, unknown>): string {
    const engine = read<string>(props, "engine");
    if (engine.state === "unknown") {
        throw new Unverifiable(engine.path);
    }
    return engine.state === "known" ? engine.value.toLowerCase() : "redis";
}

export function isCacheEngine(engine: string): engine is Engine {
    return (ENGINES as readonly string[]).includes(engine);
}

export interface DatastoreTopology {
    datastore: PolicyResource;
    /** The replication group named by primaryReplicationGroupId, when the pack can find it. */
    primary?: PolicyResource;
    /** Why the primary could not be found; `unknown` when only preview values are missing. */
    primaryProblem?: { unknown: boolean; text: string };
    secondaries: PolicyResource[];
}

function knownString(props: Record<string, unknown>, key: string): string | undefined {
    const r = read<unknown>(props, key);
    return r.state === "known" && typeof r.value === "string" ? r.value : undefined;
}

function dependenciesOf(resource: PolicyResource, property: string, type: string): PolicyResource[] {
    return (resource.propertyDependencies?.[property] ?? []).filter((d) => d.type === type);
}

function findPrimary(datastore: PolicyResource, groups: PolicyResource[]): Pick<DatastoreTopology, "primary" | "primaryProblem"> {
    const named = read<string>(datastore.props, "primaryReplicationGroupId");
    if (named.state === "absent") {
        return { primaryProblem: { unknown: false, text: "does not set primaryReplicationGroupId" } };
    }
    if (named.state === "known") {
        const match = groups.find((g) => knownString(g.props, "replicationGroupId") === named.value || knownString(g.props, "id") === named.value);
        return match
            ? { primary: match }
            : { primaryProblem: { unknown: false, text: `names primaryReplicationGroupId "${named.value}", which is not a replication group in this stack` } };
    }
    // Unknown during preview (it is the founder's id): the engine still tells which resource feeds it.
    const feeders = dependenciesOf(datastore, "primaryReplicationGroupId", TYPES.replicationGroup);
    return feeders.length === 1
        ? { primary: feeders[0] }
        : { primaryProblem: { unknown: true, text: "primaryReplicationGroupId is unknown during preview and no single replication group in the stack feeds it" } };
}

function datastoreOf(group: PolicyResource, datastores: PolicyResource[]): PolicyResource | undefined {
    const joined = read<string>(group.props, "globalReplicationGroupId");
    if (joined.state === "absent") {
        return undefined;
    }
    if (joined.state === "known") {
        const exact = datastores.find((d) => knownString(d.props, "globalReplicationGroupId") === joined.value || knownString(d.props, "id") === joined.value);
        // AWS prefixes the suffix with a region code, so "<code>-<suffix>" also identifies the datastore.
        const bySuffix = datastores.find((d) => {
            const suffix = knownString(d.props, "globalReplicationGroupIdSuffix");
            return suffix !== undefined && joined.value.endsWith(`-${suffix}`);
        });
        if (exact ?? bySuffix) {
            return exact ?? bySuffix;
        }
    } else {
        const feeder = dependenciesOf(group, "globalReplicationGroupId", TYPES.globalDatastore)[0];
        if (feeder) {
            return feeder;
        }
    }
    // With one datastore in the stack, a member that names any datastore belongs to it.
    return datastores.length === 1 ? datastores[0] : undefined;
}

/** Every Global Datastore in the stack with its primary and secondaries. */
export function datastoreTopologies(resources: PolicyResource[]): DatastoreTopology[] {
    const datastores = resources.filter((r) => r.type === TYPES.globalDatastore);
    const groups = resources.filter((r) => r.type === TYPES.replicationGroup);
    return datastores.map((datastore) => {
        const primarySide = findPrimary(datastore, groups);
        // The founder's state records the datastore too once it has joined, so exclude the primary.
        const secondaries = groups.filter((g) => g !== primarySide.primary && datastoreOf(g, datastores) === datastore);
        return { datastore, ...primarySide, secondaries };
    });
}
