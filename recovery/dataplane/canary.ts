/**
 * The canary: a writer that sends numbered, acknowledged writes to every shard at a fixed rate, a
 * reader that checks each answer against what was acknowledged, and the bookkeeping the measurement
 * needs (recovery/dataplane/measure.ts).
 *
 * Each shard gets one sorted set, `<prefix>:{tag}:<runId>`, whose hash tag routes it to that shard.
 * A write is `ZADD key <seq> <seq>`: one command, so an acknowledgement means exactly one sequence
 * number is stored, and a retried or duplicated write cannot create a second value. The reader asks for
 * the highest member (a read is stale when it is below the highest sequence number acknowledged before
 * the read was sent) and, after an event, for every member (an acknowledged number missing from it is
 * a lost write).
 *
 * Writes are sent on a fixed schedule whether or not earlier ones have answered, each with its own
 * timeout: an unavailable shard shows up as failed attempts at the full rate, and the first write that
 * succeeds after an outage is at most one period late, instead of waiting behind a hung one.
 *
 * The keys live in the production keyspace, so each one carries an expiry from its first write on:
 * right after a shard's first acknowledged write (and after any failed one, since a failover may have
 * lost the key and the next write recreated it without an expiry) and every EXPIRY_REARM_MS while
 * writes succeed, the canary sends PEXPIRE with maxDurationMs + keyTtlMs. A canary whose process is
 * killed leaves its keys for at most that long after its last write; stop() shortens it to keyTtlMs.
 * (MULTI or a Lua script would set both in one step, but users restricted to +@read +@write may not
 * run them; PEXPIRE is a write command.)
 */
import { Clock, systemClock } from "../lib/clock";
import { isAuthError } from "./connect";
import { AckedWrite, ReadSample, ShardRecord, Verification, findLoss } from "./measure";
import { WriteSample } from "./timeline";

/**
 * How the canary sends commands (ZADD, ZREVRANGE, ZRANGE, PEXPIRE). An ioredis Cluster from
 * connectCluster() is one; so is a test double.
 */
export interface CanaryClient {
    call(command: string, ...args: (string | number)[]): Promise<unknown>;
}

export interface CanaryShard {
    /** Stable name, such as "shard-1". */
    shard: string;
    /** What a chart reader needs to place it, such as "slots 0-5460". */
    label: string;
    /** A hash tag with braces, from hashTagFor(), whose slot the shard owns. */
    tag: string;
}

export interface CanaryOptions {
    /** Writes per second to each shard. Default 50. */
    ratePerShard?: number;
    /** Reads per second of each shard's newest value; 0 sends none. Default: ratePerShard. */
    readRatePerShard?: number;
    /** How long one write or read may take before it counts as failed. Default 250 ms. */
    attemptTimeoutMs?: number;
    /** The canary stops by itself after this long, whatever its caller does. Default 10 minutes. */
    maxDurationMs?: number;
    /** The canary stops by itself after this many writes to one shard. Default: ratePerShard x maxDurationMs. */
    maxWritesPerShard?: number;
    /** First part of every key. Default "canary". */
    keyPrefix?: string;
    /** Last part of every key, so two canaries never share keys. Default: the start time in base 36 and a random suffix. */
    runId?: string;
    /**
     * Expiry set on the keys when the canary stops, so a canary against a shared cluster leaves nothing
     * permanent. While it runs, the keys carry maxDurationMs + keyTtlMs, so they outlive any run and
     * expire on their own should the process be killed. Default 1 hour.
     */
    keyTtlMs?: number;
    /** How many times verify() tries to read a shard before reporting it unreadable. Default 3. */
    verifyAttempts?: number;
    /**
     * What the canary reads the time from and waits with (its write schedule, each attempt's timeout,
     * verify's retries). Default: the system clock. Tests pass a virtual clock, so the schedule runs
     * the same on a busy machine.
     */
    clock?: Clock;
}

const DEFAULTS = {
    ratePerShard: 50,
    attemptTimeoutMs: 250,
    maxDurationMs: 600_000,
    keyPrefix: "canary",
    keyTtlMs: 3_600_000,
    verifyAttempts: 3,
};
/** A full read of a shard's set after an event may be larger than a write; it gets this long at least. */
const MIN_VERIFY_TIMEOUT_MS = 2000;
/** How often a shard's key gets its expiry again while writes succeed. */
export const EXPIRY_REARM_MS = 10_000;
const VERIFY_RETRY_DELAY_MS = 200;

type Outcome<T> = { ok: true; value: T; latencyMs: number } | { ok: false; error: string; latencyMs?: number };

function checkRange(field: string, value: number, min: number, max: number, unit: string): void {
    if (!Number.isFinite(value) || value < min || value > max) {
        throw new Error(`Canary: ${field} is ${JSON.stringify(value)}. Accepted: a number from ${min} to ${max} (${unit}).`);
    }
}

function firstLine(error: unknown): string {
    return String((error as Error)?.message ?? error).split("\n")[0];
}

interface ShardState extends CanaryShard {
    key: string;
    nextSeq: number;
    highestAcked: number;
    /** When the last PEXPIRE that succeeded was sent; undefined before the first, or after a failed write. */
    expiryArmedAt?: number;
    expiryInFlight: boolean;
    /** Failed writes so far: a PEXPIRE sent before one of them does not count as armed. */
    failures: number;
    writes: WriteSample[];
    reads: ReadSample[];
    acked: AckedWrite[];
}

/** A shard that has acknowledged none of the canary's writes (Canary.unacknowledged). */
export interface UnacknowledgedShard {
    shard: string;
    /** Writes refused or unanswered so far. */
    failedWrites: number;
    /** What the latest of them answered; undefined while none has. */
    lastError?: string;
}

/**
 * "0002 (no write acknowledged, 38 refused or unanswered; last error: NOPERM ...)", for each shard, so a
 * permission, TLS or routing problem is named instead of hidden behind a timeout. The last error, not the
 * first: the first writes can time out while the client still connects (seen on a loaded machine, where
 * the first attempt to one shard took longer than the attempt timeout), and what the shard answers after
 * that is the cause to report.
 */
export function describeUnacknowledged(shards: readonly UnacknowledgedShard[]): string {
    return shards.map((s) => `${s.shard} (${s.lastError !== undefined
        ? `no write acknowledged, ${s.failedWrites} refused or unanswered; last error: ${s.lastError}`
        : "no write answered yet"})`).join(", ");
}

/**
 * Whether every shard still without an acknowledgement last answered with a credentials or permission
 * error (NOPERM, WRONGPASS, NOAUTH): the canary's user cannot write there, and waiting would not change it.
 */
export function refuseTheUser(shards: readonly UnacknowledgedShard[]): boolean {
    return shards.length > 0 && shards.every((s) => s.lastError !== undefined && isAuthError(s.lastError));
}

export class Canary {
    readonly ratePerShard: number;
    readonly readRatePerShard: number;
    readonly attemptTimeoutMs: number;
    readonly maxDurationMs: number;
    readonly maxWritesPerShard: number;
    readonly runId: string;
    private readonly keyTtlMs: number;
    private readonly verifyAttempts: number;
    private readonly shards: ShardState[];
    private readonly clock: Clock;
    private readonly inflight = new Set<Promise<void>>();
    /** Cancels the wait for the next tick of the schedule; undefined once stopped. */
    private timer?: AbortController;
    private startedAt?: number;
    private stopReason?: string;
    private ticksSkipped = 0;
    private stopping?: Promise<void>;

    constructor(private readonly client: CanaryClient, shards: readonly CanaryShard[], options: CanaryOptions = {}) {
        if (shards.length === 0) {
            throw new Error("Canary: shards is empty. Accepted: one entry per shard of the cluster, from readShards() and hashTagFor().");
        }
        for (const [index, s] of shards.entries()) {
            if (!/^\{[^{}]+\}$/.test(s.tag ?? "")) {
                throw new Error(`Canary: shards[${index}].tag is ${JSON.stringify(s.tag)}. Accepted: a hash tag with braces from hashTagFor(), such as "{shard-17}".`);
            }
        }
        const names = shards.map((s) => s.shard);
        if (new Set(names).size !== names.length) {
            throw new Error(`Canary: shard names repeat (${names.join(", ")}). Accepted: one distinct name per shard.`);
        }
        this.ratePerShard = options.ratePerShard ?? DEFAULTS.ratePerShard;
        this.readRatePerShard = options.readRatePerShard ?? this.ratePerShard;
        this.attemptTimeoutMs = options.attemptTimeoutMs ?? DEFAULTS.attemptTimeoutMs;
        this.maxDurationMs = options.maxDurationMs ?? DEFAULTS.maxDurationMs;
        checkRange("ratePerShard", this.ratePerShard, 1, 1000, "writes per second per shard");
        checkRange("readRatePerShard", this.readRatePerShard, 0, 1000, "reads per second per shard");
        checkRange("attemptTimeoutMs", this.attemptTimeoutMs, 10, 60_000, "milliseconds");
        checkRange("maxDurationMs", this.maxDurationMs, 100, 86_400_000, "milliseconds");
        this.maxWritesPerShard = options.maxWritesPerShard ?? Math.ceil((this.ratePerShard * this.maxDurationMs) / 1000);
        checkRange("maxWritesPerShard", this.maxWritesPerShard, 1, 100_000_000, "writes");
        this.keyTtlMs = options.keyTtlMs ?? DEFAULTS.keyTtlMs;
        checkRange("keyTtlMs", this.keyTtlMs, 1000, 30 * 86_400_000, "milliseconds");
        this.verifyAttempts = options.verifyAttempts ?? DEFAULTS.verifyAttempts;
        checkRange("verifyAttempts", this.verifyAttempts, 1, 100, "attempts");
        this.clock = options.clock ?? systemClock;
        this.runId = options.runId ?? `${this.clock.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
        const prefix = options.keyPrefix ?? DEFAULTS.keyPrefix;
        for (const [field, value] of [["keyPrefix", prefix], ["runId", this.runId]]) {
            if (!/^[A-Za-z0-9_.:-]+$/.test(value)) {
                throw new Error(`Canary: ${field} is ${JSON.stringify(value)}. Accepted: letters, digits, "_", ".", ":" or "-".`);
            }
        }
        this.shards = shards.map((s) => ({
            ...s, key: `${prefix}:${s.tag}:${this.runId}`, nextSeq: 1, highestAcked: 0, writes: [], reads: [], acked: [], expiryInFlight: false, failures: 0,
        }));
    }

    /** The key each shard's writes go to, by shard name. */
    get keys(): Record<string, string> {
        return Object.fromEntries(this.shards.map((s) => [s.shard, s.key]));
    }

    get running(): boolean {
        return this.timer !== undefined;
    }

    /** Why the canary stopped by itself ("max duration reached", ...); undefined while running, or when stop() stopped it. */
    get stoppedBecause(): string | undefined {
        return this.stopReason;
    }

    /** Scheduled writes that were not sent because the event loop fell behind by more than a period. */
    get skippedTicks(): number {
        return this.ticksSkipped;
    }

    start(): void {
        if (this.startedAt !== undefined || this.stopping !== undefined) {
            throw new Error("Canary.start: this canary has already run or been stopped. Accepted: a new Canary for each run, so sequence numbers never repeat.");
        }
        const startedAt = this.clock.now();
        this.startedAt = startedAt;
        const writePeriod = 1000 / this.ratePerShard;
        const readPeriod = this.readRatePerShard > 0 ? 1000 / this.readRatePerShard : Infinity;
        let nextWrite = startedAt;
        let nextRead = this.readRatePerShard > 0 ? startedAt : Infinity;
        const loop = () => {
            const now = this.clock.now();
            if (now - startedAt >= this.maxDurationMs) {
                this.halt(`max duration reached (${this.maxDurationMs} ms)`);
                return;
            }
            if (this.shards.every((s) => s.nextSeq > this.maxWritesPerShard)) {
                this.halt(`max writes per shard reached (${this.maxWritesPerShard})`);
                return;
            }
            if (now >= nextWrite) {
                // Behind by more than a period (a busy event loop): skip the missed slots instead of
                // bursting, which would look like recovered traffic right after a stall.
                const late = Math.floor((now - nextWrite) / writePeriod);
                this.ticksSkipped += late;
                nextWrite += (late + 1) * writePeriod;
                this.shards.forEach((s) => this.write(s));
            }
            if (now >= nextRead) {
                nextRead += (Math.floor((now - nextRead) / readPeriod) + 1) * readPeriod;
                this.shards.forEach((s) => this.read(s));
            }
            this.timer = this.after(Math.max(0, Math.min(nextWrite, nextRead) - this.clock.now()), loop);
        };
        loop();
    }

    /**
     * Stops sending, waits for every attempt in flight to settle (at most one timeout), and sets the
     * keys' expiry. Calling it again returns the same promise.
     */
    stop(): Promise<void> {
        this.stopping ??= (async () => {
            this.halt(undefined);
            await Promise.all([...this.inflight]);
            await Promise.all(this.shards.map((s) => this.attempt(() => this.client.call("PEXPIRE", s.key, this.keyTtlMs), this.attemptTimeoutMs)));
        })();
        return this.stopping;
    }

    private halt(reason: string | undefined): void {
        if (this.timer !== undefined) {
            this.timer.abort();
            this.timer = undefined;
        }
        this.stopReason ??= reason;
    }

    /** Everything recorded so far, per shard; samples in send order. */
    records(): ShardRecord[] {
        return this.shards.map((s) => ({
            shard: s.shard,
            label: s.label,
            writes: [...s.writes].sort((a, b) => a.at - b.at),
            reads: [...s.reads].sort((a, b) => a.at - b.at),
        }));
    }

    /** Acknowledged writes of one shard, by sequence number. */
    acknowledged(shard: string): AckedWrite[] {
        return [...this.state(shard).acked].sort((a, b) => a.seq - b.seq);
    }

    /** The shards without an acknowledged write yet, with what their writes answered so far. */
    unacknowledged(): UnacknowledgedShard[] {
        return this.shards.filter((s) => s.acked.length === 0).map((s) => {
            const failed = s.writes.filter((w) => !w.ok).sort((a, b) => a.at - b.at);
            return { shard: s.shard, failedWrites: failed.length, lastError: failed.length > 0 ? failed[failed.length - 1].error ?? "no error text" : undefined };
        });
    }

    /** The latest acknowledgement time of a shard, or undefined before the first. */
    lastAckAt(shard: string): number | undefined {
        // Acknowledgements are appended as they arrive, so the last one is the latest.
        const acked = this.state(shard).acked;
        return acked.length > 0 ? acked[acked.length - 1].ackedAt : undefined;
    }

    /**
     * The reader's full check: every shard's set read in full, every acknowledged write that is not in
     * it reported with the newest survivor before it. A shard that cannot be read in verifyAttempts
     * tries is reported unreadable, never as intact.
     */
    async verify(): Promise<Verification> {
        const at = this.clock.now();
        const results = await Promise.all(this.shards.map(async (s) => {
            for (let attempt = 1; attempt <= this.verifyAttempts; attempt++) {
                // The acknowledgements so far, in arrival order: exactly the writes the read must show.
                const ackedBeforeRead = s.acked.slice();
                const outcome = await this.attempt(() => this.members(s.key, 0, -1), Math.max(this.attemptTimeoutMs, MIN_VERIFY_TIMEOUT_MS));
                if (outcome.ok) {
                    return { shard: s.shard, loss: findLoss(ackedBeforeRead, new Set(outcome.value.map(Number))) };
                }
                if (attempt < this.verifyAttempts) {
                    await this.clock.sleep(VERIFY_RETRY_DELAY_MS);
                }
            }
            return { shard: s.shard, loss: undefined };
        }));
        return {
            at,
            shards: Object.fromEntries(results.flatMap((r) => (r.loss ? [[r.shard, r.loss]] : []))),
            unreadable: results.filter((r) => !r.loss).map((r) => r.shard),
        };
    }

    private state(shard: string): ShardState {
        const state = this.shards.find((s) => s.shard === shard);
        if (!state) {
            throw new Error(`Canary: no shard ${JSON.stringify(shard)}. Accepted: ${this.shards.map((s) => s.shard).join(", ")}.`);
        }
        return state;
    }

    private write(s: ShardState): void {
        if (s.nextSeq > this.maxWritesPerShard) {
            return;
        }
        const seq = s.nextSeq++;
        const sentAt = this.clock.now();
        this.track(this.attempt(() => this.client.call("ZADD", s.key, seq, String(seq)), this.attemptTimeoutMs).then((outcome) => {
            if (outcome.ok) {
                s.writes.push({ at: sentAt, ok: true, latencyMs: outcome.latencyMs });
                s.acked.push({ seq, sentAt, ackedAt: sentAt + outcome.latencyMs });
                s.highestAcked = Math.max(s.highestAcked, seq);
                this.armExpiry(s);
            } else {
                s.writes.push({ at: sentAt, ok: false, error: outcome.error, ...(outcome.latencyMs !== undefined ? { latencyMs: outcome.latencyMs } : {}) });
                s.failures += 1;
                s.expiryArmedAt = undefined;
            }
        }));
    }

    /** Sends PEXPIRE for the shard's key when it has none yet (or may have lost it) or it is due again; one at a time per shard. */
    private armExpiry(s: ShardState): void {
        const now = this.clock.now();
        if (s.expiryInFlight || this.stopping !== undefined || (s.expiryArmedAt !== undefined && now - s.expiryArmedAt < EXPIRY_REARM_MS)) {
            return;
        }
        s.expiryInFlight = true;
        const failuresBefore = s.failures;
        this.track(this.attempt(() => this.client.call("PEXPIRE", s.key, this.maxDurationMs + this.keyTtlMs), this.attemptTimeoutMs).then((outcome) => {
            s.expiryInFlight = false;
            // A reply of 0 means the key is gone (a failover lost it): the next acknowledged write creates it and arms again.
            if (outcome.ok && Number(outcome.value) === 1 && s.failures === failuresBefore) {
                s.expiryArmedAt = now;
            }
        }));
    }

    private read(s: ShardState): void {
        const sentAt = this.clock.now();
        const mustSee = s.highestAcked;
        this.track(this.attempt(() => this.members(s.key, 0, 0, "ZREVRANGE"), this.attemptTimeoutMs).then((outcome) => {
            if (outcome.ok) {
                const newest = outcome.value.length > 0 ? Number(outcome.value[0]) : 0;
                s.reads.push({ at: sentAt, ok: true, latencyMs: outcome.latencyMs, stale: newest < mustSee });
            } else {
                s.reads.push({ at: sentAt, ok: false, stale: false, ...(outcome.latencyMs !== undefined ? { latencyMs: outcome.latencyMs } : {}) });
            }
        }));
    }

    private async members(key: string, start: number, stop: number, command = "ZRANGE"): Promise<string[]> {
        const reply = await this.client.call(command, key, start, stop);
        if (!Array.isArray(reply)) {
            throw new Error(`${command} ${key} answered ${JSON.stringify(reply)} instead of a list of members`);
        }
        return reply.map(String);
    }

    private track(promise: Promise<void>): void {
        this.inflight.add(promise);
        void promise.finally(() => this.inflight.delete(promise));
    }

    /**
     * Calls `fn` after `ms` on the canary's clock, unless the returned controller is aborted first, as
     * clearTimeout would: also between the wake-up and the call, which a promise-based sleep leaves open.
     */
    private after(ms: number, fn: () => void): AbortController {
        const controller = new AbortController();
        this.clock.sleep(ms, controller.signal).then(() => {
            if (!controller.signal.aborted) {
                fn();
            }
        }, () => undefined);
        return controller;
    }

    /** Runs one command with a timeout. Never rejects; a command answered after its timeout is ignored. */
    private attempt<T>(send: () => Promise<T>, timeoutMs: number): Promise<Outcome<T>> {
        const sentAt = this.clock.now();
        return new Promise<Outcome<T>>((resolve) => {
            const timer = this.after(timeoutMs, () => resolve({ ok: false, error: `no answer within ${timeoutMs} ms` }));
            let pending: Promise<T>;
            try {
                pending = send();
            } catch (error) {
                pending = Promise.reject(error);
            }
            pending.then(
                (value) => {
                    timer.abort();
                    resolve({ ok: true, value, latencyMs: this.clock.now() - sentAt });
                },
                (error) => {
                    timer.abort();
                    resolve({ ok: false, error: firstLine(error), latencyMs: this.clock.now() - sentAt });
                },
            );
        });
    }
}
