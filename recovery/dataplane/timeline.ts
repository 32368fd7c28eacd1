/**
 * Write availability over time, per shard, as the canary saw it: what the drill measures and what the
 * report's SVG timeline draws. Times are milliseconds since the epoch.
 */

export interface Interval {
    from: number;
    to: number;
}

/** One acknowledged-or-failed write attempt of the canary. */
export interface WriteSample {
    at: number;
    ok: boolean;
    /** Round trip of the attempt, when it got an answer. */
    latencyMs?: number;
    /** The error's first line, when it failed. */
    error?: string;
}

export interface ShardAvailability {
    /** Stable shard name: the ElastiCache node group id ("0001") or, locally, "shard-1". */
    shard: string;
    /** What a reader of the chart needs to place it, such as "slots 0-5460, primary 127.0.0.1:7001". */
    label: string;
    samples: WriteSample[];
    /** Maximal runs of failed writes, each from the first failure to the next success (or the end). */
    down: Interval[];
}

/** Something that happened during the drill, drawn as a marker: a failover started, was detected, finished. */
export interface TimelineEvent {
    at: number;
    label: string;
    /** The shard it concerns; undefined for the whole cluster. */
    shard?: string;
}

export interface AvailabilityTimeline {
    title: string;
    start: number;
    end: number;
    shards: ShardAvailability[];
    events: TimelineEvent[];
    /** Sentences printed under the chart that explain what it shows (why other shards are red, ...). Default none. */
    notes?: string[];
}
