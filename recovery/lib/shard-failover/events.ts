/**
 * The ElastiCache events of a shard failover, read and understood. A TestFailover of a cluster-mode
 * group reports, in this order (as real runs show them):
 *   replication group: "Test Failover API called for node group <node-group-id>"
 *   replication group: "Failover to replica node <replica> completed"
 *   cache cluster of the old primary: "Recovering cache nodes <node-id>"
 *   cache cluster of the old primary: "Finished recovery for cache nodes <node-id>"
 * The longer "Failover from primary node <primary> to replica node <replica> completed" (which the API
 * reference quotes) appears in other situations, such as maintenance; both forms are understood, and
 * neither is required: "Finished recovery" on the shard after the call is what tells a run that the
 * failover is over and the shard whole again, and only after it may the same replication group take
 * another TestFailover. Events are the only place AWS names the node of a cluster-mode shard that took
 * over (DescribeReplicationGroups reports node roles only with cluster mode off); when no event names
 * it, the data plane has to.
 */
import { DescribeEventsCommand, Event } from "@aws-sdk/client-elasticache";
import { RegionClients } from "../clients";
import { callAws } from "../errors";

export type FailoverEventKind = "called" | "promoted" | "recovering" | "recovered";

/** One event that belongs to a TestFailover, with what it says. */
export interface FailoverEvent {
    kind: FailoverEventKind;
    at: number;
    /** The cache cluster or replication group the event is about. */
    source: string;
    message: string;
    /** "called": the node group id. */
    nodeGroupId?: string;
    /** "promoted": the replica that took over (cache cluster id). */
    to?: string;
    /** "promoted", long form only: the node that was primary. The short form does not name it. */
    from?: string;
}

const CALLED = /Test Failover API called for node group (\S+)/i;
// Older documentation says "master node"; accept both, and "complete" as well as "completed".
const PROMOTED_FROM_TO = /Failover from (?:primary|master) node (\S+) to replica node (\S+) complete/i;
// What a TestFailover of a cluster-mode group reports on the replication group.
const PROMOTED_TO = /Failover to replica node (\S+) complete/i;
const RECOVERING = /^Recovering cache nodes?\b/i;
const RECOVERED = /^Finished recovery for cache nodes?\b/i;

/** What an event says about a TestFailover, or undefined when it is about something else. */
export function parseFailoverEvent(event: Pick<Event, "Message" | "Date" | "SourceIdentifier">): FailoverEvent | undefined {
    const message = event.Message ?? "";
    const at = event.Date?.getTime();
    const source = event.SourceIdentifier ?? "";
    if (at === undefined) {
        return undefined;
    }
    const called = CALLED.exec(message);
    if (called) {
        return { kind: "called", at, source, message, nodeGroupId: called[1].replace(/[.,]$/, "") };
    }
    const fromTo = PROMOTED_FROM_TO.exec(message);
    if (fromTo) {
        return { kind: "promoted", at, source, message, from: fromTo[1], to: fromTo[2] };
    }
    const to = PROMOTED_TO.exec(message);
    if (to) {
        return { kind: "promoted", at, source, message, to: to[1] };
    }
    if (RECOVERING.test(message)) {
        return { kind: "recovering", at, source, message };
    }
    if (RECOVERED.test(message)) {
        return { kind: "recovered", at, source, message };
    }
    return undefined;
}

/**
 * Every event of `region` from `sinceMs` on, oldest first (DescribeEvents answers newest first).
 * Unfiltered by source: the events of one failover come from the replication group and from its
 * nodes' cache clusters, and the quota counts calls on every replication group of the account.
 */
export async function readEvents(clients: RegionClients, region: string, sinceMs: number, signal?: AbortSignal): Promise<Event[]> {
    const events: Event[] = [];
    let marker: string | undefined;
    do {
        const page = await callAws({ region, service: "elasticache", operation: "DescribeEvents" }, () => clients.elastiCache(region).send(
            new DescribeEventsCommand({ StartTime: new Date(sinceMs), Marker: marker, MaxRecords: 100 }), { abortSignal: signal }));
        events.push(...(page.Events ?? []));
        marker = page.Marker;
    } while (marker);
    return events.sort((a, b) => (a.Date?.getTime() ?? 0) - (b.Date?.getTime() ?? 0));
}

/** The failover events of one shard: those about its replication group and its node group, or about its nodes. */
export function shardFailoverEvents(events: readonly Event[], replicationGroupId: string, nodeGroupId: string, nodeIds: readonly string[]): FailoverEvent[] {
    const nodes = new Set(nodeIds);
    return events.flatMap((e) => {
        const parsed = parseFailoverEvent(e);
        if (!parsed) {
            return [];
        }
        const aboutGroup = parsed.source === replicationGroupId;
        const ours = parsed.kind === "called" ? aboutGroup && parsed.nodeGroupId === nodeGroupId
            : parsed.kind === "promoted" ? (aboutGroup || nodes.has(parsed.source)) && (nodes.has(parsed.from ?? "") || nodes.has(parsed.to ?? ""))
                : nodes.has(parsed.source);
        return ours ? [parsed] : [];
    });
}

/** Where one TestFailover of a shard stands, from its events after the call. */
export interface FailoverProgress {
    called: FailoverEvent;
    promoted?: FailoverEvent;
    recovering?: FailoverEvent;
    recovered?: FailoverEvent;
    /** The replica that took over, when an event names it; undefined when none does (the data plane must tell). */
    newPrimary?: string;
    /** The node that was replaced: named by the long promotion event, otherwise the source of the recovery events. */
    replaced?: string;
    /** The newest of its events. */
    last: FailoverEvent;
}

/**
 * The latest TestFailover of the shard in `events` (its "called" event at or after `notBeforeMs`) and
 * how far it got. A "promoted" or recovery event before that call belongs to an earlier failover.
 * The recovery that counts is the old primary's, once the failover named it; before that, any node's.
 */
export function latestFailover(events: readonly FailoverEvent[], notBeforeMs = 0): FailoverProgress | undefined {
    const calls = events.filter((e) => e.kind === "called" && e.at >= notBeforeMs);
    const called = calls[calls.length - 1];
    if (!called) {
        return undefined;
    }
    const after = events.filter((e) => e.at >= called.at && e !== called && e.kind !== "called");
    const promoted = after.find((e) => e.kind === "promoted");
    const named = promoted?.from;
    const ofReplaced = (e: FailoverEvent) => named === undefined || e.source === named;
    const recovering = after.find((e) => e.kind === "recovering" && ofReplaced(e));
    const recovered = after.find((e) => e.kind === "recovered" && ofReplaced(e));
    const replaced = named ?? recovering?.source ?? recovered?.source;
    return {
        called, promoted, recovering, recovered,
        ...(promoted?.to !== undefined ? { newPrimary: promoted.to } : {}),
        ...(replaced !== undefined ? { replaced } : {}),
        last: after.length ? after[after.length - 1] : called,
    };
}

/** "X took over from Y", "X took over", or why the new primary is not known from the events. */
export function describeTakeover(p: Pick<FailoverProgress, "newPrimary" | "replaced">): string {
    if (p.newPrimary === undefined) {
        return `AWS's events name no new primary${p.replaced ? ` (${p.replaced} was replaced)` : ""}`;
    }
    return `${p.newPrimary} took over${p.replaced ? ` from ${p.replaced}` : ""}`;
}

/** The stage a failover reached, in words for the progress lines and for timeouts. */
export function describeProgress(p: FailoverProgress): string {
    const stage = p.recovered ? "recovered" : p.recovering ? "recovering the replaced node" : p.promoted ? "promoted" : "called";
    return `${stage}: last event "${p.last.message}" (${p.last.source}) at ${new Date(p.last.at).toISOString()}`;
}
