/**
 * The stack configuration as the program understands it. Recovery reads the configuration through
 * the stack driver and validates it with the program's own validator, so regions, roles and names
 * mean exactly what they mean to the program; and it computes the only configuration changes a
 * promotion may make.
 */
import { NAMESPACE, fullKey } from "../../components/config/keys";
import { StackConfig, memberRegions } from "../../components/config/types";
import { RawConfig, validateConfig } from "../../components/config/validate";
import { StackConfigMap, StackDriver } from "./stack-driver";

export interface RecoveryStackConfig {
    /** The program's keys as it receives them (secrets as plain text: never print this). */
    raw: RawConfig;
    /** The validated configuration, every default resolved. */
    config: StackConfig;
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

/** Reads and validates the stack's configuration; throws the program's ConfigError when invalid. */
export async function readStackConfig(driver: StackDriver): Promise<RecoveryStackConfig> {
    const raw = rawProgramConfig(await driver.getConfig());
    return { raw, config: validateConfig(raw, programStackName(driver.stackName)) };
}

/** One configuration change: full key, the raw text before (undefined when unset) and after. */
export interface ConfigChange {
    key: string;
    from: string | undefined;
    to: string;
}

/**
 * The configuration changes that make `targetRegion` the primary, and nothing else:
 * - `foundingRegion` is pinned when it was only defaulted: it defaults to primaryRegion, and a
 *   founder that moved with the primary would make the program replace the datastore;
 * - `primaryRegion` becomes the target;
 * - `secondaryRegions` becomes the other members, sorted. The program gives their order no meaning
 *   (it sorts them wherever order matters), so a sorted list keeps reruns and reviews stable.
 * Lists are written as JSON text, which the program reads exactly like a YAML list.
 */
export function configChangesForPrimary(raw: RawConfig, config: StackConfig, targetRegion: string): ConfigChange[] {
    const members = memberRegions(config);
    if (!members.includes(targetRegion)) {
        throw new Error(`target region is "${targetRegion}", which is not a member of the datastore of stack ${config.stack}. ` +
            `Accepted: one of ${members.join(", ")}.`);
    }
    const changes: ConfigChange[] = [];
    if (raw.foundingRegion === undefined) {
        changes.push({ key: fullKey("foundingRegion"), from: undefined, to: config.foundingRegion });
    }
    if (config.primaryRegion !== targetRegion) {
        changes.push({ key: fullKey("primaryRegion"), from: raw.primaryRegion, to: targetRegion });
    }
    const secondaries = members.filter((r) => r !== targetRegion).sort();
    if (JSON.stringify(secondaries) !== JSON.stringify(config.secondaryRegions)) {
        changes.push({ key: fullKey("secondaryRegions"), from: raw.secondaryRegions, to: JSON.stringify(secondaries) });
    }
    return changes;
}

/** Writes the changes through the driver, in order, as plain (non-secret) values. */
export async function applyConfigChanges(driver: StackDriver, changes: readonly ConfigChange[]): Promise<void> {
    for (const change of changes) {
        await driver.setConfig(change.key, { value: change.to, secret: false });
    }
}
