import * as assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import calculateSlot = require("cluster-key-slot");
import Redis, { Cluster } from "ioredis";
import { WriteProbe } from "../../recovery/dataplane/probe";
import { hashTagFor } from "../../recovery/dataplane/slots";
import { WriteSample } from "../../recovery/dataplane/timeline";
import { main } from "../../recovery/drill/local-cli";
import { FailoverKind, LocalDrillResult, runLocalDrill } from "../../recovery/drill/local";
import { writeDrillReport } from "../../recovery/drill/report";
import { RecoveryEvent } from "../../recovery/lib/events";
import { leftoverServers } from "../dataplane/leftovers";
import { requireRedisServer } from "../helpers/redis-server";

const NODE_TIMEOUT_MS = 2000;

/**
 * The probe's own write-unavailability window, computed here rather than with measure.ts so the two
 * measurements share nothing: the longest gap between its acknowledgements that ends after `start`.
 */
function probeWindow(samples: readonly WriteSample[], start: number): number {
    const acks = samples.filter((s) => s.ok).map((s) => s.at + (s.latencyMs ?? 0)).sort((a, b) => a - b);
    let longest = 0;
    for (let i = 1; i < acks.length; i++) {
        if (acks[i] > start) {
            longest = Math.max(longest, acks[i] - acks[i - 1]);
        }
    }
    return longest;
}

/** One write-unavailability window as its samples show it: the acknowledgements that bound it and its resolution. */
interface MeasuredGap {
    window: number;
    /**
     * How far the window can be from the real outage by the samples alone. The outage began between
     * the send of the write acknowledged first and the next send after it, and ended between the send
     * before the write acknowledged last and that write's acknowledgement; so the gap is off by at most
     * those two send intervals plus the two writes' round trips. All four are what this run observed:
     * on a busy machine they grow, and so does the resolution.
     */
    resolution: number;
    /** The acknowledgements that bound the gap. */
    from: number;
    to: number;
}

/**
 * When the canary's cluster client first routed the shard's slot to its new primary, as a poll of its
 * slot table saw it, and the poll interval around that moment (how late the poll can have seen it).
 */
interface ClientLearned {
    at: number;
    resolution: number;
}

/** Polls `client.slots[slot]` every few milliseconds until stopped; records when its primary first became `primary`. */
function watchSlotTable(client: Cluster, slot: number, primary: string): { stop: () => ClientLearned | undefined } {
    let previousPoll = Date.now();
    let learned: ClientLearned | undefined;
    const poll = () => {
        const now = Date.now();
        if (learned === undefined && client.slots[slot]?.[0] === primary) {
            learned = { at: now, resolution: now - previousPoll };
        }
        previousPoll = now;
    };
    const timer = setInterval(poll, 2);
    return {
        stop: () => {
            clearInterval(timer);
            poll();
            return learned;
        },
    };
}

/**
 * The gap of `window` ms between two consecutive acknowledgements (in acknowledgement order) that ends
 * after `start`, found among `samples`, with its resolution; undefined when the samples have no such gap.
 */
function gapOf(samples: readonly WriteSample[], start: number, window: number): MeasuredGap | undefined {
    const sent = samples.map((s) => s.at).sort((a, b) => a - b);
    const acks = samples.filter((s) => s.ok).map((s) => ({ sentAt: s.at, ackedAt: s.at + (s.latencyMs ?? 0) })).sort((a, b) => a.ackedAt - b.ackedAt);
    for (let i = 1; i < acks.length; i++) {
        const [first, last] = [acks[i - 1], acks[i]];
        if (last.ackedAt > start && last.ackedAt - first.ackedAt === window) {
            const nextSend = sent.find((t) => t > first.sentAt) ?? first.sentAt;
            const previousSend = [...sent].reverse().find((t) => t < last.sentAt) ?? last.sentAt;
            return {
                window,
                resolution: (nextSend - first.sentAt) + (first.ackedAt - first.sentAt) + (last.sentAt - previousSend) + (last.ackedAt - last.sentAt),
                from: first.ackedAt,
                to: last.ackedAt,
            };
        }
    }
    return undefined;
}

/** The pid of the redis-server on `port` of the loopback, from its own INFO. */
async function serverPid(port: number): Promise<number> {
    const connection = new Redis({ host: "127.0.0.1", port, lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    connection.on("error", () => undefined);
    try {
        await connection.connect();
        const pid = Number(/process_id:(\d+)/.exec(await connection.info("server"))?.[1]);
        assert.ok(pid > 0, `redis-server on ${port} told no process_id`);
        return pid;
    } finally {
        connection.disconnect();
    }
}

function collector(): { write: (text: string) => void; text: () => string } {
    const chunks: string[] = [];
    return { write: (text) => chunks.push(text), text: () => chunks.join("") };
}

describe("local drill, end to end on a real local cluster", function () {
    before(async function () {
        await requireRedisServer(this);
    });
    this.timeout(60_000);
    let result: LocalDrillResult;
    const events: RecoveryEvent[] = [];
    const pids = new Set<number>();
    const probed: ({ kind: FailoverKind; shard: string; clientLearned?: ClientLearned } & MeasuredGap)[] = [];
    let slotTable: ReturnType<typeof watchSlotTable> | undefined;
    let reportDir: string;

    before(async () => {
        reportDir = await fs.mkdtemp(path.join(os.tmpdir(), "drill-local-test-"));
        let probe: WriteProbe | undefined;
        result = await runLocalDrill({
            runs: 1,
            // Twice the default rate: the canary's window is exact to one write period at each end, plus the
            // round trips of the writes that bound it (gapOf); how late its client learns the new primary
            // is watched apart (watchSlotTable).
            ratePerShard: 100,
            // The loss path (kill-unreplicated) has its own test, local-loss.test.ts.
            kinds: ["cluster-failover", "kill"],
            nodeTimeoutMs: NODE_TIMEOUT_MS,
            settleMs: 500,
            emit: (e) => events.push(e),
            observer: {
                // An independent probe of the failed-over shard, straight to its nodes, every 5 ms.
                beforeEvent: async ({ cluster, shard, client }) => {
                    (await cluster.nodes()).forEach((n) => pids.add(n.pid));
                    const key = `probe:${hashTagFor(shard)}`;
                    probe = new WriteProbe({ nodes: [shard.primary, ...shard.replicas], key, maxDurationMs: 30_000 });
                    await probe.start();
                    // One replica per shard: it is the new primary after either kind of failover.
                    slotTable = watchSlotTable(client, calculateSlot(key), `${shard.replicas[0].host}:${shard.replicas[0].port}`);
                    await new Promise((resolve) => setTimeout(resolve, 100));
                },
                afterEvent: async ({ kind, shard }, event) => {
                    const samples = await probe!.stop();
                    const clientLearned = slotTable!.stop();
                    const window = probeWindow(samples, event.startedAt);
                    probed.push({ kind, shard: shard.id, clientLearned, ...(gapOf(samples, event.startedAt, window) ?? { window, resolution: 0, from: 0, to: 0 }) });
                },
            },
        });
    });

    after(async () => {
        // A before hook that failed or skipped may have left no directory; the leftover check still applies.
        if (reportDir) {
            await fs.rm(reportDir, { recursive: true, force: true });
        }
        assert.deepEqual(leftoverServers([...pids]), [], "every redis-server of the drill is stopped");
    });

    it("fails over with CLUSTER FAILOVER, then with a SIGKILL, each on another shard, and measures both", () => {
        const [run] = result.runs;
        assert.deepEqual(run.events.map((e) => [e.kind, e.shard]), [["cluster-failover", "shard-1"], ["kill", "shard-2"]]);
        assert.equal(pids.size, 6);
        const [coordinated, killed] = run.events;

        assert.ok(coordinated.windowMs > 0 && coordinated.windowMs < NODE_TIMEOUT_MS, `CLUSTER FAILOVER window ${coordinated.windowMs} ms`);
        assert.equal(coordinated.lostAckedWrites, 0, "a coordinated failover loses no acknowledged write");
        assert.equal(coordinated.staleReads, 0);

        // A killed primary is only replaced after cluster-node-timeout, so the window cannot be shorter.
        assert.ok(killed.windowMs >= NODE_TIMEOUT_MS && killed.windowMs < 20_000, `kill window ${killed.windowMs} ms`);
        assert.ok(killed.firstFailureAfterStartMs !== null && killed.firstFailureAfterStartMs > 0 && killed.firstFailureAfterStartMs < killed.windowMs, `detected after ${killed.firstFailureAfterStartMs} ms`);
        assert.ok(killed.recoveryAfterStartMs !== null && killed.recoveryAfterStartMs >= NODE_TIMEOUT_MS);
        assert.ok(killed.shards.find((s) => s.shard === "shard-2")!.failedWrites > 0);

        for (const e of run.events) {
            assert.equal(e.recovered, true, `${e.kind} recovered`);
            assert.deepEqual(e.unverified, [], `${e.kind}: every shard was verified`);
        }
        assert.ok(run.totals.writesAcknowledged > 0 && run.totals.writesFailed > 0);
        assert.ok(result.aggregate.kill?.windowMs?.median === killed.windowMs);
        assert.ok(result.cpu && result.cpu.processPercent > 0 && result.cpu.wallMs > 0);
        const teardown = events.find((e) => e.type === "step-finished" && e.step === "run-1-teardown");
        assert.equal(teardown?.type === "step-finished" && teardown.result, "ok");
    });

    it("each failover's step line gives the figures of its result: one measurement, not a second timing", () => {
        for (const e of result.runs[0].events) {
            const line = events.find((x) => x.type === "step-finished" && x.step === `run-1-${e.kind}`);
            assert.ok(line?.type === "step-finished", `a step line for the ${e.kind}`);
            assert.match(line.summary, new RegExp(`^writes unavailable for ${e.windowMs} ms \\(the window a client saw\\); promoted \\(roles settled\\) ` +
                `${e.promotedAfterStartMs} ms after the ${e.kind}; writes acknowledged again ${e.recoveryAfterStartMs} ms after the ${e.kind}`));
        }
    });

    it("agrees with an independent probe on each failover's write-unavailability window, within both measurements' resolution", () => {
        const [run] = result.runs;
        assert.equal(probed.length, run.events.length);
        for (const [index, event] of run.events.entries()) {
            const canaryWindow = event.shards.find((s) => s.shard === event.shard)!.windowMs;
            const canary = gapOf(run.timeline.shards.find((s) => s.shard === event.shard)!.samples, event.startedAt, canaryWindow);
            assert.ok(canary, `${event.kind}: the canary's ${canaryWindow} ms window is a gap between two of its own acknowledgements`);
            const probe = probed[index];
            assert.ok(probe.window > 0, `the probe saw the ${event.kind}`);
            assert.ok(probe.clientLearned, `${event.kind}: the canary's client routed the slot to the new primary before the event ended`);
            const tolerance = canary.resolution + probe.resolution;
            const figures = `canary ${canaryWindow} ms (resolution ${canary.resolution} ms), probe ${probe.window} ms (resolution ${probe.resolution} ms), ` +
                `client routed to the new primary ${probe.clientLearned.at - probe.to} ms after the probe's first write there (poll resolution ${probe.clientLearned.resolution} ms)`;
            // A client cannot see the shard back before the server takes writes: never much shorter than the probe's.
            assert.ok(canaryWindow >= probe.window - tolerance, `${event.kind}: ${figures}`);
            // The probe writes to the nodes themselves; the canary's client writes where its slot table
            // says, so its window ends when both the server takes writes and the client has learned where.
            const expected = Math.max(probe.to, probe.clientLearned.at) - probe.from;
            assert.ok(canaryWindow <= expected + tolerance + probe.clientLearned.resolution, `${event.kind}: ${figures}`);
        }
    });

    it("writes the JSON and Markdown report with the SVG timeline beside it, embedded", async () => {
        const files = await writeDrillReport(result, reportDir);
        assert.deepEqual(files.svgs.map((f) => path.basename(f)), [path.basename(files.markdown).replace(/\.md$/, ".svg")]);
        assert.match(path.basename(files.markdown), /^\d{8}T\d{6}\.\d{3}Z-drill-local\.md$/);
        const markdown = await fs.readFile(files.markdown, "utf8");
        assert.ok(markdown.includes(`![write availability per shard](${path.basename(files.svgs[0])})`), "the Markdown embeds the SVG by its file name");
        assert.match(markdown, /\| cluster-failover \| 1 \|/);
        assert.match(markdown, /\| kill \| 1 \|/);
        const svg = await fs.readFile(files.svgs[0], "utf8");
        assert.match(svg, /^<svg[\s\S]*<\/svg>\s*$/);
        const json = JSON.parse(await fs.readFile(files.json, "utf8"));
        assert.deepEqual(json.runs[0].events.map((e: { kind: string }) => e.kind), ["cluster-failover", "kill"]);
        assert.equal(json.settings.ratePerShard, 100);
    });
});

describe("local drill: interrupted", function () {
    this.timeout(60_000);
    before(async function () {
        await requireRedisServer(this);
    });

    it("stops the canary and the cluster when aborted mid-drill, and rejects with the reason", async () => {
        const controller = new AbortController();
        const pids: number[] = [];
        const drill = runLocalDrill({
            kinds: ["kill"],
            signal: controller.signal,
            observer: {
                beforeEvent: async ({ cluster }) => {
                    pids.push(...(await cluster.nodes()).map((n) => n.pid));
                    controller.abort(new Error("operator pressed Ctrl-C"));
                },
            },
        });
        await assert.rejects(drill, /operator pressed Ctrl-C/);
        assert.equal(pids.length, 6);
        assert.deepEqual(leftoverServers(pids), []);
    });

    it("npm run drill:local exits 130 on SIGINT, after stopping every redis-server it started", async () => {
        const child = spawn(process.execPath, ["-r", path.join(__dirname, "../../scripts/transpile.js"), path.join(__dirname, "../../recovery/drill/local-cli.ts")],
            { cwd: path.join(__dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] });
        let output = "";
        let ports: number[] = [];
        const started = new Promise<void>((resolve) => {
            child.stdout.on("data", (chunk: Buffer) => {
                output += chunk.toString();
                const match = /starting \d+ redis-server on \S+ ports ([\d, ]+)/.exec(output);
                if (match && ports.length === 0) {
                    ports = match[1].split(",").map((p) => Number(p.trim()));
                }
                if (/\[run-1-warm-up\] started/.test(output)) {
                    resolve();
                }
            });
        });
        child.stderr.on("data", (chunk: Buffer) => {
            output += chunk.toString();
        });
        const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
        await Promise.race([started, exited]);
        assert.equal(ports.length, 6, output);
        // The servers are the child's; each one tells its own pid.
        const pids = await Promise.all(ports.map(serverPid));
        child.kill("SIGINT");
        assert.equal(await exited, 130, output);
        assert.match(output, /Interrupted: stopping the canary and the local cluster/);
        assert.deepEqual(leftoverServers(pids), [], "no server of the drill is left");
    });

    it("rejects bad flags with exit code 2, naming the flag, the value and what is accepted, before starting anything", async () => {
        const cases: [string[], RegExp][] = [
            [["--runs", "0"], /--runs "0" is not valid\. Accepted: a number from 1 to 100 \(runs\)/],
            [["--runs", "2.5"], /--runs "2\.5" is not valid\. Accepted: a whole number from 1 to 100/],
            [["--rate", "fast"], /--rate "fast" is not valid\. Accepted: a number from 1 to 1000 \(writes per second per shard\)/],
            [["--kinds", "kill,reboot"], /--kinds "kill,reboot" is not valid \("reboot" unknown\)\. Accepted: a comma-separated list of cluster-failover, kill/],
            [["--kinds", "kill,kill"], /--kinds "kill,kill" is not valid \(a kind repeats\)/],
            [["--region", "x"], /unknown flag --region for drill:local\. Accepted: --runs, --rate, --kinds/],
        ];
        for (const [argv, message] of cases) {
            const stdout = collector();
            const stderr = collector();
            assert.equal(await main(argv, { stdout, stderr, onInterrupt: () => () => undefined }), 2, argv.join(" "));
            assert.match(stderr.text(), message);
            assert.equal(stdout.text(), "", "nothing ran");
        }
        const help = collector();
        assert.equal(await main(["--help"], { stdout: help, stderr: collector() }), 0);
        assert.match(help.text(), /--kinds <kinds>\s+Failovers per run/);
    });
});
