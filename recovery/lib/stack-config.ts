/**
 * The stack configuration as the program understands it. Recovery reads the configuration through
 * the stack driver and validates it with the program's own validator, so regions, roles and names
 * mean exactly what they mean to the program; it computes the only configuration changes a promotion
 * may make and writes them in one go; and it recognises the one invalid configuration a recovery
 * itself can leave behind (a retarget whose keys were written one by one and interrupted between
 * them), so a rerun can finish it instead of failing validation forever.
 */
import { NAMESPACE, fullKey } from "../../components/config/keys";
import { StackConfig, memberRegions } from "../../components/config/types";
import { ConfigError, RawConfig, validateConfig } from "../../components/config/validate";
import { shellQuote } from "./flags";
import { StackConfigMap, StackDriver } from "./stack-driver";

/**
 * A retarget that wrote primaryRegion and was stopped before secondaryRegions: primaryRegion names the
 * new primary while secondaryRegions still lists it and lacks the old primary. The old primary is no
 * longer in the configuration, so the member regions come from the stack outputs (what the last update
 * deployed) or, failing those, from a pinned foundingRegion.
 */
export interface InterruptedRetarget {
    /** The region the interrupted run made primary (the current primaryRegion). */
    primaryRegion: string;
    /** Every member region, and where that list comes from. */
    members: string[];
    membersSource: string;
    /** What the program's validator says about the configuration as it is. */
    problems: string[];
}

export interface RecoveryStackConfig {
    /** The program's keys as they are in the stack (secrets as plain text: never print this). */
    raw: RawConfig;
    /**
     * The validated configuration, every default resolved. When `interrupted` is set, this is the
     * configuration the interrupted retarget was writing, not the one stored.
     */
    config: StackConfig;
    /** Set when the stored configuration is invalid only because a retarget was interrupted. */
    interrupted?: InterruptedRetarget;
}

/**
 * The program's stack name: the last segment of a fully qualified `org/project/stack` name, which
 * is what pulumi.getStack() returns and what namePrefix defaults to.
 */
export function programStackName(stackName: string): string {
    return stackName.slice(stackName.lastIndexOf("/") + 1);
}

/** The program's raw keys out of a stack's whole configuration (other namespaces, such as aws:, dropped). */
export function rawProgramConfig(config: StackConfigMap): RawConfig {
    const prefix = `${NAMESPACE}:`;
    return Object.fromEntries(Object.entries(config)
        .filter(([key]) => key.startsWith(prefix))
        .map(([key, v]) => [key.slice(prefix.length), v.value]));
}

function stringList(text: string | undefined): string[] | undefined {
    try {
        const value: unknown = text === undefined ? undefined : JSON.parse(text);
        return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
    } catch {
        return undefined;
    }
}

/** The member regions the last update deployed (keys of the `regions` output), or undefined. */
async function deployedMembers(driver: StackDriver): Promise<string[] | undefined> {
    try {
        const regions = (await driver.outputs()).regions?.value;
        return typeof regions === "object" && regions !== null && Object.keys(regions).length > 0 ? Object.keys(regions) : undefined;
    } catch {
        // Outputs out of reach (the stack file stands in for the stack) only cost this source.
        return undefined;
    }
}

/**
 * The interrupted retarget `raw` shows, if that is what it shows: primaryRegion is listed among
 * secondaryRegions, and exactly one member region (the old primary) is missing from the configuration.
 */
export function interruptedRetarget(raw: RawConfig, problems: string[], deployed: { members?: string[]; source: string }): InterruptedRetarget | undefined {
    const primary = raw.primaryRegion;
    const secondaries = stringList(raw.secondaryRegions);
    if (!primary || !secondaries || !secondaries.includes(primary)) {
        return undefined;
    }
    const candidates = deployed.members
        ? { members: deployed.members, membersSource: deployed.source }
        : raw.foundingRegion && !secondaries.includes(raw.foundingRegion)
            ? { members: [...secondaries, raw.foundingRegion], membersSource: `secondaryRegions and the pinned ${fullKey("foundingRegion")}` }
            : undefined;
    if (!candidates || !secondaries.every((r) => candidates.members.includes(r))) {
        return undefined;
    }
    const dropped = candidates.members.filter((r) => !secondaries.includes(r));
    return dropped.length === 1 ? { primaryRegion: primary, ...candidates, problems } : undefined;
}

/** The keys an interrupted retarget still had to write. */
function finishRetarget(raw: RawConfig, interrupted: InterruptedRetarget): RawConfig {
    const secondaries = interrupted.members.filter((r) => r !== interrupted.primaryRegion).sort();
    return { ...raw, secondaryRegions: JSON.stringify(secondaries) };
}

/**
 * Reads and validates the stack's configuration. An invalid configuration throws the program's
 * ConfigError, except the one an interrupted retarget leaves: then `config` is the configuration that
 * retarget was writing (validated like any other) and `interrupted` says what was found, so the caller
 * can say so and write the remaining keys.
 */
export async function readStackConfig(driver: StackDriver): Promise<RecoveryStackConfig> {
    const raw = rawProgramConfig(await driver.getConfig());
    const stack = programStackName(driver.stackName);
    try {
        return { raw, config: validateConfig(raw, stack) };
    } catch (e) {
        if (!(e instanceof ConfigError)) {
            throw e;
        }
        const interrupted = interruptedRetarget(raw, e.problems, { members: await deployedMembers(driver), source: "the stack output regions" });
        if (!interrupted) {
            throw e;
        }
        try {
            return { raw, config: validateConfig(finishRetarget(raw, interrupted), stack), interrupted };
        } catch {
            // Finishing the retarget would not make it valid either: something else is wrong, report it as it is.
            throw e;
        }
    }
}

/** One configuration change: full key, the raw text before (undefined when unset) and after. */
export interface ConfigChange {
    key: string;
    from: string | undefined;
    to: string;
}

/**
 * The configuration changes that make `targetRegion` the primary, and nothing else, measured against
 * the stored keys (`raw`), so the keys an interrupted retarget left out are among them:
 * - `foundingRegion` is pinned to `foundingRegion` (from founding-region.ts, the deployment's own
 *   records) when it is not already: it defaults to primaryRegion, and a founder that moved with the
 *   primary would make the program replace the datastore;
 * - `primaryRegion` becomes the target;
 * - `secondaryRegions` becomes the other members, sorted. The program gives their order no meaning
 *   (it sorts them wherever order matters), so a sorted list keeps reruns and reviews stable.
 * Lists are written as JSON text, which the program reads exactly like a YAML list.
 */
export function configChangesForPrimary(raw: RawConfig, config: StackConfig, targetRegion: string, foundingRegion: string): ConfigChange[] {
    const members = memberRegions(config);
    if (!members.includes(targetRegion)) {
        throw new Error(`target region is "${targetRegion}", which is not a member of the datastore of stack ${config.stack}. ` +
            `Accepted: one of ${members.join(", ")}.`);
    }
    if (!members.includes(foundingRegion)) {
        throw new Error(`the founding region is "${foundingRegion}", which is not a member of the datastore of stack ${config.stack}. ` +
            `Accepted: one of ${members.join(", ")}.`);
    }
    const changes: ConfigChange[] = [];
    if (raw.foundingRegion !== foundingRegion) {
        changes.push({ key: fullKey("foundingRegion"), from: raw.foundingRegion, to: foundingRegion });
    }
    if (raw.primaryRegion !== targetRegion) {
        changes.push({ key: fullKey("primaryRegion"), from: raw.primaryRegion, to: targetRegion });
    }
    const secondaries = members.filter((r) => r !== targetRegion).sort();
    if (JSON.stringify(secondaries) !== JSON.stringify(stringList(raw.secondaryRegions))) {
        changes.push({ key: fullKey("secondaryRegions"), from: raw.secondaryRegions, to: JSON.stringify(secondaries) });
    }
    return changes;
}

/** Writes the changes through the driver in one write, as plain (non-secret) values: all of them or none. */
export async function applyConfigChanges(driver: StackDriver, changes: readonly ConfigChange[]): Promise<void> {
    if (changes.length > 0) {
        await driver.setConfigs(Object.fromEntries(changes.map((c) => [c.key, { value: c.to, secret: false }])));
    }
}

/** The Pulumi CLI commands that put each changed key back as it was (removing the ones that were unset). */
export function revertCommands(stackName: string, changes: readonly ConfigChange[]): string[] {
    return changes.map((c) => c.from === undefined
        ? `pulumi config rm --stack ${shellQuote(stackName)} ${c.key}`
        : `pulumi config set --stack ${shellQuote(stackName)} ${c.key} ${shellQuote(c.from)}`);
}
