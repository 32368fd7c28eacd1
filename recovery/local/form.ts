/**
 * Turning freshly started, empty cluster-enabled servers into one cluster, with plain commands instead
 * of `redis-cli --cluster create`: that tool polls once a second while nodes join (a second or two of
 * startup for nothing), needs a second binary found next to the first, and hides what it saw when it
 * fails. Here every wait reports the last view of every node.
 */
import Redis from "ioredis";
import { ClusterNodeLine, describeView, parseClusterNodes } from "./cluster-nodes";
import { LOOPBACK, PortTakenError } from "./process";

export const SLOT_COUNT = 16384;

/** The slot range of primary `index` of `primaries`: contiguous, sizes differing by at most one, like redis-cli's split. */
export function slotRangeFor(index: number, primaries: number): [number, number] {
    return [Math.round((index * SLOT_COUNT) / primaries), Math.round(((index + 1) * SLOT_COUNT) / primaries) - 1];
}

export interface AdminCredentials {
    username?: string;
    password?: string;
}

/** A plain connection to one local node that fails fast instead of reconnecting. */
export function adminClient(port: number, credentials: AdminCredentials): Redis {
    const client = new Redis({
        host: LOOPBACK,
        port,
        username: credentials.username,
        password: credentials.password,
        lazyConnect: true,
        retryStrategy: () => null,
        maxRetriesPerRequest: 0,
        connectTimeout: 1000,
        commandTimeout: 2000,
    });
    // Errors surface through the rejected command; without a listener ioredis prints them too.
    client.on("error", () => undefined);
    return client;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Polls `check` every `intervalMs` until it returns true. The shared loop in recovery/lib/wait.ts starts
 * at one second between polls, which suits AWS but would multiply a local start of well under a second.
 * `seen()` describes the last observation for the timeout error.
 */
export async function pollUntil(waitingFor: string, check: () => Promise<boolean>, seen: () => string, deadline: number, intervalMs = 25): Promise<void> {
    let lastError: unknown;
    for (;;) {
        try {
            if (await check()) {
                return;
            }
            lastError = undefined;
        } catch (error) {
            lastError = error;
        }
        if (Date.now() >= deadline) {
            const error = lastError === undefined ? "" : ` Last error: ${(lastError as Error).message ?? String(lastError)}.`;
            throw new Error(`Timed out waiting for ${waitingFor}. Last seen: ${seen() || "nothing yet"}.${error}`);
        }
        await sleep(intervalMs);
    }
}

/**
 * Connects to a node that was just spawned, retrying while it is still starting, and makes sure the
 * server that answers is the one spawned: INFO's process_id is its pid. Anything else answering there
 * (PortTakenError) must not get a single cluster command: it may be a node of another cluster.
 */
export async function connectWhenListening(port: number, credentials: AdminCredentials, deadline: number, server: { pid: number; exited(): string | undefined }): Promise<Redis> {
    let lastError = "";
    for (;;) {
        const client = adminClient(port, credentials);
        let answeringPid: string | undefined;
        try {
            await client.connect();
            answeringPid = /^process_id:(\d+)/m.exec(await client.info("server"))?.[1] ?? "unknown (no process_id in INFO)";
        } catch (error) {
            client.disconnect();
            lastError = (error as Error).message;
            if (/WRONGPASS|NOAUTH|NOPERM/.test(lastError)) {
                // Our server was started with these credentials in its config and cannot refuse them.
                throw new PortTakenError(port, `the server there refused the credentials ours was started with (${lastError})`);
            }
        }
        if (answeringPid !== undefined) {
            if (answeringPid === String(server.pid)) {
                return client;
            }
            client.disconnect();
            throw new PortTakenError(port, `the server there is pid ${answeringPid}, ours is pid ${server.pid}`);
        }
        const exited = server.exited();
        if (exited !== undefined) {
            throw new Error(`redis-server on port ${port} exited (${exited}) before accepting connections.`);
        }
        if (Date.now() >= deadline) {
            throw new Error(`redis-server on port ${port} did not accept connections in time. Last error: ${lastError}`);
        }
        await sleep(20);
    }
}

export interface FormPlan {
    /** Admin connections, primaries first, in the order the cluster should assign slots. */
    primaries: { port: number; client: Redis }[];
    /** For each primary index, its replicas. */
    replicasOf: { port: number; client: Redis }[][];
    deadline: number;
}

async function view(client: Redis): Promise<ClusterNodeLine[]> {
    return parseClusterNodes(String(await client.call("CLUSTER", "NODES")));
}

/** Assigns slots, joins every node, attaches replicas and waits until every node agrees and serves. */
export async function formCluster(plan: FormPlan): Promise<void> {
    const { primaries, replicasOf, deadline } = plan;
    const everyone = [...primaries, ...replicasOf.flat()];

    // Distinct config epochs before the nodes meet spare the cluster its epoch-collision resolution,
    // which otherwise delays the first consistent view (redis-cli does the same).
    await Promise.all(everyone.map(({ client }, index) => client.call("CLUSTER", "SET-CONFIG-EPOCH", String(index + 1))));
    await Promise.all(primaries.map(({ client }, index) => {
        const [from, to] = slotRangeFor(index, primaries.length);
        return client.call("CLUSTER", "ADDSLOTS", ...Array.from({ length: to - from + 1 }, (_, i) => String(from + i)));
    }));
    const [first, ...others] = everyone;
    await Promise.all(others.map(({ port }) => first.client.call("CLUSTER", "MEET", LOOPBACK, String(port))));

    const views = new Map<number, ClusterNodeLine[]>();
    const seen = () => everyone.map(({ port }) => `node ${port} sees [${describeView(views.get(port) ?? [])}]`).join(" | ");
    await pollUntil(`all ${everyone.length} nodes to know each other`, async () => {
        const all = await Promise.all(everyone.map(async ({ port, client }) => [port, await view(client)] as const));
        all.forEach(([port, lines]) => views.set(port, lines));
        return all.every(([, lines]) => lines.length === everyone.length &&
            lines.every((line) => line.link === "connected" && !line.flags.includes("handshake") && !line.flags.includes("noaddr")));
    }, seen, deadline);

    const ids = new Map<number, string>();
    for (const line of views.get(first.port) ?? []) {
        ids.set(line.port, line.nodeId);
    }
    await Promise.all(replicasOf.flatMap((replicas, index) =>
        replicas.map(({ client }) => client.call("CLUSTER", "REPLICATE", ids.get(primaries[index].port) as string))));

    const expectedPrimaryOf = new Map<string, string>();
    replicasOf.forEach((replicas, index) => replicas.forEach(({ port }) =>
        expectedPrimaryOf.set(ids.get(port) as string, ids.get(primaries[index].port) as string)));
    const states = new Map<number, string>();
    const seenWithState = () => everyone.map(({ port }) =>
        `node ${port}: ${states.get(port) ?? "?"} [${describeView(views.get(port) ?? [])}]`).join(" | ");
    await pollUntil("cluster_state:ok on every node, replicas attached and in sync", async () => {
        const results = await Promise.all(everyone.map(async ({ port, client }) => {
            const [info, lines, replication] = await Promise.all([
                client.call("CLUSTER", "INFO") as Promise<string>,
                view(client),
                client.info("replication"),
            ]);
            views.set(port, lines);
            const state = /cluster_state:(\w+)/.exec(info)?.[1] ?? "unknown";
            const link = /master_link_status:(\w+)/.exec(replication)?.[1];
            states.set(port, `cluster_state:${state}${link ? ` master_link_status:${link}` : ""}`);
            const rolesAgree = lines.every((line) => line.primaryId === expectedPrimaryOf.get(line.nodeId));
            return state === "ok" && rolesAgree && (link === undefined || link === "up");
        }));
        return results.every(Boolean);
    }, seenWithState, deadline);
}
