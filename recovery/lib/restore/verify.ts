/**
 * Verification of a restored generation through the data plane, before any cutover: every shard
 * answers, each holds about the keys the snapshot should hold, and the recovery-point markers tell the
 * real data loss. A failure stops the restore with the evidence; generation N-1 keeps serving.
 */
import type { Cluster } from "ioredis";
import { DataPlaneTarget } from "../../dataplane/connect";
import { readMarkers } from "../../dataplane/marker";
import { RestoreEvidence, verifyRestoredData } from "../../dataplane/verify";
import { StackConfig } from "../../../components/config/types";
import { StepContext } from "../progress";
import { ExpectedKeys } from "./expected-keys";

export class VerificationFailedError extends Error {
    constructor(message: string, readonly evidence: RestoreEvidence, readonly nextSteps: string[]) {
        super(message);
        this.name = "VerificationFailedError";
    }
}

export interface VerifyRequest {
    target: DataPlaneTarget;
    connect: (target: DataPlaneTarget) => Promise<Cluster>;
    expected: ExpectedKeys;
    /** --expected-keys: overrides the CloudWatch figure. */
    expectedKeysFlag?: number;
    tolerancePercent: number;
    /** Markers older than this (epoch ms) are stale: the restored data is older than the snapshot says. */
    markerNotBefore: number;
    deadlineMs: number;
    nextStepsOnFailure: string[];
}

export async function verifyGeneration(req: VerifyRequest, step: StepContext): Promise<RestoreEvidence> {
    const totalKeys = req.expectedKeysFlag ?? req.expected.total;
    if (totalKeys === undefined) {
        throw new VerificationFailedError("cannot tell how many keys the restored cluster should hold: " +
            `${req.expected.source} has no datapoint for shard${req.expected.perShard.filter((s) => s.keys === undefined).length === 1 ? "" : "s"} ` +
            `${req.expected.perShard.filter((s) => s.keys === undefined).map((s) => s.shard).join(", ")}. Nothing was cut over.`,
        { ok: false, shards: [], problems: ["expected key count unknown"], elapsedMs: 0 },
        ["Give the expected number of keys with --expected-keys <n> (for example from your own monitoring at the snapshot's time), then run the same command again."]);
    }
    step.found(`expecting about ${totalKeys} keys in all (${req.expectedKeysFlag !== undefined ? "--expected-keys" : req.expected.source}), ` +
        `within ${req.tolerancePercent}% per shard`);
    const cluster = await req.connect(req.target);
    try {
        // Markers exist only where drills or a heartbeat write them; when some shard has one, every shard must, and none may be stale.
        const markers = await readMarkers(cluster, { timeoutMs: 5000 });
        const useMarkers = markers.some((m) => m.marker !== undefined && m.marker !== "missing");
        for (const m of markers.filter((x) => x.problem)) {
            step.found(`recovery-point marker ${m.key} could not be read: ${m.problem}`, { level: "warn" });
        }
        step.found(useMarkers ? "recovery-point markers found: each shard's must be recent" : "no recovery-point marker in the restored data: the data loss is judged from the snapshot's time only");
        const evidence = await verifyRestoredData(cluster, {
            totalKeys, tolerancePercent: req.tolerancePercent, deadlineMs: req.deadlineMs,
            ...(useMarkers ? { markerNotBefore: req.markerNotBefore } : {}),
        });
        for (const shard of evidence.shards) {
            step.found(`shard ${shard.id}: ${shard.answered ? `${shard.keys} keys` : "did not answer"}` +
                `${shard.expected !== undefined ? ` (expected about ${shard.expected})` : ""}` +
                `${shard.marker === "missing" || shard.marker === undefined ? ", no recovery-point marker" : `, marker written ${shard.marker.at}`}` +
                `${shard.problem ? `: ${shard.problem}` : ""}`, { level: shard.problem ? "error" : "info" });
        }
        if (!evidence.ok) {
            throw new VerificationFailedError(`the restored data failed verification, so nothing was cut over:\n${evidence.problems.map((p) => `  - ${p}`).join("\n")}`,
                evidence, req.nextStepsOnFailure);
        }
        return evidence;
    } finally {
        cluster.disconnect();
    }
}

/** The stack's first password user: whom verification logs in as unless --redis-user says otherwise. */
export function defaultUser(config: StackConfig): string | undefined {
    return config.auth.mode === "rbac" ? config.auth.users.find((u) => u.authentication === "password")?.name : undefined;
}
