/**
 * When a resource rule does not apply. Each guard ends the check with a reason the engine shows
 * ("not applicable: ..."), so a skipped resource is visible rather than silently compliant.
 */
import { presence } from "./props";
import { ResourceCheck } from "./rule";
import { engineOf, isSecondary } from "./topology";
import { TYPES } from "./types";

/**
 * A Global Datastore secondary cannot set engine, version, node type, shard count, encryption,
 * failover, Multi-AZ or cluster mode (AWS answers InvalidParameterCombination): it inherits them.
 */
export function skipSecondary<C>(c: ResourceCheck<C>): void {
    if (c.args.type === TYPES.replicationGroup && isSecondary(c.props)) {
        c.notApplicable(`"${c.subject.name}" joins a Global Datastore (globalReplicationGroupId is set) and inherits this setting ` +
            "from the datastore's primary, which global-datastore-primary-compliant checks");
    }
}

/** A cluster created inside a replication group takes its settings from the group. */
export function skipReplicationGroupMember<C>(c: ResourceCheck<C>): void {
    if (c.args.type === TYPES.cluster && presence(c.props, "replicationGroupId") !== "absent") {
        c.notApplicable(`"${c.subject.name}" is a node of a replication group (replicationGroupId is set), which carries this setting`);
    }
}

/** Memcached has no snapshots, logs of this kind, AUTH or Multi-AZ failover. */
export function skipMemcached<C>(c: ResourceCheck<C>): void {
    if (engineOf(c.props) === "memcached") {
        c.notApplicable(`"${c.subject.name}" runs memcached, which has no such setting`);
    }
}
