/**
 * Test-only: runs commands through the CLI entry like harness.ts does, with what a shard failover
 * adds to the context (a data-plane connection, environment variables), and helpers to set the fake
 * control plane's TestFailover history up.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Cluster } from "ioredis";
import { PROJECT_DIR } from "../../../offline/run";
import { main } from "../../../recovery/cli";
import { CommandContext } from "../../../recovery/commands/context";
import { DataPlaneTarget, connectCluster } from "../../../recovery/dataplane/connect";
import { ShardInfo, formatSlots, readShards } from "../../../recovery/dataplane/slots";
import { createRegionClients } from "../../../recovery/lib/clients";
import { Clock, systemClock } from "../../../recovery/lib/clock";
import { ReportDocument } from "../../../recovery/lib/report";
import { StackNotFoundError } from "../../../recovery/lib/stack-driver";
import { LocalCluster } from "../../../recovery/local/cluster";
import { adminClient } from "../../../recovery/local/form";
import { Durations, FakeAws, PROD_SEED, VirtualClock } from "../fake";
import { FakeModel, FakeNodeGroup } from "../fake/model";
import { FakeStackDriver } from "../fake/stack-driver";
import { Captured, Harness, STACK, outputsNameFakeAwsDatastore, refreshReadsFakeAws } from "./harness";

export interface DataPlaneExtras {
    connectDataPlane?: (target: DataPlaneTarget) => Promise<Cluster>;
    env?: Record<string, string | undefined>;
}

/** What runWith needs of a harness: harness.ts's, or wallClockHarness's. */
export type RunTarget = Pick<Harness, "aws" | "driver" | "stdout" | "stderr" | "reportDir" | "confirmIo" | "abort">;

/** harness.run with a data plane and an environment in the context. */
export async function runWith(h: RunTarget, extras: DataPlaneExtras, ...argv: string[]): Promise<number> {
    h.stdout = new Captured();
    h.stderr = new Captured();
    const context = (): CommandContext => ({
        stdout: h.stdout, stderr: h.stderr, clock: h.aws.clock, confirmIo: h.confirmIo,
        clients: createRegionClients(),
        openStack: async (name) => {
            if (name !== STACK) {
                throw new StackNotFoundError(name);
            }
            return h.driver;
        },
        projectDir: PROJECT_DIR, reportDir: h.reportDir, invocation: "npm run recovery --", signal: h.abort.signal,
        ...extras,
    });
    return main(argv, context, { stdout: h.stdout, stderr: h.stderr });
}

/** Node group `shard` of the prod primary's replication group in us-east-1. */
export function nodeGroup(model: FakeModel, shard: string, region = "us-east-1", rgId = "prod-us-east-1"): FakeNodeGroup {
    const group = model.requireReplicationGroup(region, rgId).nodeGroups.find((g) => g.id === shard);
    if (!group) {
        throw new Error(`no node group ${shard} in ${rgId}`);
    }
    return group;
}

/**
 * Records TestFailover calls made `agoMs` before now (one per entry) on another cluster of the same
 * account, the way AWS shows them: a "Test Failover API called" event on that replication group, and a
 * use of the fake's own quota. The quota is the account's, so they count for the stack's groups too.
 */
export function pastTestFailovers(model: FakeModel, agoMs: number[], region = "us-east-1", rgId = "another-cluster"): number[] {
    const now = model.clock.now();
    const instants = agoMs.map((ago) => now - ago).sort((a, b) => a - b);
    instants.forEach((at, i) => model.emit(region, "replication-group", rgId, `Test Failover API called for node group 000${(i % 3) + 1}`, at));
    model.testFailoverCalls.set(region, [...(model.testFailoverCalls.get(region) ?? []), ...instants].sort((a, b) => a - b));
    return instants;
}

/**
 * Fails shard `index` (1-based, in slot order) of a real local cluster over to one of its replicas with
 * CLUSTER FAILOVER, the hand-over a replica runs with a primary that still answers, as TestFailover's
 * promotion is; resolves once the cluster's own view names the replica primary.
 */
export async function failOverLocalShard(local: LocalCluster, index: number, auth: { username: string; password: string }): Promise<{ from: string; to: string }> {
    const client = await connectCluster({ seeds: local.seeds, auth });
    let shard: ShardInfo;
    try {
        const shards = await readShards(client);
        shard = shards[index - 1];
        if (!shard?.replicas.length) {
            throw new Error(`local shard ${index} has no replica to fail over to (shards: ${shards.map((s) => `${s.id} ${formatSlots(s.slots)}`).join(", ")})`);
        }
    } finally {
        client.disconnect();
    }
    const replica = shard.replicas[0];
    const admin = adminClient(replica.port, auth);
    try {
        await admin.connect();
        await admin.call("CLUSTER", "FAILOVER");
    } finally {
        admin.disconnect();
    }
    const deadline = Date.now() + 10_000;
    for (;;) {
        const nodes = await local.nodes();
        if (nodes.find((n) => n.nodeId === replica.nodeId)?.role === "primary" && nodes.find((n) => n.nodeId === shard.primary.nodeId)?.role === "replica") {
            return { from: `${shard.primary.host}:${shard.primary.port}`, to: `${replica.host}:${replica.port}` };
        }
        if (Date.now() > deadline) {
            throw new Error(`CLUSTER FAILOVER on ${replica.port} did not make it primary within 10 s: ${nodes.map((n) => `${n.port} ${n.role}`).join(", ")}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
    }
}

/** Keys matching `pattern` on every primary of a local cluster. */
export async function keysOnPrimaries(local: LocalCluster, pattern: string, auth: { username: string; password: string }): Promise<string[]> {
    const found: string[] = [];
    for (const node of (await local.nodes()).filter((n) => n.role === "primary")) {
        const admin = adminClient(node.port, auth);
        try {
            await admin.connect();
            found.push(...(await admin.keys(pattern)));
        } finally {
            admin.disconnect();
        }
    }
    return found;
}

export interface WallClockHarness extends RunTarget {
    lastReport(): ReportDocument;
    cleanup(): void;
}

/**
 * The wall clock for a fake control plane that may skip ahead: now() is Date.now() plus an offset that
 * only grows, sleeps take real time. A test uses it where AWS would make the drill wait for a moment
 * of AWS's own time (the end of a CloudWatch minute) and the wait itself is not what it checks.
 */
export class SkippingWallClock implements Clock {
    private offsetMs = 0;

    now(): number {
        return Date.now() + this.offsetMs;
    }

    sleep(ms: number, signal?: AbortSignal): Promise<void> {
        return systemClock.sleep(ms, signal);
    }

    /** Moves now() forward to `instant` (epoch ms); an instant already past changes nothing. */
    skipTo(instant: number): void {
        this.offsetMs = Math.max(this.offsetMs, instant - Date.now());
    }
}

/**
 * A harness whose fake control plane runs on the wall clock (or one that skips ahead, see
 * SkippingWallClock), with the TestFailover and promotion durations a test gives: for drills, whose
 * canary measures real time against a real cluster.
 */
export async function wallClockHarness(durations: Partial<Durations>, clock: Clock = systemClock): Promise<WallClockHarness> {
    const aws = FakeAws.seed(PROD_SEED, { clock: clock as unknown as VirtualClock, durations }).install();
    const driver = await FakeStackDriver.create(STACK);
    outputsNameFakeAwsDatastore(aws, driver);
    refreshReadsFakeAws(aws, driver);
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "drill-test-"));
    return {
        aws, driver, reportDir, stdout: new Captured(), stderr: new Captured(), abort: new AbortController(),
        confirmIo: { isTTY: false, ask: async () => { throw new Error("the test did not expect a question"); } },
        lastReport() {
            const files = fs.readdirSync(reportDir).filter((f) => f.endsWith(".json")).sort();
            return JSON.parse(fs.readFileSync(path.join(reportDir, files[files.length - 1]), "utf8")) as ReportDocument;
        },
        cleanup() {
            aws.restore();
            fs.rmSync(reportDir, { recursive: true, force: true });
        },
    };
}
