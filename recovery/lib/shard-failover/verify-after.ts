/**
 * The data-plane half of failover-shard's verdict (the "verify-writes" step): after the failover, every
 * shard must take a write (a member that takes writes) or answer a read (a read-only Global Datastore
 * secondary), and the data plane names the failed-over shard's primary when AWS's events do not.
 */
import { Progress, StepContext } from "../progress";
import { FailoverProgress } from "./events";
import { MemberRole, describeRole } from "./member-role";
import { ShardPreflight } from "./preflight";
import { ShardState, middleSlot } from "./shard";
import { ShardTarget } from "./target";
import { DataPlaneAccess, WriteCheck, describeCheck, verifyReadsPerShard, verifyWritesPerShard } from "./verify-writes";

type Endpoint = { host: string; port: number };

export type Verified =
    | { ok: true; detail: string; /** The failed-over shard's primary as the data plane names it ("host:port"). */ targetPrimary?: string }
    | { ok: false; why: string };

/** Only a member known to be read-only is spared the write: an unknown role is written to, and says so. */
function readOnly(role: MemberRole): boolean {
    return role.role === "SECONDARY";
}

/** The plan's line about the check after the failover. */
export function verificationPlan(access: DataPlaneAccess, endpoint: Endpoint | undefined, role: MemberRole, target: ShardTarget): string {
    const what = readOnly(role) ? "reads" : "writes";
    if (!access.available) {
        return `${what} will NOT be verified: ${access.why}`;
    }
    if (!endpoint) {
        return `${what} will NOT be verified: neither the stack outputs nor AWS give the group's configuration endpoint`;
    }
    return readOnly(role)
        ? `read one key per shard through ${access.describe(endpoint)}; writes are not verified: ${describeRole(target, role)}`
        : `write and read back one key per shard through ${access.describe(endpoint)}`;
}

export interface DataPlaneCheck {
    target: ShardTarget;
    pre: ShardPreflight;
    access: DataPlaneAccess;
    endpoint: Endpoint | undefined;
    role: MemberRole;
}

export async function verifyDataPlane(check: DataPlaneCheck, deps: { progress: Progress; signal?: AbortSignal }): Promise<Verified> {
    const { access, endpoint, role } = check;
    const kind = readOnly(role) ? "read" : "write";
    const doing = kind === "read"
        ? "verifying reads through the data plane: one read per shard (the group is a read-only secondary: writes are not verified)"
        : "verifying writes through the data plane: one write and read back per shard";
    return deps.progress.step("verify-writes", doing, async (step) => {
        const notVerified = (why: string): Verified => {
            step.found(`${kind}s not verified: ${why}`, { level: "warn" });
            step.summarize(`${kind}s not verified: ${why}`);
            return { ok: false, why };
        };
        if (!access.available) {
            return notVerified(access.why);
        }
        if (!endpoint) {
            return notVerified("neither the stack outputs nor AWS give the group's configuration endpoint");
        }
        let cluster;
        try {
            cluster = await access.connect(endpoint);
        } catch (e) {
            return notVerified(`could not connect to ${access.describe(endpoint)}: ${(e as Error).message}`);
        }
        try {
            const options = { clock: deps.progress.clock, targetSlot: middleSlot(check.pre.shard.slots), signal: deps.signal };
            const checks = kind === "read" ? await verifyReadsPerShard(cluster, options) : await verifyWritesPerShard(cluster, options);
            return judge(step, checks, kind, check);
        } finally {
            cluster.disconnect();
        }
    });
}

function judge(step: StepContext, checks: WriteCheck[], kind: "read" | "write", check: DataPlaneCheck): Verified {
    const { target, role } = check;
    checks.forEach((c) => step.found(describeCheck(c), { level: c.ok ? "info" : "error" }));
    const failed = checks.filter((c) => !c.ok);
    if (failed.length > 0) {
        const consequence = kind === "read" ? "Clients cannot read those slots" : "Clients cannot write to those slots";
        throw new Error(`${kind}s FAILED through the data plane on ${failed.map((c) => c.shard).join(", ")} after the failover of shard ` +
            `${target.nodeGroupId}: ${describeCheck(failed[0])}. ${consequence}: check the shard's nodes, the events and CloudWatch.`);
    }
    const targetCheck = checks.find((c) => c.isTarget);
    const covered = targetCheck ? ", including the failed-over shard" : "";
    const detail = kind === "read"
        ? `reads verified through the data plane on every shard (${checks.length}${covered}); writes not verified: ${describeRole(target, role)}`
        : `writes verified through the data plane on every shard (${checks.length}${covered})`;
    step.summarize(detail);
    return { ok: true, detail, ...(targetCheck ? { targetPrimary: targetCheck.primary } : {}) };
}

/**
 * The failed-over shard's new primary, in words: from AWS's event when one names it, otherwise as the
 * data plane (CLUSTER SHARDS) reports it, by cache cluster id when its host name starts with one of the
 * shard's nodes, or else unknown, with why.
 */
export function describeNewPrimary(failover: FailoverProgress, verified: Verified, shard: ShardState): string {
    if (failover.newPrimary !== undefined) {
        return `new primary ${failover.newPrimary}, from AWS's event`;
    }
    if (verified.ok && verified.targetPrimary !== undefined) {
        const host = verified.targetPrimary.replace(/:\d+$/, "");
        const node = shard.nodes.find((n) => host === n.cacheClusterId || host.startsWith(`${n.cacheClusterId}.`));
        return `new primary ${node ? `${node.cacheClusterId} (${verified.targetPrimary})` : verified.targetPrimary}, from the data plane (CLUSTER SHARDS)`;
    }
    return `new primary unknown: AWS's events do not name it, and the data plane ${verified.ok ? "did not report the shard" : `was not read (${verified.why})`}`;
}
