/** Test-only: the situation every rejoin scenario starts from, on the fake control plane and the fake stack. */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { CreateGlobalReplicationGroupCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { Harness, HarnessOptions, harness, refreshReadsFakeAws } from "./harness";

export const OUTAGE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "outage", "--detach", "--force", "--yes"];
/** Pulumi.prod.yaml configures a Route 53 writer record, which a human confirms before rejoin retires anything. */
export const REJOIN = ["rejoin", "--stack", "prod", "--dns-checked"];
export const SERVING = "prod-us-west-2";
export const OLD_PRIMARY = "prod-us-east-1";
export const MINUTE = 60_000;
export const SHARDS = 3;

export interface Detached {
    h: Harness;
    /** When us-east-1 went down. */
    downAt: number;
    /** When DisassociateGlobalReplicationGroup was called (virtual ms). */
    detachedAt: number;
    /** When us-east-1 answered again. */
    upAt: number;
}

/**
 * us-east-1 goes down, the outage run detaches us-west-2, us-east-1 answers again, ten minutes pass.
 * metrics "published": only us-east-1's API was down, its nodes kept publishing CloudWatch metrics,
 * so the old primary's writes can be counted for every minute; "silent": the whole region was down.
 * `downAfterDetachMs`: how long us-east-1 stays down after the detach. Default 0. `before` sets the
 * scene (lag, writes) before the outage.
 */
export async function detachedThenBack(metrics: "silent" | "published", opts: HarnessOptions = {}, downAfterDetachMs = 0,
    before: (h: Harness) => void = () => undefined): Promise<Detached> {
    const h = await harness(opts);
    refreshReadsFakeAws(h.aws, h.driver);
    before(h);
    const downAt = h.aws.clock.now();
    h.aws.faults.regionDown("us-east-1", { metrics });
    h.aws.clock.advance(5 * MINUTE);
    assert.equal(await h.run(...OUTAGE), 0, h.stderr.text);
    const detachedAt = h.aws.log.calls({ command: "DisassociateGlobalReplicationGroup" })[0].at;
    h.aws.clock.advance(downAfterDetachMs);
    h.aws.faults.regionUp("us-east-1");
    const upAt = h.aws.clock.now();
    h.aws.clock.advance(10 * MINUTE);
    return { h, downAt, detachedAt, upAt };
}

/** Mutating calls that succeeded since the first `n`, as "region Command". */
export function okCallsSince(h: Harness, n: number): string[] {
    return h.aws.mutatingCalls().slice(n).filter((c) => c.outcome === "ok").map((c) => `${c.region} ${c.command}`);
}

/** Every string value anywhere in a call input, to find calls that name a resource. */
export function mentions(input: Record<string, unknown>, id: string): boolean {
    return JSON.stringify(input).includes(`"${id}"`);
}

/** Test-only client for calls the test itself makes to the fake (what a program's update or a human would do). */
export function elastiCache(region: string): ElastiCacheClient {
    return new ElastiCacheClient({ region, credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" } });
}

/** What the program's update starts: a new datastore around the serving cluster (suffix as the program names it). */
export async function createDatastoreAroundServing(suffix = "prod"): Promise<void> {
    await elastiCache("us-west-2").send(new CreateGlobalReplicationGroupCommand({ GlobalReplicationGroupIdSuffix: suffix, PrimaryReplicationGroupId: SERVING }));
}

/** Client writes `perMinute` to every shard primary of the old primary while `when(minute)`. */
export function oldPrimaryWrites(h: Harness, perMinute: number, when: (minuteMs: number) => boolean): void {
    h.aws.setWrites("us-east-1", OLD_PRIMARY, (minute) => (when(minute) ? perMinute : 0));
}

export const iso = (ms: number) => new Date(ms).toISOString();
export const floorMinute = (ms: number) => Math.floor(ms / MINUTE) * MINUTE;
export const ceilMinute = (ms: number) => Math.ceil(ms / MINUTE) * MINUTE;

/** `text` with regular-expression characters escaped. */
export function literal(text: string): RegExp {
    return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** Removes the outage run's reports, as when it ran on another machine. */
export function withoutOutageReports(h: Harness): void {
    for (const name of fs.readdirSync(h.reportDir).filter((n) => n.includes("retarget-primary"))) {
        fs.rmSync(path.join(h.reportDir, name));
    }
}
