/**
 * The TestFailover quota: AWS lets a customer test failover on at most 15 node groups in any rolling
 * 24 hours (API reference, TestFailover). AWS offers no call that says how much is left, so it is
 * counted from the region's "Test Failover API called for node group ..." events of the last 24 hours,
 * on every replication group: the quota is the account's, not the cluster's. Calls made in other
 * regions are not seen here; when AWS counts them too, the call is refused with
 * TestFailoverNotAvailableFault and the run says so.
 */
import { Event } from "@aws-sdk/client-elasticache";
import { isoTime } from "../printer";
import { parseFailoverEvent } from "./events";

export const TEST_FAILOVER_QUOTA = 15;
export const QUOTA_WINDOW_MS = 24 * 60 * 60 * 1000;

export interface QuotaCall {
    at: number;
    replicationGroupId: string;
    nodeGroupId: string;
}

export interface TestFailoverQuota {
    limit: number;
    /** Calls in the window, oldest first. */
    calls: QuotaCall[];
    used: number;
    remaining: number;
    /** When the count was taken, epoch ms. */
    at: number;
}

/** Counts the TestFailover calls among `events` that fall in the 24 hours before `nowMs`. */
export function countQuota(events: readonly Event[], nowMs: number, limit: number = TEST_FAILOVER_QUOTA): TestFailoverQuota {
    const calls = events.flatMap((e) => {
        const parsed = parseFailoverEvent(e);
        return parsed?.kind === "called" && parsed.at > nowMs - QUOTA_WINDOW_MS && parsed.at <= nowMs
            ? [{ at: parsed.at, replicationGroupId: parsed.source, nodeGroupId: parsed.nodeGroupId ?? "" }] : [];
    }).sort((a, b) => a.at - b.at);
    return { limit, calls, used: calls.length, remaining: Math.max(0, limit - calls.length), at: nowMs };
}

/**
 * The earliest instant at which `needed` more calls fit in the window: now when they fit already,
 * otherwise when enough of the oldest calls have left it.
 */
export function availableAt(quota: TestFailoverQuota, needed: number): number {
    const mustExpire = quota.used + needed - quota.limit;
    if (mustExpire <= 0) {
        return quota.at;
    }
    if (needed > quota.limit) {
        return Infinity;
    }
    return quota.calls[mustExpire - 1].at + QUOTA_WINDOW_MS;
}

/** "3 of 15 used in the last 24 h (12 left)". */
export function describeQuota(quota: TestFailoverQuota): string {
    return `${quota.used} of ${quota.limit} TestFailover node groups used in the last 24 h (${quota.remaining} left)`;
}

/**
 * Why `needed` failovers cannot run now, naming the calls that use the quota and when enough of it is
 * free again; undefined when they fit.
 */
export function quotaRefusal(quota: TestFailoverQuota, needed: number, region: string): string | undefined {
    if (needed <= quota.remaining) {
        return undefined;
    }
    const when = availableAt(quota, needed);
    const recent = quota.calls.slice(-5).map((c) => `${c.replicationGroupId}/${c.nodeGroupId} at ${isoTime(c.at)}`).join(", ");
    const wanted = needed === 1 ? "another TestFailover" : `${needed} TestFailover calls`;
    return `the TestFailover quota in ${region} is used up for ${wanted}: ${describeQuota(quota)}, counted from the ` +
        `"Test Failover API called" events (latest: ${recent}). ` +
        (!Number.isFinite(when) ? `AWS never allows ${needed} in 24 hours: choose at most ${quota.limit}.`
            : needed === 1 ? `The next one is allowed at ${isoTime(when)}.` : `${needed} fit in the quota again from ${isoTime(when)}.`);
}
