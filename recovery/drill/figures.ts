/**
 * The local drill's figures in words, in one place, so the step's line, the console summary, the
 * Markdown report and the chart name each figure the same way and for what it measures:
 * - the write-unavailability window is what a client saw (last acknowledged write before the
 *   failover to the first after it), its rediscovery of the new primary included;
 * - "promoted (roles settled)" is when the cluster showed the new primary, as often as it was polled;
 * - the time to the first failed write is the canary's attempt timeout and the client's retries, not
 *   when the cluster noticed anything.
 */
import { EventResult, describeLoss } from "../dataplane/measure";

/**
 * A shard other than the failed-over one with an outage during an event, and for how long: refused
 * when some of its writes failed (red on the chart), stalled when its acknowledgements only paused
 * for longer than the stall threshold and none failed (the cluster did not refuse them).
 */
export interface OtherShardOutage {
    shard: string;
    windowMs: number;
    refused: boolean;
}

export function otherShardOutages(r: EventResult): OtherShardOutage[] {
    return r.shards.filter((s) => s.shard !== r.shard && s.outage).map((s) => ({ shard: s.shard, windowMs: s.windowMs, refused: s.failedWrites > 0 }));
}

/** The other shards that refused writes during the event (some writes failed). */
export function refusedElsewhere(r: EventResult): OtherShardOutage[] {
    return otherShardOutages(r).filter((o) => o.refused);
}

/** The other shards whose writes only stalled during the event (none failed). */
export function stalledElsewhere(r: EventResult): OtherShardOutage[] {
    return otherShardOutages(r).filter((o) => !o.refused);
}

/** "shard-1 980 ms, shard-3 1010 ms". */
export function outagesText(outages: readonly OtherShardOutage[]): string {
    return outages.map((o) => `${o.shard} ${o.windowMs} ms`).join(", ");
}

/**
 * Why other shards refuse writes during a kill: said on the console, in the report and on the chart.
 * (redis.io, "CLUSTERDOWN error": "By default, a cluster stops serving commands when any hash slot has
 * no working node"; seen on loopback: a connection straight to another shard's primary got
 * "CLUSTERDOWN The cluster is down" for about 0.8 s, from the cluster marking the killed primary
 * failed until its replica was promoted.)
 */
export const WHOLE_CLUSTER_REFUSES =
    "while the killed primary's slots have no primary, the whole cluster refuses writes on every shard, until a replica is promoted " +
    "(Redis Cluster stops serving when a hash slot is not covered: cluster-require-full-coverage, yes by default)";

/** The precision of the window, and what it includes. */
export function windowPrecision(periodMs: number): string {
    return "Windows are what a client sees, from its last acknowledged write before the failover to its first after it: they include the " +
        "client finding the new primary (a cluster client refreshes its slot map after a MOVED answer or a failed connection), so they run " +
        "longer than the promotion itself (on loopback, against a probe writing straight to every node: up to about 100 ms longer after " +
        `CLUSTER FAILOVER, up to about 250 ms after a kill). Their resolution is one write period (${periodMs} ms).`;
}

export const LOOPBACK_LOSS =
    "On loopback replicas receive every write within a millisecond, so cluster-failover and kill lose no acknowledged write here, " +
    "whatever the real risk (replication on ElastiCache is asynchronous: a primary that fails takes the writes its replicas had not " +
    "received). kill-unreplicated cuts replication before the kill to measure that path.";

/** The event in one line: the figures of its step's line, which are the figures of the run's result. */
export function eventSummary(r: EventResult): string {
    const after = `after the ${r.kind}`;
    const refused = refusedElsewhere(r);
    const stalled = stalledElsewhere(r);
    return [
        `writes unavailable for ${r.windowMs} ms (the window a client saw)`,
        r.promotedAfterStartMs === null ? "promotion not seen" : `promoted (roles settled) ${r.promotedAfterStartMs} ms ${after}`,
        r.recoveryAfterStartMs === null ? "writes NOT acknowledged again" : `writes acknowledged again ${r.recoveryAfterStartMs} ms ${after}`,
        r.firstFailureAfterLastAckMs === null ? "no write failed" : `first failed write ${r.firstFailureAfterLastAckMs} ms after the last acknowledgement`,
        describeLoss(r),
        `${r.staleReads} stale reads`,
        ...(refused.length > 0 ? [`other shards refused writes too: ${outagesText(refused)}`] : []),
        ...(stalled.length > 0 ? [`other shards stalled without a failed write: ${outagesText(stalled)}`] : []),
    ].join("; ");
}

/** What a stall of other shards means: said where stalls are listed. */
export const STALL_MEANS = "their acknowledgements paused longer than the stall threshold but no write failed, so the cluster did not refuse them: " +
    "the pause was in the client or on this machine";

/** The chart's note when other shards were red (refused writes) during an event, or undefined when none was. */
export function otherShardsNote(results: readonly EventResult[]): string | undefined {
    const during = results.filter((r) => refusedElsewhere(r).length > 0);
    if (during.length === 0) {
        return undefined;
    }
    const kills = during.filter((r) => r.kind !== "cluster-failover");
    return `Red on other shards during the ${during.map((r) => `${r.kind} of ${r.shard}`).join(", ")}: ` +
        (kills.length === during.length ? WHOLE_CLUSTER_REFUSES : "they refused writes too (the report lists them per event)");
}
