/**
 * Building a generation: declare it in the stack configuration, let the guarded update create it, and
 * wait until AWS says each of its replication groups is available (or that creating one failed).
 */
import { Generation, StackConfig } from "../../../components/config/types";
import { replicationGroupId } from "../../../components/naming";
import { RegionClients } from "../clients";
import { readTargetGroup } from "../retarget/control-plane";
import { Progress } from "../progress";
import { waitFor } from "../wait";

/** Thrown when AWS reports a generation's replication group as create-failed: nothing was cut over. */
export class GenerationBuildFailedError extends Error {
    constructor(message: string, readonly nextSteps: string[]) {
        super(message);
        this.name = "GenerationBuildFailedError";
    }
}

/** The replication group id of generation `g` in `region`. */
export function generationGroupId(config: StackConfig, g: Pick<Generation, "number">, region: string): string {
    return replicationGroupId({ ...config, generation: g.number }, region);
}

/**
 * Waits until generation `g`'s founding replication group, the one created from the snapshot, is
 * available, or says create-failed. `pulumi up` normally returns only once every member is created
 * and joined, so this mostly confirms; it matters when a rerun finds a build still going, and it turns
 * a failed restore into a message that says what to do.
 */
export async function waitForGeneration(config: StackConfig, g: Generation, deps: {
    clients: RegionClients; progress: Progress; timeoutMs: number; signal?: AbortSignal; invocation: string;
}): Promise<void> {
    const region = g.foundingRegion;
    const id = generationGroupId(config, g, region);
    await deps.progress.step("wait-generation", `waiting for replication group ${id} in ${region} to be available`, async (step) => {
            const result = await waitFor({
                waitingFor: `replication group ${id} in ${region} to be available`,
                timeoutMs: deps.timeoutMs, signal: deps.signal, clock: deps.progress.clock, emit: step.emit, step: step.name,
                check: async () => {
                    const status = await groupStatus(deps.clients, region, id);
                    return { state: status, done: status === "available", failed: status === "create-failed" ? "AWS could not create it" : undefined };
                },
            }).catch((e: unknown) => {
                throw e instanceof Error && /create-failed/.test(e.message) ? buildFailed(config, g, id, deps.invocation) : e;
            });
            step.summarize(`${id} is available (${Math.round(result.elapsedMs / 1000)} s)`);
    });
}

/** Throws GenerationBuildFailedError when AWS reports generation `g`'s founding group as create-failed. */
export async function refuseFailedBuild(config: StackConfig, g: Generation, deps: { clients: RegionClients; invocation: string }): Promise<void> {
    const id = generationGroupId(config, g, g.foundingRegion);
    if (await groupStatus(deps.clients, g.foundingRegion, id) === "create-failed") {
        throw buildFailed(config, g, id, deps.invocation);
    }
}

function buildFailed(config: StackConfig, g: Generation, id: string, invocation: string): GenerationBuildFailedError {
    const region = g.foundingRegion;
    return new GenerationBuildFailedError(`replication group ${id} of generation ${g.number} in ${region} is create-failed ` +
        `(created from snapshot ${g.seedSnapshot ?? "none"}). Nothing was cut over: generation ${config.generation} still serves.`, [
        `Read the replication group's events: aws elasticache describe-events --region ${region} --source-type replication-group --source-identifier ${id}`,
        `Remove the failed generation: ${invocation} retire-generation --stack ${config.stack} --generation ${g.number} --yes`,
        "Then restore again, from another snapshot if this one is at fault (--snapshot <name>).",
    ]);
}

/** A replication group's status, or "not found". */
export async function groupStatus(clients: RegionClients, region: string, id: string): Promise<string> {
    return (await readTargetGroup((r) => clients.elastiCache(r), region, id))?.status ?? "not found";
}
