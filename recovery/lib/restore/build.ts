/**
 * Building a generation: declare it in the stack configuration, let the guarded update create it, and
 * wait until AWS shows it: the founding replication group available (or create-failed) and its
 * datastore available, then, once the secondaries are declared, every member associated.
 */
import { Generation, StackConfig, generationRegions } from "../../../components/config/types";
import { replicationGroupId } from "../../../components/naming";
import { RegionClients } from "../clients";
import { readTargetGroup } from "../retarget/control-plane";
import { Progress } from "../progress";
import { Topology, TopologyError, discoverTopology, idsFromConfig } from "../topology";
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

export interface WaitDeps {
    clients: RegionClients;
    progress: Progress;
    timeoutMs: number;
    signal?: AbortSignal;
    invocation: string;
}

/** Generation `g`'s datastore and members as AWS shows them now, or undefined while it has no datastore. */
export async function generationTopology(config: StackConfig, g: Generation, clients: RegionClients): Promise<Topology | undefined> {
    const ofGeneration = { ...config, generation: g.number };
    try {
        return await discoverTopology({ clientsFor: (r) => clients.elastiCache(r), ids: idsFromConfig(ofGeneration), config: ofGeneration, regionOrder: [g.foundingRegion] });
    } catch (e) {
        if (e instanceof TopologyError) {
            return undefined;
        }
        throw e;
    }
}

/**
 * Waits until generation `g`'s founding replication group, the one created from the snapshot, is
 * available and its datastore exists and is available (`primary-only` while the founder is its only
 * member: DescribeGlobalReplicationGroups' Status), or AWS says create-failed. `pulumi up`
 * normally returns only once they are, so this mostly confirms; it matters when a rerun finds a build
 * still going, and it turns a failed restore into a message that says what to do.
 */
export async function waitForGeneration(config: StackConfig, g: Generation, deps: WaitDeps): Promise<void> {
    const region = g.foundingRegion;
    const id = generationGroupId(config, g, region);
    await deps.progress.step("wait-generation", `waiting for replication group ${id} in ${region} and its datastore to be available`, async (step) => {
        const result = await waitFor({
            waitingFor: `replication group ${id} in ${region} and its datastore to be available`,
            timeoutMs: deps.timeoutMs, signal: deps.signal, clock: deps.progress.clock, emit: step.emit, step: step.name,
            check: async () => {
                const status = await groupStatus(deps.clients, region, id);
                if (status !== "available") {
                    return { state: status, done: false, failed: status === "create-failed" ? "AWS could not create it" : undefined };
                }
                const topology = await generationTopology(config, g, deps.clients);
                const state = topology ? `${id} available, datastore ${topology.globalDatastoreId} ${topology.status}` : `${id} available, no datastore yet`;
                return { state, done: topology?.status === "available" || topology?.status === "primary-only" };
            },
        }).catch((e: unknown) => {
            throw e instanceof Error && /create-failed/.test(e.message) ? buildFailed(config, g, id, deps.invocation) : e;
        });
        step.summarize(`${result.state} (${Math.round(result.elapsedMs / 1000)} s)`);
    });
}

/** Members of `g` that are not associated yet, per region where one is declared; empty when every one is. */
export function missingMembers(config: StackConfig, g: Generation, topology: Topology | undefined): string[] {
    return generationRegions(config, { ...g, founderOnly: false }).filter((region) =>
        !topology?.members.some((m) => m.region === region && m.memberStatus === "associated" && m.replicationGroupStatus !== "creating"));
}

/**
 * Follows generation `g`'s secondaries until every member region has its member associated with the
 * datastore: the cache is fully redundant again. Returns the datastore's id.
 */
export async function waitForMembers(config: StackConfig, g: Generation, deps: WaitDeps): Promise<string> {
    return deps.progress.step("wait-secondaries", `waiting for every member of generation ${g.number} to be associated with its datastore`, async (step) => {
        let datastore = "";
        const result = await waitFor({
            waitingFor: `every member of generation ${g.number} to be associated`,
            timeoutMs: deps.timeoutMs, signal: deps.signal, clock: deps.progress.clock, emit: step.emit, step: step.name,
            check: async () => {
                const topology = await generationTopology(config, g, deps.clients);
                datastore = topology?.globalDatastoreId ?? "";
                const missing = missingMembers(config, g, topology);
                const state = missing.length ? `waiting for ${missing.join(", ")}` : "every member associated";
                return { state, done: missing.length === 0 };
            },
        });
        step.summarize(`${result.state} in datastore ${datastore} (${Math.round(result.elapsedMs / 1000)} s)`);
        return datastore;
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
        "Then restore again, from another snapshot if this one is at fault (--snapshot <name>); the next generation gets a new number.",
    ]);
}

/** A replication group's status, or "not found". */
export async function groupStatus(clients: RegionClients, region: string, id: string): Promise<string> {
    return (await readTargetGroup((r) => clients.elastiCache(r), region, id))?.status ?? "not found";
}
