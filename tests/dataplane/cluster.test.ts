import * as assert from "node:assert/strict";
import { ChildProcess, spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { Redis } from "ioredis";
import { buildClusterOptions, connectCluster, describeTarget } from "../../recovery/dataplane/connect";
import { LocalNode, startLocalCluster } from "../../recovery/local/cluster";
import { connectWhenListening } from "../../recovery/local/form";
import { PortTakenError, findFreePorts, resolveRedisServer } from "../../recovery/local/process";
import { useLocalCluster } from "./local-cluster-fixture";
import { requireRedisServer } from "../helpers/redis-server";

const ACL = { username: "recovery", password: "correct-horse-battery" };

function isRunning(pid: number): boolean {
    try {
        process.kill(pid, 0);
        return true;
    } catch {
        return false;
    }
}

/** The first reply line to one inline command sent without authenticating. */
function rawReply(port: number, command: string): Promise<string> {
    return new Promise((resolve, reject) => {
        const socket = net.connect({ host: "127.0.0.1", port }, () => socket.write(`${command}\r\n`));
        socket.once("data", (data) => {
            socket.destroy();
            resolve(data.toString().split("\r\n")[0]);
        });
        socket.once("error", reject);
    });
}

/** A plain connection to one node as the ACL user, closed after `use`. */
async function onLocalNode<T>(port: number, use: (client: Redis) => Promise<T>): Promise<T> {
    const client = new Redis({ host: "127.0.0.1", port, ...ACL, lazyConnect: true, retryStrategy: () => null });
    await client.connect();
    try {
        return await use(client);
    } finally {
        client.disconnect();
    }
}

describe("local Redis Cluster (real redis-server)", function () {
    this.timeout(20_000);
    const fixture = useLocalCluster({ acl: ACL, nodeTimeoutMs: 1000 });
    let initial: LocalNode[];

    it("runs 3 primaries with 1 replica each, replicas attached to distinct primaries", async () => {
        initial = await fixture.local.nodes();
        const primaries = initial.filter((node) => node.role === "primary");
        const replicas = initial.filter((node) => node.role === "replica");
        assert.equal(primaries.length, 3);
        assert.equal(replicas.length, 3);
        assert.deepEqual(new Set(replicas.map((node) => node.primaryId)), new Set(primaries.map((node) => node.nodeId)));
        for (const node of initial) {
            assert.ok(isRunning(node.pid), `pid ${node.pid} of port ${node.port} is not running`);
            assert.ok(node.dir.startsWith(fixture.local.dir), `${node.dir} is outside ${fixture.local.dir}`);
        }
        assert.deepEqual(fixture.local.seeds.map((seed) => seed.port).sort(), primaries.map((node) => node.port).sort());
    });

    it("binds loopback only, keeps nothing on disk, and disables the default user", async () => {
        for (const node of initial) {
            const config = await onLocalNode(node.port, async (client) => {
                const pairs = (await client.call("CONFIG", "GET", "*")) as string[];
                return new Map(pairs.flatMap((value, i) => (i % 2 === 0 ? [[value, pairs[i + 1]] as [string, string]] : [])));
            });
            assert.equal(config.get("bind"), "127.0.0.1", `port ${node.port}`);
            assert.equal(config.get("save"), "");
            assert.equal(config.get("appendonly"), "no");
            assert.equal(config.get("cluster-node-timeout"), "1000");
        }
        // A raw socket: ioredis opens with HELLO, which an unauthenticated server refuses before any command.
        assert.match(await rawReply(initial[0].port, "PING"), /^-NOAUTH/);
    });

    it("connectCluster with the ACL user writes and reads across every shard", async () => {
        const cluster = await fixture.connect();
        const keys = Array.from({ length: 30 }, (_, i) => `roundtrip:${i}`);
        await Promise.all(keys.map((key) => cluster.set(key, key.toUpperCase())));
        assert.deepEqual(await Promise.all(keys.map((key) => cluster.get(key))), keys.map((key) => key.toUpperCase()));
        assert.equal(cluster.nodes("master").length, 3);
    });

    it("connectCluster rejects a wrong password at once, naming the seeds and never the password", async () => {
        const started = Date.now();
        const error: Error = await connectCluster({ seeds: fixture.local.seeds, auth: { username: ACL.username, password: "wrong-password" } })
            .then(() => assert.fail("connected with a wrong password"), (e: Error) => e);
        assert.match(error.message, /refused the credentials/);
        assert.match(error.message, /WRONGPASS/);
        assert.ok(error.message.includes(`127.0.0.1:${fixture.local.seeds[0].port}`), error.message);
        assert.ok(!error.message.includes("wrong-password"), "the message leaks the password");
        assert.ok(Date.now() - started < 3000, `took ${Date.now() - started} ms; auth errors should not wait for the timeout`);
    });

    it("connectCluster without credentials is refused (the default user is off)", async () => {
        await assert.rejects(connectCluster({ seeds: fixture.local.seeds }), /without authentication: the server refused the credentials \(NOAUTH/);
    });

    it("kill() stops one node; nodes() drops it and, after cluster-node-timeout, reports its replica as primary", async () => {
        const victim = initial.find((node) => node.role === "primary") as LocalNode;
        const heir = initial.find((node) => node.primaryId === victim.nodeId) as LocalNode;
        await fixture.local.kill(victim.port);
        assert.ok(!isRunning(victim.pid));
        const deadline = Date.now() + 10_000;
        let now: LocalNode[] = [];
        while (Date.now() < deadline) {
            now = await fixture.local.nodes();
            if (now.find((node) => node.port === heir.port)?.role === "primary") {
                break;
            }
            await new Promise((resolve) => setTimeout(resolve, 100));
        }
        assert.equal(now.find((node) => node.port === heir.port)?.role, "primary", `roles seen: ${JSON.stringify(now)}`);
        assert.ok(!now.some((node) => node.port === victim.port), "the killed node is still listed");
        await assert.rejects(fixture.local.kill(1), /port 1 is not a node of this local cluster/);
    });

    it("stop() kills every server and removes the directory, and may be called again", async () => {
        const pids = (await fixture.local.nodes()).map((node) => node.pid);
        const dir = fixture.local.dir;
        await fixture.local.stop();
        assert.deepEqual(pids.filter(isRunning), []);
        await assert.rejects(fs.access(dir), { code: "ENOENT" });
        await fixture.local.stop();
    });
});

/** Starts a one-node cluster in a separate node process and resolves with its pids and directory once it is up. */
function clusterInChildProcess(): Promise<{ child: ChildProcess; pids: number[]; dir: string }> {
    const script = `
        const { startLocalCluster } = require(${JSON.stringify(path.resolve(__dirname, "../../recovery/local/cluster"))});
        startLocalCluster({ primaries: 1, replicasPerPrimary: 0 }).then(async (cluster) => {
            const nodes = await cluster.nodes();
            console.log(JSON.stringify({ dir: cluster.dir, pids: nodes.map((node) => node.pid) }));
            setInterval(() => undefined, 60000);
        });`;
    // The tests' own TypeScript hook: which transpiler loads the cluster code plays no part here.
    const child = spawn(process.execPath, ["-r", path.resolve(__dirname, "../../scripts/transpile.js"), "-e", script], { stdio: ["ignore", "pipe", "inherit"] });
    return new Promise((resolve, reject) => {
        let out = "";
        child.stdout?.on("data", (chunk: Buffer) => {
            out += chunk.toString();
            if (out.includes("\n")) {
                resolve({ child, ...JSON.parse(out) });
            }
        });
        child.once("exit", (code) => reject(new Error(`the child exited (${code}) before the cluster was up: ${out}`)));
    });
}

describe("startLocalCluster arguments and failures", () => {
    it("leaves no server behind when the process that started it is killed outright", async function () {
        await requireRedisServer(this);
        this.timeout(20_000);
        const { child, pids, dir } = await clusterInChildProcess();
        try {
            assert.equal(pids.filter(isRunning).length, 1);
            child.kill("SIGKILL");
            const deadline = Date.now() + 5000;
            while (pids.some(isRunning) && Date.now() < deadline) {
                await new Promise((resolve) => setTimeout(resolve, 50));
            }
            assert.deepEqual(pids.filter(isRunning), [], "redis-server outlived its parent");
        } finally {
            child.kill("SIGKILL");
            pids.filter(isRunning).forEach((pid) => process.kill(pid, "SIGKILL"));
            // Only stop() removes the directory; a killed parent cannot.
            await fs.rm(dir, { recursive: true, force: true });
        }
    });


    it("names a missing redis-server and how to install it", async () => {
        await assert.rejects(startLocalCluster({ redisServer: "no-such-redis-server-binary" }),
            /no executable "no-such-redis-server-binary" found on PATH.*apt-get install redis-server/s);
    });

    it("cleans up when the servers fail halfway through start-up", async function () {
        this.timeout(10_000);
        // Its own directory, from its own log line: other test files start clusters in parallel workers.
        const lines: string[] = [];
        // node, given a redis.conf as its script, exits with a syntax error: a server that dies at once.
        await assert.rejects(startLocalCluster({ redisServer: process.execPath, primaries: 1, replicasPerPrimary: 0, log: (line) => lines.push(line) }),
            /exited .* before accepting connections|exited at once/);
        const dir = / in (\S*local-redis-cluster-\S+)$/m.exec(lines.join("\n"))?.[1];
        assert.ok(dir, `the start-up named its directory: ${JSON.stringify(lines)}`);
        await assert.rejects(fs.stat(dir), { code: "ENOENT" }, `${dir} is removed`);
    });

    it("rejects bad sizes and ACL users with the field, the value and what is accepted", async () => {
        await assert.rejects(startLocalCluster({ primaries: 0 }), /primaries is 0\. Accepted: a whole number from 1 to 100/);
        await assert.rejects(startLocalCluster({ replicasPerPrimary: 1.5 }), /replicasPerPrimary is 1\.5/);
        await assert.rejects(startLocalCluster({ acl: { username: "two words", password: "x" } }), /acl\.username is "two words"/);
        await assert.rejects(startLocalCluster({ acl: { username: "default", password: "x" } }), /not "default"/);
    });
});

describe("connectCluster options (no TLS server here: the shape ElastiCache needs)", () => {
    const seeds = [{ host: "clustercfg.example.cache.amazonaws.com", port: 6379 }];

    it("with TLS, keeps host names (dnsLookup passes them through) and turns TLS on for every node", async () => {
        const options = buildClusterOptions({ seeds, tls: true, auth: { username: "app", password: "secret" } });
        assert.deepEqual(options.redisOptions?.tls, {});
        assert.equal(options.redisOptions?.username, "app");
        assert.equal(options.redisOptions?.password, "secret");
        const resolved = await new Promise<string>((resolve, reject) =>
            options.dnsLookup?.(seeds[0].host, (err, address) => (err ? reject(err) : resolve(address))));
        assert.equal(resolved, seeds[0].host);
    });

    it("without TLS, sets neither tls nor a custom dnsLookup; an AUTH token goes without a username", () => {
        const options = buildClusterOptions({ seeds, auth: { password: "token" } });
        assert.equal(options.redisOptions?.tls, undefined);
        assert.equal(options.dnsLookup, undefined);
        assert.equal(options.redisOptions?.username, undefined);
        assert.equal(options.redisOptions?.password, "token");
    });

    it("fails fast instead of queueing: no offline queue, short failover retries, the given command timeout", () => {
        const options = buildClusterOptions({ seeds }, { commandTimeoutMs: 750, maxRedirections: 4 });
        assert.equal(options.enableOfflineQueue, false);
        assert.ok((options.retryDelayOnFailover ?? 100) <= 100);
        assert.ok((options.retryDelayOnClusterDown ?? 100) <= 100);
        assert.equal(options.redisOptions?.commandTimeout, 750);
        assert.equal(options.maxRedirections, 4);
    });

    it("rejects bad targets with the field, the value and what is accepted", () => {
        assert.throws(() => buildClusterOptions({ seeds: [] }), /seeds is \[\]\. Accepted: at least one/);
        assert.throws(() => buildClusterOptions({ seeds: [{ host: "h", port: 70000 }] }), /seeds\[0\]\.port is 70000/);
        assert.throws(() => buildClusterOptions({ seeds, auth: { password: "" } }), /auth\.password is empty/);
        assert.throws(() => buildClusterOptions({ seeds }, { commandTimeoutMs: 0 }), /commandTimeoutMs is 0/);
    });

    it("describeTarget shows scheme, seeds and user but never the password", () => {
        const text = describeTarget({ seeds, tls: true, auth: { username: "app", password: "hunter2" } });
        assert.equal(text, "tls://clustercfg.example.cache.amazonaws.com:6379 as user app");
        assert.ok(!describeTarget({ seeds, auth: { password: "hunter2" } }).includes("hunter2"));
    });

    it("rejects an unreachable seed after connectTimeoutMs, naming it", async () => {
        const started = Date.now();
        await assert.rejects(connectCluster({ seeds: [{ host: "127.0.0.1", port: 1 }] }, { connectTimeoutMs: 800 }),
            /Could not connect to the cluster at 127\.0\.0\.1:1 without authentication: not ready after 800 ms/);
        assert.ok(Date.now() - started < 2000);
    });
});

/**
 * Another cluster-enabled redis-server on a free port, as a node of another test's cluster is: its
 * config epoch already set, with or without an ACL user of its own. Its own start has the same race
 * as a cluster's (a parallel worker may take the port first): it tries again on another port.
 */
async function foreignNode(dir: string, acl?: { username: string; password: string }, attempts = 3): Promise<{ port: number; pid: number; client: Redis; stop(): void }> {
    try {
        return await startForeignNode(dir, acl);
    } catch (error) {
        if (error instanceof PortTakenError && attempts > 1) {
            return foreignNode(dir, acl, attempts - 1);
        }
        throw error;
    }
}

async function startForeignNode(dir: string, acl?: { username: string; password: string }): Promise<{ port: number; pid: number; client: Redis; stop(): void }> {
    const [port] = await findFreePorts(1);
    const args = ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", dir,
        "--cluster-enabled", "yes", "--cluster-config-file", `foreign-${port}.conf`,
        ...(acl ? ["--user", "default", "off", "--user", acl.username, "on", `>${acl.password}`, "~*", "&*", "+@all"] : [])];
    const server = spawn(await resolveRedisServer("redis-server"), args, { stdio: "ignore" });
    const exited = () => (server.exitCode ?? server.signalCode ?? undefined)?.toString();
    const client = await connectWhenListening(port, acl ?? {}, Date.now() + 10_000, { pid: server.pid as number, exited })
        .catch((error: Error) => {
            server.kill("SIGKILL");
            throw error;
        });
    await client.call("CLUSTER", "SET-CONFIG-EPOCH", "7");
    return { port, pid: server.pid as number, client, stop: () => { client.disconnect(); server.kill("SIGKILL"); } };
}

describe("startLocalCluster when another server takes a port it chose", function () {
    // The ports are chosen free, released, and taken by redis-server a moment later: in that moment a
    // parallel start (another test file's cluster) may take one. Forced here by naming a taken port first.
    this.timeout(30_000);
    let dir: string;
    const stops: (() => unknown)[] = [];

    before(async function () {
        await requireRedisServer(this);
    });

    beforeEach(async () => {
        dir = await fs.mkdtemp(path.join(os.tmpdir(), "foreign-node-"));
    });

    afterEach(async () => {
        await Promise.all(stops.splice(0).map((stop) => stop()));
        await fs.rm(dir, { recursive: true, force: true });
    });

    for (const acl of [undefined, ACL]) {
        it(`starts again on other ports, leaving the other server alone (${acl ? "ACL user: it refuses ours" : "no ACL: it answers as another pid"})`, async () => {
            const foreign = await foreignNode(dir, acl ? { username: "someone-else", password: "their-password" } : undefined);
            stops.push(foreign.stop);
            const chosen: number[][] = [];
            const lines: string[] = [];
            const cluster = await startLocalCluster({ primaries: 1, replicasPerPrimary: 1, acl, log: (line) => lines.push(line) }, {
                findFreePorts: async (count) => {
                    const ports = chosen.length === 0 ? [foreign.port, ...await findFreePorts(count - 1)] : await findFreePorts(count);
                    chosen.push(ports);
                    return ports;
                },
            });
            stops.push(() => cluster.stop());
            assert.equal(chosen.length, 2, "chose ports twice");
            assert.ok(lines.some((line) => line.includes(`port ${foreign.port}`) && /starting again on other ports \(attempt 2 of 3\)/.test(line)), lines.join("\n"));
            const nodes = await cluster.nodes();
            assert.deepEqual(nodes.map((node) => node.port).sort(), [...chosen[1]].sort());
            assert.equal(nodes.filter((node) => node.role === "primary").length, 1);
            // The other server: still running, never met, its epoch as it was.
            assert.equal(isRunning(foreign.pid), true);
            assert.equal(String(await foreign.client.call("CLUSTER", "NODES")).trim().split("\n").length, 1);
            assert.match(String(await foreign.client.call("CLUSTER", "INFO")), /cluster_my_epoch:7\r?\n/);
        });
    }

    it("gives up after three attempts, naming the port and what answered, and leaves no server of its own behind", async () => {
        const foreign = await foreignNode(dir);
        stops.push(foreign.stop);
        const lines: string[] = [];
        const mine: number[] = [];
        await assert.rejects(startLocalCluster({ primaries: 1, replicasPerPrimary: 1, log: (line) => lines.push(line) }, {
            findFreePorts: async (count) => {
                const others = await findFreePorts(count - 1);
                mine.push(...others);
                return [foreign.port, ...others];
            },
        }), new RegExp(`after 3 attempts.*port ${foreign.port}.*pid ${foreign.pid}`, "s"));
        assert.equal(mine.length, 3);
        for (const port of mine) {
            await assert.rejects(rawReply(port, "PING"), { code: "ECONNREFUSED" }, `port ${port} still answers`);
        }
        const clusterDir = / in (\S*local-redis-cluster-\S+)$/m.exec(lines.join("\n"))?.[1];
        assert.ok(clusterDir, lines.join("\n"));
        await assert.rejects(fs.stat(clusterDir), { code: "ENOENT" });
        assert.equal(isRunning(foreign.pid), true);
    });
});
