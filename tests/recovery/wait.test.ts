import * as assert from "node:assert/strict";
import { RecoveryEvent } from "../../recovery/lib/events";
import { AwsCallError } from "../../recovery/lib/errors";
import {
    FIRST_INTERVAL_MS, PollResult, WaitAbortedError, WaitError, WaitTimeoutError, maxIntervalMs, pollIntervalMs,
    sdkWaiterDelayMs, waitFor,
} from "../../recovery/lib/wait";
import { VirtualClock } from "./fake/virtual-clock";

/** A deterministic stand-in for Math.random (a linear congruential generator). */
function seeded(seed: number): () => number {
    let state = seed >>> 0;
    return () => {
        state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
        return state / 2 ** 32;
    };
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;

/** A condition that turns true `afterMs` into the wait; records when each poll happened. */
function becomesTrue(clock: VirtualClock, afterMs: number) {
    const start = clock.now();
    const pollTimes: number[] = [];
    const check = async (): Promise<PollResult> => {
        const elapsed = clock.now() - start;
        pollTimes.push(elapsed);
        return elapsed >= afterMs ? { state: "available", done: true } : { state: "modifying", done: false };
    };
    return { check, pollTimes };
}

function throttled(): Error {
    return Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } });
}

function refused(): Error {
    return Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1"), { code: "ECONNREFUSED" });
}

describe("waitFor: the one polling loop", () => {
    it("notices a condition that becomes true at T by T + max(2 s, 5% of T), for T from 1 s to 30 min", async function () {
        this.timeout(60000);
        const times: number[] = [];
        for (let t = SECOND; t <= 30 * MINUTE; t = Math.ceil(t * 1.25)) {
            times.push(t, t + 337); // and just after, so T does not always fall on a round poll time
        }
        for (const [i, T] of times.entries()) {
            const clock = new VirtualClock();
            const { check } = becomesTrue(clock, T);
            const result = await waitFor({ waitingFor: "the test condition", check, timeoutMs: 40 * MINUTE, clock, random: seeded(i + 1) });
            const bound = T + Math.max(2 * SECOND, 0.05 * T);
            assert.ok(result.elapsedMs >= T, `noticed at ${result.elapsedMs} ms, before the condition held (${T} ms)`);
            assert.ok(result.elapsedMs <= bound, `T=${T} ms noticed at ${result.elapsedMs} ms, later than ${bound} ms`);
        }
    });

    it("starts near 1 s and backs off: about a hundred polls for 30 minutes, not thousands", async () => {
        const clock = new VirtualClock();
        const { check, pollTimes } = becomesTrue(clock, 30 * MINUTE);
        await waitFor({ waitingFor: "x", check, timeoutMs: 40 * MINUTE, clock, random: seeded(7) });
        const first = pollTimes[1] - pollTimes[0];
        assert.ok(first >= 0.75 * FIRST_INTERVAL_MS && first <= FIRST_INTERVAL_MS, `first interval ${first} ms`);
        const last = pollTimes[pollTimes.length - 1] - pollTimes[pollTimes.length - 2];
        assert.ok(last > 60 * SECOND, `interval after 29 min is ${last} ms: it should have backed off`);
        assert.ok(pollTimes.length < 150, `${pollTimes.length} polls for 30 minutes`);
    });

    it("never schedules an interval over max(2 s, 5% of elapsed), whatever the jitter draws", () => {
        for (const elapsed of [0, 500, 10 * SECOND, 40 * SECOND, 5 * MINUTE, 2 * 3600 * SECOND]) {
            for (const attempt of [1, 2, 5, 30]) {
                for (const draw of [0, 0.5, 0.999999]) {
                    assert.ok(pollIntervalMs(attempt, elapsed, () => draw) <= maxIntervalMs(elapsed));
                }
            }
        }
        assert.equal(maxIntervalMs(10 * MINUTE), 30 * SECOND);
    });

    it("emits a waiting event when the state changes, not on every poll", async () => {
        const clock = new VirtualClock();
        const start = clock.now();
        const events: RecoveryEvent[] = [];
        const check = async (): Promise<PollResult> => {
            const t = clock.now() - start;
            return t < 5 * SECOND ? { state: "available", done: false } : t < 70 * SECOND ? { state: "modifying", done: false } : { state: "available", done: true };
        };
        const result = await waitFor({ waitingFor: "promotion", check, timeoutMs: 5 * MINUTE, clock, emit: (e) => events.push(e), step: "promote", random: seeded(3) });
        assert.ok(result.polls > 10, "several polls per state");
        assert.deepEqual(events.map((e) => e.type === "waiting" && [e.step, e.waitingFor, e.state]), [
            ["promote", "promotion", "available"], ["promote", "promotion", "modifying"], ["promote", "promotion", "available"],
        ]);
        assert.deepEqual(result.history.map((h) => h.state), ["available", "modifying", "available"]);
    });

    it("retries through throttling and server errors", async () => {
        const clock = new VirtualClock();
        let polls = 0;
        const serverError = Object.assign(new Error("We encountered an internal error"), { name: "InternalFailure", $metadata: { httpStatusCode: 500 } });
        const check = async (): Promise<PollResult> => {
            polls += 1;
            if (polls <= 3) {
                throw throttled();
            }
            if (polls <= 5) {
                throw serverError;
            }
            return { state: "available", done: true };
        };
        const result = await waitFor({ waitingFor: "x", check, timeoutMs: MINUTE, clock });
        assert.equal(result.state, "available");
        assert.deepEqual(result.history.map((h) => [h.state, h.polls]), [["error: throttled", 3], ["error: server-error", 2], ["available", 1]]);
    });

    it("fails after N consecutive unreachable errors, naming what it waited for", async () => {
        const clock = new VirtualClock();
        let polls = 0;
        const check = async (): Promise<PollResult> => {
            polls += 1;
            throw new AwsCallError({ region: "us-east-1", service: "elasticache", operation: "DescribeGlobalReplicationGroups" }, refused());
        };
        await assert.rejects(waitFor({ waitingFor: "datastore ldgnf-prod to become available", check, timeoutMs: 10 * MINUTE, clock, maxConsecutiveUnreachable: 4 }),
            (e: Error) => {
                assert.ok(e instanceof WaitError);
                assert.match(e.message, /Gave up waiting for datastore ldgnf-prod to become available: 4 polls in a row could not reach AWS/);
                assert.match(e.message, /us-east-1 did not answer DescribeGlobalReplicationGroups/);
                return true;
            });
        assert.equal(polls, 4);
    });

    it("resets the unreachable count when a poll gets through", async () => {
        const clock = new VirtualClock();
        const script = ["down", "down", "ok", "down", "down", "ok", "done"];
        let i = 0;
        const check = async (): Promise<PollResult> => {
            const step = script[i++];
            if (step === "down") {
                throw refused();
            }
            return { state: step === "done" ? "available" : "modifying", done: step === "done" };
        };
        const result = await waitFor({ waitingFor: "x", check, timeoutMs: MINUTE, clock, maxConsecutiveUnreachable: 3 });
        assert.equal(result.polls, script.length);
    });

    it("stops at once on errors that waiting cannot fix", async () => {
        const clock = new VirtualClock();
        const notFound = Object.assign(new Error("GlobalReplicationGroup gone not found"), { name: "GlobalReplicationGroupNotFoundFault" });
        await assert.rejects(waitFor({ waitingFor: "the datastore", check: async () => { throw notFound; }, timeoutMs: MINUTE, clock }),
            /Stopped waiting for the datastore: GlobalReplicationGroup gone not found/);
    });

    it("fails with the reason when the check reports failure", async () => {
        const clock = new VirtualClock();
        const check = async (): Promise<PollResult> => ({ state: "create-failed", done: false, failed: "the replication group could not be created" });
        await assert.rejects(waitFor({ waitingFor: "member in us-west-2", check, timeoutMs: MINUTE, clock }),
            /member in us-west-2 failed after 0ms: the replication group could not be created \(state create-failed\)/);
    });

    it("on timeout polls once more at the deadline and reports the deadline and the states it saw", async () => {
        const clock = new VirtualClock();
        const start = clock.now();
        const { check, pollTimes } = becomesTrue(clock, Number.POSITIVE_INFINITY);
        await assert.rejects(waitFor({ waitingFor: "promotion of us-west-2", check, timeoutMs: 90 * SECOND, clock }), (e: Error) => {
            assert.ok(e instanceof WaitTimeoutError);
            assert.match(e.message, /^Timed out after 1m 30s waiting for promotion of us-west-2 \(deadline 2025-01-15T10:01:30\.000Z\)\. Last state: modifying\./);
            assert.match(e.message, new RegExp(`States seen: modifying x${pollTimes.length} over 1m 30s\\.`));
            return true;
        });
        assert.equal(pollTimes[pollTimes.length - 1], 90 * SECOND, "the last poll is at the deadline");
        assert.equal(clock.now() - start, 90 * SECOND);
    });

    it("stops when aborted, with the last state", async () => {
        const clock = new VirtualClock();
        const controller = new AbortController();
        let polls = 0;
        const check = async (): Promise<PollResult> => {
            polls += 1;
            if (polls === 3) {
                controller.abort(new Error("operator pressed Ctrl-C"));
            }
            return { state: "modifying", done: false };
        };
        await assert.rejects(waitFor({ waitingFor: "x", check, timeoutMs: MINUTE, clock, signal: controller.signal }), (e: Error) => {
            assert.ok(e instanceof WaitAbortedError);
            assert.match(e.message, /operator pressed Ctrl-C\)\. Last state: modifying/);
            return true;
        });
        assert.equal(polls, 3);
    });

    it("rejects a missing or bad timeout with the value and what is accepted", async () => {
        const check = async (): Promise<PollResult> => ({ state: "x", done: true });
        await assert.rejects(waitFor({ waitingFor: "x", check, timeoutMs: 0 }), /timeoutMs is 0\. Accepted: a positive number of milliseconds/);
        await assert.rejects(waitFor({ waitingFor: "x", check, timeoutMs: undefined as unknown as number }), /timeoutMs is undefined/);
    });
});

describe("sdkWaiterDelayMs: the SDK waiters' cadence, for comparison", () => {
    it("waits exactly minDelay (15 s) before the first retry", () => {
        assert.equal(sdkWaiterDelayMs(1, { random: () => 0.9 }), 15_000);
    });

    it("then draws uniformly between 15 s and 15 s x 2^(attempt-1)", () => {
        assert.equal(sdkWaiterDelayMs(2, { random: () => 0 }), 15_000);
        assert.equal(sdkWaiterDelayMs(2, { random: () => 1 }), 30_000);
        assert.equal(sdkWaiterDelayMs(3, { random: () => 0.5 }), 37_500);
        assert.equal(sdkWaiterDelayMs(4, { random: () => 1 }), 120_000);
    });

    it("past the ceiling (attempt 5 for 15 s..120 s) waits exactly 120 s, without jitter", () => {
        for (const draw of [0, 0.3, 0.99]) {
            assert.equal(sdkWaiterDelayMs(5, { random: () => draw }), 120_000);
            assert.equal(sdkWaiterDelayMs(12, { random: () => draw }), 120_000);
        }
    });

    it("shortens the delay near the deadline to what remains minus 500 ms", () => {
        assert.equal(sdkWaiterDelayMs(3, { random: () => 1, remainingMs: 20_000 }), 19_500);
        assert.equal(sdkWaiterDelayMs(3, { random: () => 1, remainingMs: 300 }), 0);
    });

    it("notices a one-minute promotion much later than waitFor does", async () => {
        // SDK schedule: polls at 0, 15 s, then 15..30 s later, then 15..60 s later: with the smallest
        // draws it still polls at 0, 15, 30, 45, 60 s; with typical draws the lag is tens of seconds.
        const T = 61 * SECOND;
        let at = 0;
        let attempt = 1;
        const random = seeded(11);
        while (at < T) {
            at += sdkWaiterDelayMs(attempt++, { random });
        }
        const clock = new VirtualClock();
        const { check } = becomesTrue(clock, T);
        const ours = await waitFor({ waitingFor: "x", check, timeoutMs: 10 * MINUTE, clock, random: seeded(11) });
        assert.ok(ours.elapsedMs - T <= 3050, `waitFor lag ${ours.elapsedMs - T} ms`);
        assert.ok(at - T > ours.elapsedMs - T, `SDK lag ${at - T} ms vs waitFor ${ours.elapsedMs - T} ms`);
    });
});
