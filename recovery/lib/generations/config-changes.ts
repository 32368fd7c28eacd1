/**
 * The configuration changes that move a stack through the life of a generation, computed against the
 * stored keys so a rerun sees what an interrupted run already wrote:
 *   build:   a new inactive generation, seeded from a snapshot, beside the active one (founder-only
 *            unless the secondaries are to be built before the cutover), and highestGeneration raised;
 *   cutover: the new generation becomes active, the old one stays declared (inactive) for investigation;
 *   join:    a founder-only active generation gets its secondaries declared;
 *   retire:  an inactive generation is first marked retiring (declared unprotected, its final snapshot
 *            names given a suffix of their own), then removed.
 * Each set is written in one atomic write (stack-config.ts applyConfigChanges).
 */
import { fullKey } from "../../../components/config/keys";
import { MAX_GENERATION } from "../../../components/config/generations";
import { Generation, StackConfig, activeGeneration, allGenerations } from "../../../components/config/types";
import { RawConfig } from "../../../components/config/validate";
import { ConfigChange, configChangesForPrimary } from "../stack-config";

/** Where a restore stands, judged from the configuration alone. */
export type RestoreStage =
    /** Nothing under way: the next restore builds generation `next`. */
    | { stage: "start"; next: number }
    /** A generation newer than the active one is declared (built, or being built): resume with it. */
    | { stage: "resume"; building: Generation };

export function restoreStage(config: StackConfig): RestoreStage {
    const newer = config.inactiveGenerations.filter((g) => g.number > config.generation && !g.retiring);
    if (newer.length > 1) {
        throw new Error(`stack ${config.stack} declares ${newer.length} generations newer than the active one ` +
            `(${newer.map((g) => g.number).join(", ")}); a restore builds one at a time. Retire the ones not wanted first ` +
            "(retire-generation --generation N).");
    }
    if (newer.length === 1) {
        return { stage: "resume", building: newer[0] };
    }
    // One more than any ever declared: a retired generation's number (and its names) is never used again.
    const next = Math.max(config.highestGeneration, ...allGenerations(config).map((g) => g.number)) + 1;
    if (next > MAX_GENERATION) {
        throw new Error(`stack ${config.stack} has used generation numbers up to ${next - 1}; at most ${MAX_GENERATION} are supported, ` +
            "and numbers are never used twice. Start a new stack with another namePrefix to go on.");
    }
    return { stage: "start", next };
}

function inactiveText(generations: readonly Generation[]): string {
    return JSON.stringify(Object.fromEntries(generations.map((g) => [String(g.number), {
        foundingRegion: g.foundingRegion,
        ...(g.seedSnapshot ? { seedSnapshot: g.seedSnapshot } : {}),
        ...(g.founderOnly ? { founderOnly: true } : {}),
        ...(g.retiring ? { retiring: true } : {}),
        ...(g.retiring && g.finalSnapshotSuffix ? { finalSnapshotSuffix: g.finalSnapshotSuffix } : {}),
    }])));
}

function inactiveChange(raw: RawConfig, generations: readonly Generation[]): ConfigChange[] {
    const to = inactiveText([...generations].sort((a, b) => a.number - b.number));
    const current = raw.inactiveGenerations === undefined ? inactiveText([]) : raw.inactiveGenerations;
    return sameJson(current, to) ? [] : [{ key: fullKey("inactiveGenerations"), from: raw.inactiveGenerations, to }];
}

function sameJson(a: string, b: string): boolean {
    try {
        return JSON.stringify(JSON.parse(a)) === JSON.stringify(JSON.parse(b));
    } catch {
        return false;
    }
}

/** highestGeneration raised to `n` when it is lower, in the same write as the declaration that uses `n`. */
function highestChange(raw: RawConfig, config: StackConfig, n: number): ConfigChange[] {
    const to = String(Math.max(config.highestGeneration, n));
    return raw.highestGeneration === to ? [] : [{ key: fullKey("highestGeneration"), from: raw.highestGeneration, to }];
}

/**
 * Declares `g` beside the active generation (or changes how it is declared: founder-only or whole),
 * and raises highestGeneration to it in the same write, so no later run can hand its number out again.
 */
export function buildChanges(raw: RawConfig, config: StackConfig, g: Generation): ConfigChange[] {
    return [...inactiveChange(raw, [...config.inactiveGenerations.filter((x) => x.number !== g.number), g]), ...highestChange(raw, config, g.number)];
}

/**
 * Makes `g` active. Its founder is its primary (nothing has failed over inside it yet), so the roles
 * follow: primaryRegion becomes its founding region. The old active generation joins the inactive
 * ones with its own founding region and seed.
 */
export function cutoverChanges(raw: RawConfig, config: StackConfig, g: Generation): ConfigChange[] {
    const previous = activeGeneration(config);
    const changes: ConfigChange[] = [];
    if (raw.generation !== String(g.number)) {
        changes.push({ key: fullKey("generation"), from: raw.generation, to: String(g.number) });
    }
    if (g.seedSnapshot && raw.seedSnapshot !== g.seedSnapshot) {
        changes.push({ key: fullKey("seedSnapshot"), from: raw.seedSnapshot, to: g.seedSnapshot });
    }
    // Written as "false" rather than removed: a configuration change is a set (stack-config.ts).
    const founderOnly = g.founderOnly ? "true" : "false";
    if ((raw.founderOnly ?? "false") !== founderOnly) {
        changes.push({ key: fullKey("founderOnly"), from: raw.founderOnly, to: founderOnly });
    }
    changes.push(...configChangesForPrimary(raw, config, g.foundingRegion, g.foundingRegion));
    changes.push(...inactiveChange(raw, [...config.inactiveGenerations.filter((x) => x.number !== g.number), previous]));
    return changes;
}

/** Declares the secondaries of the founder-only active generation: the next update lets them join. */
export function joinChanges(raw: RawConfig, config: StackConfig): ConfigChange[] {
    return config.founderOnly ? [{ key: fullKey("founderOnly"), from: raw.founderOnly, to: "false" }] : [];
}

/**
 * Marks inactive generation `n` retiring: the next update unprotects its resources and gives their
 * final snapshots names with `finalSnapshotSuffix`.
 */
export function retireMarkChanges(raw: RawConfig, config: StackConfig, n: number, finalSnapshotSuffix: string): ConfigChange[] {
    return inactiveChange(raw, config.inactiveGenerations.map((g) => g.number === n ? { ...g, retiring: true, finalSnapshotSuffix } : g));
}

/** Removes inactive generation `n`: the next update deletes its resources. */
export function retireRemoveChanges(raw: RawConfig, config: StackConfig, n: number): ConfigChange[] {
    return inactiveChange(raw, config.inactiveGenerations.filter((g) => g.number !== n));
}
