/**
 * Test-only: the setting of the drill tests (drill.test.ts, drill-waits.test.ts): the drill command
 * against the fake control plane, on the wall clock, with a real local Redis cluster as the data plane
 * and the canary measuring it.
 *
 * The fake's TestFailover cannot move the real cluster's primaries, so the tests join the two worlds
 * where they meet: when the fake promotes a replica of node group 000N (model.onShardPromoted), the
 * scenario runs CLUSTER FAILOVER on a replica of the real cluster's N-th shard (in slot order, which is
 * how the drill matches node groups to the data plane's shards). The fake reports "Finished recovery" a
 * second later, so the real failover has happened before the drill measures the event. CLUSTER
 * FAILOVER is a coordinated hand-over, like TestFailover's promotion of a replica while the primary
 * still answers; the window it shows is short, and no acknowledged write may be lost.
 */
import { Cluster } from "ioredis";
import { DataPlaneTarget, connectCluster } from "../../../recovery/dataplane/connect";
import { hashTagFor } from "../../../recovery/dataplane/slots";
import { LocalNode } from "../../../recovery/local/cluster";
import { adminClient } from "../../../recovery/local/form";
import { ClusterFixture, useLocalCluster } from "../../dataplane/local-cluster-fixture";
import { DataPlaneExtras, SkippingWallClock, WallClockHarness, failOverLocalShard, wallClockHarness } from "./failover-shard-harness";

export const AUTH = { username: "app", password: "local-cluster-password-1" };
export const FAST = { testFailoverPromotion: 300, testFailoverRecoveryStart: 600, testFailoverRecovered: 1200, failover: 500, metricPublishDelay: 500 };
export const DRILL = ["drill", "--stack", "prod", "--rate", "50", "--settle", "1s"];

/** What each test starts with: a fresh harness, and what the drill asked of the data plane so far. */
export interface DrillTestState {
    h: WallClockHarness;
    clock: SkippingWallClock;
    asked: DataPlaneTarget[];
    /** The real cluster's failovers the fake's promotions started (see the file comment). */
    realFailovers: Promise<unknown>[];
}

export interface DrillScenario {
    fixture: ClusterFixture;
    /** The state of the running test (set by the scenario's beforeEach). */
    current(): DrillTestState;
    /** The data plane as the drill sees it: every region's endpoint leads to the local cluster (there is one). */
    dataPlane(): DataPlaneExtras;
    /**
     * The data plane with a reader that cannot read node group 0002's canary key (the local cluster's
     * second shard): every full read of it fails, as when the shard's nodes are unreachable, while
     * writes and the quick reads go through.
     */
    unreadable0002(): DataPlaneExtras;
    /** Sets the user's ACL on every node of the local cluster. */
    setUserAcl(rule: string): Promise<void>;
    /** Node ids of the local cluster's primaries, sorted. */
    primaries(): Promise<string[]>;
}

/** Call inside a describe: one local cluster for the block, a fresh harness for each test. */
export function useDrillScenario(): DrillScenario {
    const fixture = useLocalCluster({ primaries: 3, replicasPerPrimary: 1, acl: AUTH });
    let state: DrillTestState | undefined;
    const current = (): DrillTestState => {
        if (!state) {
            throw new Error("useDrillScenario: no test is running; use the scenario inside tests of the describe block that created it.");
        }
        return state;
    };

    beforeEach(async () => {
        const clock = new SkippingWallClock();
        const h = await wallClockHarness(FAST, clock);
        const realFailovers: Promise<unknown>[] = [];
        h.aws.model.onShardPromoted = (p) => {
            realFailovers.push(failOverLocalShard(fixture.local, Number(p.nodeGroupId), AUTH));
        };
        state = { h, clock, asked: [], realFailovers };
    });
    afterEach(() => {
        state?.h.cleanup();
        state = undefined;
    });

    return {
        fixture,
        current,
        dataPlane: () => ({
            env: { REDIS_PASSWORD: AUTH.password },
            connectDataPlane: async (target: DataPlaneTarget): Promise<Cluster> => {
                current().asked.push(target);
                return connectCluster({ seeds: fixture.local.seeds, auth: target.auth });
            },
        }),
        unreadable0002: () => {
            const tag = hashTagFor({ slots: [[5461, 10922]] });
            return {
                env: { REDIS_PASSWORD: AUTH.password },
                connectDataPlane: async (target: DataPlaneTarget): Promise<Cluster> => {
                    current().asked.push(target);
                    const real = await connectCluster({ seeds: fixture.local.seeds, auth: target.auth });
                    const send = real.call.bind(real) as (command: string, ...args: unknown[]) => Promise<unknown>;
                    return new Proxy(real, {
                        get(object, property) {
                            if (property === "call") {
                                return (command: string, ...args: unknown[]) => command === "ZRANGE" && String(args[0]).includes(tag)
                                    ? Promise.reject(new Error("CLUSTERDOWN The cluster is down (test)")) : send(command, ...args);
                            }
                            const value = Reflect.get(object, property, object);
                            return typeof value === "function" ? value.bind(object) : value;
                        },
                    });
                },
            };
        },
        async setUserAcl(rule: string) {
            for (const node of await fixture.local.nodes()) {
                const admin = adminClient(node.port, AUTH);
                try {
                    await admin.connect();
                    await admin.call("ACL", "SETUSER", AUTH.username, rule);
                } finally {
                    admin.disconnect();
                }
            }
        },
        async primaries() {
            return (await fixture.local.nodes()).filter((n: LocalNode) => n.role === "primary").map((n) => n.nodeId).sort();
        },
    };
}
