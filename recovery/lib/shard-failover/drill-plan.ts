/**
 * The read-only half of a failover drill: which shards, whether the TestFailover quota holds all of
 * them (refused up front, never halfway through), and whether each one can fail over now. A drill only
 * measures failovers it starts itself, so a failover already under way refuses it.
 */
import { StackConfig } from "../../../components/config/types";
import { RegionClients } from "../clients";
import { UsageError, flagName } from "../flags";
import { isoTime } from "../printer";
import { Progress } from "../progress";
import { RefusedError } from "../retarget/preflight";
import { StackDriver } from "../stack-driver";
import { readEvents } from "./events";
import { ShardPreflight, preflightShard } from "./preflight";
import { QUOTA_WINDOW_MS, TestFailoverQuota, countQuota, describeQuota, quotaRefusal } from "./quota";
import { readStackConfig } from "../stack-config";
import { SHARD_ID_PATTERN, ShardTarget, configuredShards, resolveShardTarget } from "./target";

const SELECTION = /^(all|\d{4}(,\d{4})*)$/;

/** A malformed --shards is a usage error: nothing is read. */
export function checkShardsFlag(text: string, command: string): void {
    if (!SELECTION.test(text)) {
        throw new UsageError(`${flagName("shards")} ${JSON.stringify(text)} is not valid. Accepted: all, or node group ids of four digits separated by ` +
            "commas, such as 0001,0003.", command);
    }
}

/** The shards `text` names, in the stack's order, each once; refuses ids the stack does not have. */
export function selectShards(text: string, config: StackConfig): string[] {
    const known = configuredShards(config);
    if (text === "all") {
        return known;
    }
    const asked = text.split(",").filter((id) => SHARD_ID_PATTERN.test(id));
    const unknown = asked.filter((id) => !known.includes(id));
    if (unknown.length > 0) {
        throw new RefusedError(`${flagName("shards")} names ${unknown.map((id) => JSON.stringify(id)).join(", ")}, which stack ${config.stack} does not have ` +
            `(config shards is ${config.shards}). Accepted: all, or some of ${known.join(", ")}.`);
    }
    return known.filter((id) => asked.includes(id));
}

export interface DrillTarget {
    config: StackConfig;
    /** Where the drill's failovers happen: the primary region, where the canary's writes go. */
    region: string;
    /** One target per chosen shard, in order. */
    targets: ShardTarget[];
}

/** The stack's configuration, the chosen shards of the primary region's replication group, and where the ids came from. */
export async function readDrillTarget(driver: StackDriver, progress: Progress, shardsText: string): Promise<DrillTarget> {
    return progress.step("stack", `reading and validating the configuration of stack ${driver.stackName}`, async (step) => {
        const { config } = await readStackConfig(driver);
        const shards = selectShards(shardsText, config);
        const region = config.primaryRegion;
        const targets: ShardTarget[] = [];
        for (const shard of shards) {
            const { target, finding } = await resolveShardTarget(driver, config, region, shard);
            if (finding && targets.length === 0) {
                step.found(finding, { level: "warn" });
            }
            targets.push(target);
        }
        step.summarize(`shards ${shards.join(", ")} of ${targets[0].replicationGroupId} in ${region}, the primary region (ids from ${targets[0].idSource})`);
        return { config, region, targets };
    });
}

/**
 * Counts the quota once for every chosen shard, then checks each shard. Throws a RefusedError, with
 * nothing changed, when the shards do not fit in the quota left or one of them cannot fail over.
 */
export async function preflightDrill(drill: DrillTarget, clients: RegionClients, progress: Progress, signal?: AbortSignal): Promise<{ quota: TestFailoverQuota; shards: ShardPreflight[] }> {
    const needed = drill.targets.length;
    const quota = await progress.step("quota", `counting the TestFailover calls of the last 24 hours in ${drill.region}: this drill needs ${needed}`, async (step) => {
        const now = progress.clock.now();
        const counted = countQuota(await readEvents(clients, drill.region, now - QUOTA_WINDOW_MS, signal), now);
        const refusal = quotaRefusal(counted, needed, drill.region);
        if (refusal) {
            throw new RefusedError(`refusing the drill before any failover: ${refusal} Choose fewer shards with ${flagName("shards")}, or run the drill then. ` +
                "Nothing was changed.");
        }
        step.summarize(`${describeQuota(counted)}: room for the ${needed} this drill needs`);
        return counted;
    });
    const shards: ShardPreflight[] = [];
    for (const target of drill.targets) {
        const pre = await preflightShard(target, clients, progress, { quotaNeeded: 0, signal });
        if (pre.underWay) {
            throw new RefusedError(`a TestFailover of shard ${target.nodeGroupId} called at ${isoTime(pre.underWay.called.at)} is still under way: a drill ` +
                "measures only failovers it starts. Nothing was changed. Run the drill again once it has finished (\"Finished recovery for cache nodes\").");
        }
        shards.push(pre);
    }
    return { quota, shards };
}
