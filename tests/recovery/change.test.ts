/**
 * recovery/lib/change.ts, the one place that settles the answer to a changing call, and the
 * classification it rests on (errors.ts): throttled means not processed, so it is asked again for a
 * bounded time after a look for the change; a lost answer or a 5xx is unclear, so the state is read.
 */
import * as assert from "node:assert/strict";
import { isThrottlingError } from "@smithy/core/retry";
import {
    ChangeRequest, ChangeThrottledError, LookReason, THROTTLE_BACKOFF_MAX_MS, THROTTLE_BOUND_MS, UnclearChangeError, sendChange, throttleBackoffMs,
} from "../../recovery/lib/change";
import { AwsCallError, THROTTLING_ERROR_NAMES, changeAnswer, classifyAwsError } from "../../recovery/lib/errors";
import { VirtualClock } from "./fake/virtual-clock";

const CONTEXT = { region: "us-east-1", service: "elasticache" as const, operation: "CreateSnapshot" };
const throttling = () => Object.assign(new Error("Rate exceeded"), { name: "Throttling", $metadata: { httpStatusCode: 400 } });
const unavailable = () => Object.assign(new Error("Service is unavailable"), { name: "ServiceUnavailable", $fault: "server", $metadata: { httpStatusCode: 503 } });
const lost = () => Object.assign(new Error("Request timed out"), { name: "TimeoutError" });
const refused = () => Object.assign(new Error("snapshotting"), { name: "InvalidReplicationGroupStateFault", $metadata: { httpStatusCode: 400 } });

/** A change whose `send` answers with `answers` in turn (undefined: accepted), recording sends and looks on the virtual clock. */
function scripted(answers: Array<(() => Error) | undefined>, shows: (reason: LookReason, look: number) => string | undefined = () => undefined) {
    const clock = new VirtualClock();
    const sends: number[] = [];
    const looks: Array<{ at: number; reason: LookReason }> = [];
    const found: string[] = [];
    const request: ChangeRequest = {
        context: CONTEXT, clock, random: () => 0.5,
        send: async () => {
            sends.push(clock.now());
            const answer = answers[Math.min(sends.length - 1, answers.length - 1)];
            if (answer) {
                throw answer();
            }
        },
        lookFor: async (reason) => {
            looks.push({ at: clock.now(), reason });
            return shows(reason, looks.length);
        },
        step: { found: (what) => found.push(what) },
    };
    return { request, clock, sends, looks, found };
}

describe("recovery/lib/errors: which answers to a change mean it was not processed", () => {
    it("classifies as throttled every error name the SDK's retry strategy treats as throttling, and ElastiCache's call-rate fault", () => {
        for (const name of THROTTLING_ERROR_NAMES) {
            assert.equal(classifyAwsError({ name, $metadata: { httpStatusCode: 400 } }), "throttled", name);
            if (name !== "APICallRateForCustomerExceededFault") {
                assert.ok(isThrottlingError({ name, message: "", $metadata: {} } as never), `the SDK classifies ${name} as throttling too`);
            }
        }
        assert.equal(classifyAwsError({ name: "SomethingNew", $metadata: { httpStatusCode: 429 } }), "throttled", "HTTP 429");
        assert.equal(classifyAwsError({ name: "SomethingModelled", $retryable: { throttling: true } }), "throttled", "the SDK's throttling trait");
    });

    it("not processed: throttled; unclear: a server error or no answer; everything else refused", () => {
        assert.deepEqual([classifyAwsError(throttling()), classifyAwsError(unavailable()), classifyAwsError(lost()), classifyAwsError(refused())],
            ["throttled", "server-error", "unreachable", "invalid-state"]);
        assert.deepEqual(["throttled", "server-error", "unreachable", "invalid-state", "access-denied", "not-found", "other"].map((k) => changeAnswer(k as never)),
            ["not-processed", "unclear", "unclear", "refused", "refused", "refused", "refused"]);
    });
});

describe("recovery/lib/change: sendChange", () => {
    it("throttled twice, then accepted: three sends, each new one after a jittered backoff and a look for the change", async () => {
        const { request, clock, sends, looks, found } = scripted([throttling, throttling, undefined]);
        const start = clock.now();
        assert.deepEqual(await sendChange(request), { result: "accepted", throttled: 2 });
        // random 0.5: half of min(20 s, 1 s·2^(n-1)).
        assert.deepEqual(sends.map((at) => at - start), [0, 500, 1500]);
        assert.deepEqual(looks.map((l) => [l.at - start, l.reason]), [[500, "throttled"], [1500, "throttled"]]);
        assert.match(found[0], /^CreateSnapshot in us-east-1 answered Throttling \(Rate exceeded\): AWS did not process it, so nothing changed; looking for the change, then asking again in 500ms/);
    });

    it("does not ask again when the look finds the change made meanwhile", async () => {
        const { request, sends } = scripted([throttling], () => "snapshot x exists (creating)");
        assert.deepEqual(await sendChange(request), { result: "already", seen: "snapshot x exists (creating)", reason: "throttled", throttled: 1 });
        assert.equal(sends.length, 1);
    });

    it("asks again when the look itself fails: every attempt so far was throttled, so nothing of ours is under way", async () => {
        const { request, sends, found } = scripted([throttling, undefined]);
        request.lookFor = async () => {
            throw new Error("DescribeSnapshots timed out");
        };
        assert.equal((await sendChange(request)).result, "accepted");
        assert.equal(sends.length, 2);
        assert.ok(found.some((f) => /could not look for the change before asking again \(DescribeSnapshots timed out\); asking anyway/.test(f)));
    });

    it("gives up when throttling outlasts the bound, saying nothing was changed", async () => {
        const { request, clock, sends } = scripted([throttling]);
        const start = clock.now();
        const error = await sendChange(request).then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof ChangeThrottledError, String(error));
        assert.equal(error.kind, "throttled");
        assert.equal(error.attempts, sends.length);
        assert.ok(clock.now() - start <= THROTTLE_BOUND_MS, `gave up after ${clock.now() - start} ms`);
        assert.ok(clock.now() - start > THROTTLE_BOUND_MS - THROTTLE_BACKOFF_MAX_MS, "used the bound");
        assert.match(error.message, new RegExp(`^AWS throttled CreateSnapshot in us-east-1 ${sends.length} times over \\d+m \\d+s \\(last answer: Throttling: Rate exceeded\\)\\. ` +
            "A throttled request is not processed, so nothing was changed by CreateSnapshot\\."));
    });

    it("stops at the caller's deadline when it comes before the bound", async () => {
        const { request, clock, sends } = scripted([throttling]);
        request.deadline = clock.now() + 3000;
        await assert.rejects(sendChange(request), ChangeThrottledError);
        assert.ok(sends.every((at) => at <= request.deadline!));
    });

    it("unclear answer: the state decides; a change that shows is taken as made, without asking again", async () => {
        const { request, sends, looks, found } = scripted([lost], (reason) => (reason === "unclear" ? "the datastore now shows modifying" : undefined));
        assert.deepEqual(await sendChange(request), { result: "already", seen: "the datastore now shows modifying", reason: "unclear", throttled: 0 });
        assert.deepEqual([sends.length, looks.map((l) => l.reason)], [1, ["unclear"]]);
        assert.match(found[0], /answered TimeoutError \(unreachable\), but the datastore now shows modifying: the change may be under way .*not asked again/);
    });

    it("unclear answer whose change does not show: back to the caller, saying whether the state could be read", async () => {
        const shown = scripted([unavailable]);
        const notShown = await sendChange(shown.request).then(() => undefined, (e: unknown) => e);
        assert.ok(notShown instanceof UnclearChangeError && notShown.stateRead && notShown.kind === "server-error", String(notShown));
        const unread = scripted([unavailable]);
        unread.request.lookFor = async () => {
            throw new Error("no answer");
        };
        const unknown = await sendChange(unread.request).then(() => undefined, (e: unknown) => e);
        assert.ok(unknown instanceof UnclearChangeError && !unknown.stateRead, String(unknown));
        assert.equal(shown.sends.length + unread.sends.length, 2, "an unclear change is never asked again here");
    });

    it("a refusal is thrown as it is, without a look or another attempt", async () => {
        const { request, sends, looks } = scripted([refused]);
        const error = await sendChange(request).then(() => undefined, (e: unknown) => e);
        assert.ok(error instanceof AwsCallError && error.kind === "invalid-state" && !(error instanceof UnclearChangeError), String(error));
        assert.deepEqual([sends.length, looks.length], [1, 0]);
    });

    it("backoff: a uniform draw up to min(20 s, 1 s·2^(n-1))", () => {
        assert.deepEqual([1, 2, 3, 5, 6, 10].map((n) => throttleBackoffMs(n, () => 0.999999)).map(Math.round), [1000, 2000, 4000, 16000, 20000, 20000]);
        assert.equal(throttleBackoffMs(4, () => 0), 0);
    });
});
