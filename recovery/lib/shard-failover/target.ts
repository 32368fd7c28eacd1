/**
 * Which replication group and shard a failover is about, from the stack: the region must be one of the
 * stack's members and the shard one of its configured node groups, checked before AWS is asked
 * anything. The group's id comes from the stack outputs when they can be read, otherwise from the
 * configuration through the program's own naming.
 */
import { StackConfig, memberRegions } from "../../../components/config/types";
import { shardId } from "../../../components/naming";
import { firstLine } from "../progress";
import { stackUnavailability } from "../stack-file";
import { StackDriver, StackOutputs } from "../stack-driver";
import { idsFromConfig, idsFromOutputs } from "../topology";

/** A node group id as ElastiCache numbers them: four digits. */
export const SHARD_ID_PATTERN = /^\d{4}$/;

export interface ShardTarget {
    region: string;
    replicationGroupId: string;
    nodeGroupId: string;
    /** Where the replication group id came from, for the report. */
    idSource: string;
    /** The stack output regions.<region>.configurationEndpoint and port, when the outputs have them. */
    outputEndpoint?: { host: string; port: number };
}

/** The shard ids the configuration declares: "0001" to "000<shards>". */
export function configuredShards(config: Pick<StackConfig, "shards">): string[] {
    return Array.from({ length: config.shards }, (_, i) => shardId(i + 1));
}

/** Why `region` and `shard` do not name a shard of the stack, naming the flag and what is accepted; undefined when they do. */
export function checkShardRequest(config: StackConfig, region: string, shard: string, flags = { region: "--region", shard: "--shard" }): string | undefined {
    const regions = memberRegions(config);
    if (!regions.includes(region)) {
        return `${flags.region} ${JSON.stringify(region)} is not a region of stack ${config.stack}. Accepted: ${regions.join(", ")}.`;
    }
    const shards = configuredShards(config);
    if (!shards.includes(shard)) {
        return `${flags.shard} ${JSON.stringify(shard)} is not a shard of stack ${config.stack}, which has ${config.shards} (config shards). ` +
            `Accepted: ${shards.join(", ")}.`;
    }
    return undefined;
}

function endpointFromOutputs(outputs: StackOutputs, region: string): ShardTarget["outputEndpoint"] {
    const entry = (outputs.regions?.value as Record<string, { configurationEndpoint?: unknown; port?: unknown }> | undefined)?.[region];
    const host = entry?.configurationEndpoint;
    const port = Number(entry?.port);
    return typeof host === "string" && host !== "" && Number.isInteger(port) && port > 0 ? { host, port } : undefined;
}

export interface ResolvedTarget {
    target: ShardTarget;
    /** Something the operator should know about where the ids came from. */
    finding?: string;
}

/** The replication group of `region` and the shard, outputs first; `shard` must have passed checkShardRequest. */
export async function resolveShardTarget(driver: StackDriver, config: StackConfig, region: string, shard: string): Promise<ResolvedTarget> {
    const fromConfig = idsFromConfig(config).replicationGroupIds[region];
    const configTarget = (finding: string): ResolvedTarget => ({
        target: { region, replicationGroupId: fromConfig, nodeGroupId: shard, idSource: "the configuration (components/naming.ts)" }, finding,
    });
    const unavailable = stackUnavailability(driver);
    if (unavailable) {
        return configTarget(`the stack outputs are out of reach with the stack; using the replication group id the configuration derives: ${fromConfig}`);
    }
    let outputs: StackOutputs;
    try {
        outputs = await driver.outputs();
    } catch (e) {
        return configTarget(`the stack outputs could not be read (${firstLine(e)}); using the replication group id the configuration derives: ${fromConfig}`);
    }
    const fromOutputs = idsFromOutputs(outputs)?.replicationGroupIds[region];
    if (!fromOutputs) {
        return configTarget(`the stack outputs name no replication group in ${region}; using the id the configuration derives: ${fromConfig}`);
    }
    return {
        target: { region, replicationGroupId: fromOutputs, nodeGroupId: shard, idSource: "the stack outputs", outputEndpoint: endpointFromOutputs(outputs, region) },
        finding: fromOutputs !== fromConfig
            ? `the stack outputs name ${fromOutputs} in ${region}, the configuration derives ${fromConfig}: using the outputs (what the last deployment created)`
            : undefined,
    };
}
