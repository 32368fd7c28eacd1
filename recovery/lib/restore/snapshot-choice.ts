/**
 * Which snapshot seeds the new generation: the snapshots of the current primary replication group,
 * the newest whose every node group was captured before --before (or the one --snapshot names), and
 * only if it fits the deployment. The choice and every rejected candidate go into the report.
 */
import { StackConfig } from "../../../components/config/types";
import { RegionClients } from "../clients";
import { Progress } from "../progress";
import { RefusedError } from "../retarget/preflight";
import { StackDriver } from "../stack-driver";
import { NoUsableSnapshotError, chooseSnapshot } from "../snapshots/choose";
import { IncompatibleSnapshotError, assertCompatible } from "../snapshots/compatible";
import { formatInstant, nodeSnapshotTimes } from "../snapshots/describe";
import { listSnapshots } from "../snapshots/list";
import { findSnapshotSource } from "../snapshots/run";

/** No snapshot can be restored (none before --before, a named one that fails a check): nothing was changed. */
export class NoRestorableSnapshotError extends RefusedError {
    constructor(message: string) {
        super(message);
        this.name = "NoRestorableSnapshotError";
    }
}

export interface RestoreSnapshot {
    /** The snapshot's name; AWS keeps it in lowercase. */
    name: string;
    region: string;
    sourceGroupId: string;
    /** The latest node group capture time, epoch ms. */
    recoveryPointAt: number;
    nodeSnapshots: { nodeGroupId: string; createdAt: number }[];
}

export interface ChooseRestoreRequest {
    driver: StackDriver;
    config: StackConfig;
    clients: RegionClients;
    progress: Progress;
    before?: number;
    snapshot?: string;
    signal?: AbortSignal;
}

export async function chooseRestoreSnapshot(req: ChooseRestoreRequest): Promise<RestoreSnapshot> {
    const { progress } = req;
    const source = await findSnapshotSource(req.driver, req.config, req.clients, progress, undefined, req.signal);
    return progress.step("choose-snapshot", `choosing the snapshot of ${source.replicationGroupId} in ${source.region} to restore`, async (step) => {
        const snapshots = await listSnapshots((r) => req.clients.elastiCache(r), source.region, source.replicationGroupId, req.signal);
        step.found(`${snapshots.length} snapshot${snapshots.length === 1 ? "" : "s"} of ${source.replicationGroupId} (automated and manual)`);
        let choice;
        try {
            choice = chooseSnapshot({ snapshots, replicationGroupId: source.replicationGroupId, beforeMs: req.before, name: req.snapshot });
        } catch (e) {
            if (e instanceof NoUsableSnapshotError) {
                throw new NoRestorableSnapshotError(`${e.message}\nNothing was changed.`);
            }
            throw e;
        }
        for (const r of choice.rejected) {
            step.found(`rejected ${r.name}: ${r.reason}`, { level: "info", detail: { rejected: r.name, reason: r.reason } });
        }
        try {
            const fit = assertCompatible(choice.chosen, req.config);
            fit.notes.forEach((n) => step.found(n, { level: "warn" }));
        } catch (e) {
            if (e instanceof IncompatibleSnapshotError) {
                throw new RefusedError(`${e.message}\nNothing was changed.`);
            }
            throw e;
        }
        const name = choice.chosen.SnapshotName!;
        step.found(`chosen: ${name} (${choice.chosen.SnapshotSource ?? "unknown source"}), every node group captured by ${formatInstant(choice.recoveryPoint)}`,
            { detail: { chosen: name, recoveryPoint: formatInstant(choice.recoveryPoint), rejected: choice.rejected } });
        step.summarize(`${name}, recovery point ${formatInstant(choice.recoveryPoint)}`);
        return {
            name, region: source.region, sourceGroupId: source.replicationGroupId, recoveryPointAt: choice.recoveryPoint,
            nodeSnapshots: nodeSnapshotTimes(choice.chosen).map((n) => ({ nodeGroupId: n.nodeGroupId, createdAt: n.at ?? choice.recoveryPoint })),
        };
    });
}
