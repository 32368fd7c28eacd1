/**
 * One real local Redis Cluster per test file (or per describe block): call useLocalCluster() inside a
 * describe; it starts the cluster in a before hook and stops it, with every connection opened through
 * it, in an after hook that runs even when tests fail.
 *
 *   describe("my feature", () => {
 *       const fixture = useLocalCluster({ acl: { username: "app", password: "pw" } });
 *       it("...", async () => {
 *           const cluster = await fixture.connect();
 *           ...
 *       });
 *   });
 */
import type { Cluster } from "ioredis";
import { ConnectOptions, DataPlaneTarget, connectCluster } from "../../recovery/dataplane/connect";
import { LocalCluster, LocalClusterOptions, startLocalCluster } from "../../recovery/local/cluster";
import { requireRedisServer } from "../helpers/redis-server";

export interface ClusterFixture {
    /** The running cluster. Throws outside tests (before the before hook ran). */
    readonly local: LocalCluster;
    /** Seeds and credentials of the cluster, as the recovery programs would get them. */
    readonly target: DataPlaneTarget;
    /** A ready cluster client, disconnected automatically after the block. */
    connect(opts?: ConnectOptions): Promise<Cluster>;
}

/** Start-up takes two to three seconds; the margin covers a loaded CI machine. */
const START_TIMEOUT_MS = 30_000;

export function useLocalCluster(options: LocalClusterOptions = {}): ClusterFixture {
    let local: LocalCluster | undefined;
    const clients: Cluster[] = [];

    before(async function () {
        this.timeout(START_TIMEOUT_MS);
        await requireRedisServer(this);
        local = await startLocalCluster({ ...options, startTimeoutMs: options.startTimeoutMs ?? START_TIMEOUT_MS - 5000 });
    });

    after(async function () {
        this.timeout(START_TIMEOUT_MS);
        clients.splice(0).forEach((client) => client.disconnect());
        await local?.stop();
        local = undefined;
    });

    const running = (): LocalCluster => {
        if (!local) {
            throw new Error("useLocalCluster: the cluster is not running; use the fixture inside tests of the describe block that created it.");
        }
        return local;
    };

    return {
        get local() {
            return running();
        },
        get target(): DataPlaneTarget {
            return { seeds: running().seeds, ...(options.acl ? { auth: { ...options.acl } } : {}) };
        },
        async connect(opts?: ConnectOptions) {
            const client = await connectCluster(this.target, opts);
            clients.push(client);
            return client;
        },
    };
}
