/**
 * Validation of the generation keys: the active generation, its seed snapshot, whether it is still
 * founder-only, the ones beside it, and the highest number ever declared.
 */
import { Problems, Reader } from "./reader";
import { Generation } from "./types";

export const MAX_GENERATION = 99;
// Manual snapshot names: letters, digits and hyphens, starting with a letter. AWS names automated
// backups itself, `automatic.<replication group>-<YYYY-MM-DD-HH-MM>`, and those restore too.
const SNAPSHOT_NAME_PATTERN = /^(automatic\.)?[A-Za-z][A-Za-z0-9-]{0,254}$/;
const SNAPSHOT_ACCEPTED = "a snapshot name: letters, digits and hyphens, starting with a letter (automated backups: automatic.<name>), at most 255 characters";
/** retire-generation's final snapshot suffix: the UTC time the retirement started. */
export const FINAL_SNAPSHOT_SUFFIX_PATTERN = /^\d{8}-\d{6}$/;
const GENERATION_FIELDS = ["foundingRegion", "seedSnapshot", "founderOnly", "retiring", "finalSnapshotSuffix"];

export interface GenerationSettings {
    generation: number;
    seedSnapshot?: string;
    founderOnly?: boolean;
    highestGeneration: number;
    inactiveGenerations: Generation[];
}

/** One entry of inactiveGenerations, or undefined (with the problems added) when it cannot be read. */
function inactiveEntry(p: Problems, key: string, value: unknown, generation: number, regions: string[], primaryRegion: string | undefined): Generation | undefined {
    const at = `inactiveGenerations.${key}`;
    const number = /^\d+$/.test(key) ? Number(key) : NaN;
    if (!(number >= 1 && number <= MAX_GENERATION)) {
        p.add(at, value, `"${key}" is not a generation number`, `keys from 1 to ${MAX_GENERATION}`);
        return undefined;
    }
    if (number === generation) {
        p.add(at, value, `generation ${number} is the active generation (elasticache-global:generation)`, "only generations other than the active one");
        return undefined;
    }
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        p.add(at, value, undefined, "an object {foundingRegion, seedSnapshot?, founderOnly?, retiring?, finalSnapshotSuffix?}");
        return undefined;
    }
    const v = value as Record<string, unknown>;
    for (const field of Object.keys(v)) {
        if (!GENERATION_FIELDS.includes(field)) {
            p.add(`${at}.${field}`, v[field], "it is not a field of a generation", GENERATION_FIELDS.join(", "));
        }
    }
    const foundingRegion = v.foundingRegion ?? primaryRegion;
    if (typeof foundingRegion !== "string" || !regions.includes(foundingRegion)) {
        p.add(`${at}.foundingRegion`, v.foundingRegion, "it is not one of the datastore's regions",
            `primaryRegion or one of secondaryRegions (${regions.join(", ") || "none set"})`);
        return undefined;
    }
    if (v.seedSnapshot !== undefined && (typeof v.seedSnapshot !== "string" || !SNAPSHOT_NAME_PATTERN.test(v.seedSnapshot))) {
        p.add(`${at}.seedSnapshot`, v.seedSnapshot, undefined, SNAPSHOT_ACCEPTED);
    }
    for (const flag of ["founderOnly", "retiring"]) {
        if (v[flag] !== undefined && typeof v[flag] !== "boolean") {
            p.add(`${at}.${flag}`, v[flag], undefined, "true or false");
        }
    }
    if (v.finalSnapshotSuffix !== undefined) {
        if (typeof v.finalSnapshotSuffix !== "string" || !FINAL_SNAPSHOT_SUFFIX_PATTERN.test(v.finalSnapshotSuffix)) {
            p.add(`${at}.finalSnapshotSuffix`, v.finalSnapshotSuffix, undefined, "YYYYMMDD-HHMMSS, the UTC time retire-generation started, such as 20250115-100000");
        } else if (v.retiring !== true) {
            p.add(`${at}.finalSnapshotSuffix`, v.finalSnapshotSuffix, "only a retiring generation has final snapshot names", "no finalSnapshotSuffix, or retiring: true beside it");
        }
    }
    return {
        number, foundingRegion,
        ...(typeof v.seedSnapshot === "string" ? { seedSnapshot: v.seedSnapshot } : {}),
        ...(v.founderOnly === true ? { founderOnly: true } : {}),
        ...(v.retiring === true ? { retiring: true } : {}),
        ...(v.retiring === true && typeof v.finalSnapshotSuffix === "string" ? { finalSnapshotSuffix: v.finalSnapshotSuffix } : {}),
    };
}

export function validateGenerations(r: Reader, p: Problems, regions: string[], primaryRegion: string | undefined, foundingRegion: string | undefined): GenerationSettings {
    const generation = r.integer("generation", 1, 1, MAX_GENERATION);
    const seedSnapshot = r.string("seedSnapshot");
    if (seedSnapshot !== undefined && !SNAPSHOT_NAME_PATTERN.test(seedSnapshot)) {
        p.add("seedSnapshot", seedSnapshot, undefined, SNAPSHOT_ACCEPTED);
    }
    const founderOnly = r.boolean("founderOnly", false);
    // A founder-only generation has one member: writes can go nowhere else.
    if (founderOnly && primaryRegion !== undefined && foundingRegion !== undefined && primaryRegion !== foundingRegion) {
        p.add("founderOnly", true, `the active generation has only its founding member, in foundingRegion ${foundingRegion}, so primaryRegion cannot be ${primaryRegion}`,
            `false (the secondaries are declared), or primaryRegion ${foundingRegion}`);
    }
    const given = r.object("inactiveGenerations") ?? {};
    const inactiveGenerations = Object.entries(given).flatMap(([key, value]) => {
        const entry = inactiveEntry(p, key, value, generation, regions, primaryRegion);
        return entry ? [entry] : [];
    }).sort((a, b) => a.number - b.number);

    // Every number up to the highest was declared once (restore-from-snapshot counts up from it), so
    // only a value below a generation declared now can be told wrong from the configuration alone;
    // recovery/lib/generations/numbers.ts also checks it against what the last update deployed.
    const declared = [generation, ...inactiveGenerations.map((g) => g.number)];
    const highestDeclared = Math.max(...declared);
    const highestGeneration = r.integer("highestGeneration", highestDeclared, 1, MAX_GENERATION);
    if (r.has("highestGeneration") && highestGeneration < highestDeclared) {
        const above = declared.filter((n) => n > highestGeneration).sort((a, b) => a - b);
        p.add("highestGeneration", highestGeneration, `generation${above.length > 1 ? "s" : ""} ${above.join(", ")} ${above.length > 1 ? "are" : "is"} declared above it. ` +
            "It is the highest generation number ever declared and only grows: a lower value would let the number of a retired generation, " +
            "and the names and final snapshots that carry it, be used again",
        `${highestDeclared} or more, and never less than the value it had`);
    }
    return {
        generation, ...(seedSnapshot !== undefined ? { seedSnapshot } : {}), ...(founderOnly ? { founderOnly } : {}),
        highestGeneration, inactiveGenerations,
    };
}
