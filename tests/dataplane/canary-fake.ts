import { CanaryClient } from "../../recovery/dataplane/canary";
import { Clock } from "../../recovery/lib/clock";

/** How the fake answers one command on one key. */
export type FakeBehaviour = "ok" | "error" | "hang" | "ack-without-storing";

/**
 * An in-memory stand-in for a cluster, with sorted-set semantics for the commands the canary sends and
 * a behaviour per key and command that a test can change while the canary runs.
 */
export class FakeCluster implements CanaryClient {
    readonly sets = new Map<string, Set<number>>();
    readonly expiries = new Map<string, number>();
    /** Decides per call; default "ok". */
    behaviour: (command: string, key: string) => FakeBehaviour = () => "ok";
    /** Replaces what ZREVRANGE sees for a key, to serve an old value. */
    readOverride = new Map<string, number>();

    /**
     * @param clock the virtual clock the canary under test runs on, if any: answers then come as a
     * zero-length sleep on it, so its time cannot move past them (an attempt's timeout would otherwise
     * win against an answer the event loop has not delivered yet).
     */
    constructor(private readonly clock?: Clock) {}

    async call(command: string, ...args: (string | number)[]): Promise<unknown> {
        const key = String(args[0]);
        const behaviour = this.behaviour(command, key);
        if (behaviour === "hang") {
            return new Promise(() => undefined);
        }
        // Answer on a later turn of the event loop, as a network client would.
        await (this.clock ? this.clock.sleep(0) : new Promise((resolve) => setImmediate(resolve)));
        if (behaviour === "error") {
            throw new Error("CLUSTERDOWN The cluster is down\nsecond line");
        }
        const set = this.sets.get(key) ?? new Set<number>();
        this.sets.set(key, set);
        switch (command) {
            case "ZADD":
                if (behaviour !== "ack-without-storing") {
                    set.add(Number(args[1]));
                }
                return 1;
            case "ZREVRANGE": {
                const newest = this.readOverride.get(key) ?? Math.max(0, ...set);
                return newest > 0 ? [String(newest)] : [];
            }
            case "ZRANGE":
                return [...set].sort((a, b) => a - b).map(String);
            case "PEXPIRE":
                this.expiries.set(key, Number(args[1]));
                return 1;
            default:
                throw new Error(`FakeCluster: unexpected command ${command}`);
        }
    }
}
