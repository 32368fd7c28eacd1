import * as assert from "assert";
import { VirtualClock } from "./virtual-clock";

describe("VirtualClock", () => {
    it("wakes concurrent sleepers in due order, each at its due time, without real waiting", async () => {
        const clock = new VirtualClock(0);
        const woke: [string, number][] = [];
        const started = Date.now();
        await Promise.all([
            clock.sleep(300_000).then(() => woke.push(["5min", clock.now()])),
            clock.sleep(1_000).then(async () => {
                woke.push(["1s", clock.now()]);
                await clock.sleep(500);
                woke.push(["1.5s", clock.now()]);
            }),
            clock.sleep(60_000).then(() => woke.push(["1min", clock.now()])),
        ]);
        assert.deepStrictEqual(woke, [["1s", 1_000], ["1.5s", 1_500], ["1min", 60_000], ["5min", 300_000]]);
        assert.ok(Date.now() - started < 500, "virtual minutes must not take real time");
    });

    it("rejects an aborted sleep with the signal's reason and forgets it", async () => {
        const clock = new VirtualClock(0);
        const controller = new AbortController();
        const sleeping = clock.sleep(10_000, controller.signal);
        controller.abort(new Error("operator cancelled"));
        await assert.rejects(sleeping, /operator cancelled/);
        assert.strictEqual(clock.pendingSleepers(), 0);
        assert.strictEqual(clock.now(), 0);
    });

    it("advance() moves time and wakes only the sleepers due by then", async () => {
        const clock = new VirtualClock(0);
        let early = false;
        let late = false;
        void clock.sleep(1_000).then(() => (early = true));
        void clock.sleep(10_000).then(() => (late = true));
        clock.advance(5_000);
        await Promise.resolve();
        assert.deepStrictEqual([early, late, clock.now()], [true, false, 5_000]);
    });
});
