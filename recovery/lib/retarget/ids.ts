/**
 * Which datastore and replication groups retarget-primary looks for. The stack outputs record what the
 * last deployment created, so they come first when the stack answers; the configuration gives, through
 * components/naming.ts, the ids the program derives, and is all there is when the stack is out of
 * reach. When both are known they are tried in that order and the control plane decides: the first
 * whose datastore a region shows is the one used, and any disagreement is said out loud.
 */
import { StackConfig } from "../../../components/config/types";
import { Clock, systemClock } from "../clock";
import { Level } from "../events";
import { withinTimeout } from "./deadline";
import { firstLine } from "../progress";
import { stackUnavailability } from "../stack-file";
import { StackDriver } from "../stack-driver";
import { DiscoverOptions, ExpectedIds, Topology, TopologyError, discoverTopology, idDisagreements, idsFromConfig, idsFromOutputs } from "../topology";

export interface Finding {
    level: Level;
    what: string;
}

export interface IdCandidates {
    /** In the order to try; never empty. */
    candidates: ExpectedIds[];
    findings: Finding[];
}

export const SOURCE_NAME: Record<ExpectedIds["source"], string> = { outputs: "the stack outputs", config: "the configuration" };

function describeIds(ids: ExpectedIds): string {
    const datastore = ids.globalDatastoreId ?? `a datastore whose id ends with -${ids.suffix}`;
    return `${datastore}, members ${Object.entries(ids.replicationGroupIds).map(([region, id]) => `${id} (${region})`).join(", ")}`;
}

export interface OutputsDeadline {
    /** How long reading the outputs may take before the configuration's ids are used instead. Default: unbounded. */
    timeoutMs?: number;
    /** Measures the timeout. Default: the system clock. */
    clock?: Clock;
    signal?: AbortSignal;
}

/** The ids to look for, outputs first when the stack answers, with what the operator should know about them. */
export async function idCandidates(driver: StackDriver, config: StackConfig, deadline: OutputsDeadline = {}): Promise<IdCandidates> {
    const fromConfig = idsFromConfig(config);
    const unavailable = stackUnavailability(driver);
    if (unavailable) {
        return { candidates: [fromConfig], findings: [{ level: "info", what: `looking for the ids the configuration derives (${describeIds(fromConfig)}): ` +
            "the stack outputs are out of reach with the stack" }] };
    }
    let fromOutputs: ExpectedIds | undefined;
    try {
        const outputs = deadline.timeoutMs === undefined ? driver.outputs()
            : withinTimeout(driver.outputs(), deadline.timeoutMs, deadline.clock ?? systemClock, `reading the outputs of stack ${driver.stackName}`, deadline.signal);
        fromOutputs = idsFromOutputs(await outputs);
    } catch (e) {
        return { candidates: [fromConfig], findings: [{ level: "warn", what: `the stack outputs could not be read (${firstLine(e)}); ` +
            `looking for the ids the configuration derives instead: ${describeIds(fromConfig)}` }] };
    }
    if (!fromOutputs) {
        return { candidates: [fromConfig], findings: [{ level: "warn", what: "the stack outputs have no globalDatastoreId and regions; " +
            `looking for the ids the configuration derives instead: ${describeIds(fromConfig)}` }] };
    }
    const disagreements = idDisagreements(fromOutputs, fromConfig);
    return {
        candidates: [fromOutputs, fromConfig],
        findings: [disagreements.length === 0
            ? { level: "info", what: `looking for the ids in the stack outputs (${describeIds(fromOutputs)}), which the configuration derives too` }
            : { level: "warn", what: `the stack outputs and the configuration disagree: ${disagreements.join("; ")}. Looking for what the outputs ` +
                "name first, then for what the configuration derives; the one the control plane shows is used" }],
    };
}

export interface Discovered {
    topology?: Topology;
    /** Why no datastore was found, when none was. */
    notFound?: TopologyError;
    findings: Finding[];
}

/**
 * Discovers the topology with each candidate in turn until a region shows its datastore. Only a
 * TopologyError (nothing found) moves on to the next candidate; anything else stops the run.
 */
export async function discoverWithCandidates(candidates: readonly ExpectedIds[], opts: Omit<DiscoverOptions, "ids" | "driver" | "config">): Promise<Discovered> {
    const misses: TopologyError[] = [];
    for (const ids of candidates) {
        try {
            const topology = await discoverTopology({ ...opts, ids });
            const findings: Finding[] = misses.length === 0 ? [] : [{ level: "warn", what: `the control plane does not show what ` +
                `${SOURCE_NAME[candidates[0].source]} name (${misses.map((m) => m.message).join(" ")}); it shows ${topology.globalDatastoreId} ` +
                `with the ids ${SOURCE_NAME[ids.source]} give, so those are used. Reconciling the stack brings its outputs in line.` }];
            return { topology, findings };
        } catch (e) {
            if (!(e instanceof TopologyError)) {
                throw e;
            }
            misses.push(e);
        }
    }
    return { notFound: misses.length === 1 ? misses[0] : new TopologyError(misses.map((m) => m.message).join(" Then: ")), findings: [] };
}
