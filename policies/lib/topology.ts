/**
 * Where a resource lives and what role a replication group plays in a Global Datastore.
 */
import { PolicyProviderResource, PolicyResource } from "@pulumi/policy";
import { engineFrom } from "./inherited";
import { inputSettings, presence, read, stateSettings } from "./props";
import { TYPES } from "./types";

export const UNKNOWN_REGION = "unknown";

/**
 * The region of a resource: its own `region` input first (@pulumi/aws v7 lets one provider declare
 * resources in several regions, and the program sets it everywhere), else its provider's region. The
 * engine sends every resource's provider with its inputs, the default provider's too, whose `region`
 * is the stack's aws:region. "unknown" only when neither is known.
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
 * For resource rules, on inputs: a replication group that joins a Global Datastore sets
 * `globalReplicationGroupId`, even if to a value unknown during preview (the datastore's id is
 * computed). Such a group inherits engine, version, node type, shard count, encryption, failover and
 * cluster mode from the datastore's primary. Stack rules read membership from the state instead
 * (membershipOf), where AWS reports the id on the founder too.
 */
export function isSecondary(props: Record<string, unknown>): boolean {
    return presence(props, "globalReplicationGroupId") !== "absent";
}

/** Engine of a replication group or cluster, from its inputs. Unset means "redis", the provider's default. */
export function engineOf(props: Record<string, unknown>): string {
    return engineFrom(inputSettings(props));
}

export interface DatastoreTopology {
    datastore: PolicyResource;
    /** The replication group named by primaryReplicationGroupId, when the pack can find it. */
    primary?: PolicyResource;
    /** Why the primary could not be found; `unknown` when only preview values are missing. */
    primaryProblem?: { unknown: boolean; text: string };
    secondaries: PolicyResource[];
}

/** A property's value when it is a known string; undefined when absent, unknown or not a string. */
export function knownString(props: Record<string, unknown>, key: string): string | undefined {
    const r = read<unknown>(props, key);
    return r.state === "known" && typeof r.value === "string" ? r.value : undefined;
}

/** The resources of `type` that the engine says feed `property` of `resource` (what a preview relies on). */
export function dependenciesOf(resource: PolicyResource, property: string, type: string): PolicyResource[] {
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

/** What a replication group's state says about the datastore it belongs to. */
export type Membership =
    | { joins: "none" }
    | { joins: "stack"; datastore: PolicyResource }
    | { joins: "outside"; id: string };

/**
 * Membership from the state. A known id names a datastore of the stack (by id, or by "<code>-<suffix>"
 * while AWS's region code is not known yet) or one outside it. An unknown id is a member only when the
 * engine's property dependencies name a datastore that feeds it: the founder's id, and that of any
 * group outside a datastore, is unknown at creation too, because AWS computes it.
 */
export function membershipOf(group: PolicyResource, datastores: PolicyResource[]): Membership {
    const joined = stateSettings(group)<string>("globalReplicationGroupId");
    if (joined.state === "absent" || (joined.state === "known" && joined.value === "")) {
        return { joins: "none" };
    }
    if (joined.state === "unknown") {
        const feeder = dependenciesOf(group, "globalReplicationGroupId", TYPES.globalDatastore).find((d) => datastores.includes(d));
        return feeder ? { joins: "stack", datastore: feeder } : { joins: "none" };
    }
    const exact = datastores.find((d) => knownString(d.props, "globalReplicationGroupId") === joined.value || knownString(d.props, "id") === joined.value);
    const bySuffix = datastores.find((d) => {
        const suffix = knownString(d.props, "globalReplicationGroupIdSuffix");
        return suffix !== undefined && joined.value.endsWith(`-${suffix}`);
    });
    const datastore = exact ?? bySuffix;
    return datastore ? { joins: "stack", datastore } : { joins: "outside", id: joined.value };
}

/** Every Global Datastore in the stack with its primary and secondaries. */
export function datastoreTopologies(resources: PolicyResource[]): DatastoreTopology[] {
    const datastores = resources.filter((r) => r.type === TYPES.globalDatastore);
    const groups = resources.filter((r) => r.type === TYPES.replicationGroup);
    return datastores.map((datastore) => {
        const primarySide = findPrimary(datastore, groups);
        // The founder's state records the datastore too once it has joined, so exclude the primary.
        const secondaries = groups.filter((g) => {
            const membership = membershipOf(g, datastores);
            return g !== primarySide.primary && membership.joins === "stack" && membership.datastore === datastore;
        });
        return { datastore, ...primarySide, secondaries };
    });
}
