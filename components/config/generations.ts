/** Validation of the generation keys: the active generation, its seed snapshot, the ones beside it. */
import { Problems, Reader } from "./reader";
import { Generation } from "./types";

export const MAX_GENERATION = 99;
// Manual snapshot names: letters, digits and hyphens, starting with a letter. AWS names automated
// backups itself, `automatic.<replication group>-<YYYY-MM-DD-HH-MM>`, and those restore too.
const SNAPSHOT_NAME_PATTERN = /^(automatic\.)?[A-Za-z][A-Za-z0-9-]{0,254}$/;
const SNAPSHOT_ACCEPTED = "a snapshot name: letters, digits and hyphens, starting with a letter (automated backups: automatic.<name>), at most 255 characters";

export interface GenerationSettings {
    generation: number;
    seedSnapshot?: string;
    inactiveGenerations: Generation[];
}

export function validateGenerations(r: Reader, p: Problems, regions: string[], primaryRegion: string | undefined): GenerationSettings {
    const generation = r.integer("generation", 1, 1, MAX_GENERATION);
    const seedSnapshot = r.string("seedSnapshot");
    if (seedSnapshot !== undefined && !SNAPSHOT_NAME_PATTERN.test(seedSnapshot)) {
        p.add("seedSnapshot", seedSnapshot, undefined, SNAPSHOT_ACCEPTED);
    }
    const given = r.object("inactiveGenerations") ?? {};
    const inactiveGenerations: Generation[] = [];
    for (const [key, value] of Object.entries(given)) {
        const at = `inactiveGenerations.${key}`;
        const number = /^\d+$/.test(key) ? Number(key) : NaN;
        if (!(number >= 1 && number <= MAX_GENERATION)) {
            p.add(at, value, `"${key}" is not a generation number`, `keys from 1 to ${MAX_GENERATION}`);
            continue;
        }
        if (number === generation) {
            p.add(at, value, `generation ${number} is the active generation (elasticache-global:generation)`,
                "only generations other than the active one");
            continue;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            p.add(at, value, undefined, "an object {foundingRegion, seedSnapshot?, retiring?}");
            continue;
        }
        const v = value as Record<string, unknown>;
        for (const field of Object.keys(v)) {
            if (!["foundingRegion", "seedSnapshot", "retiring"].includes(field)) {
                p.add(`${at}.${field}`, v[field], "it is not a field of a generation", "foundingRegion, seedSnapshot, retiring");
            }
        }
        const foundingRegion = v.foundingRegion ?? primaryRegion;
        if (typeof foundingRegion !== "string" || !regions.includes(foundingRegion)) {
            p.add(`${at}.foundingRegion`, v.foundingRegion, "it is not one of the datastore's regions",
                `primaryRegion or one of secondaryRegions (${regions.join(", ") || "none set"})`);
            continue;
        }
        if (v.seedSnapshot !== undefined && (typeof v.seedSnapshot !== "string" || !SNAPSHOT_NAME_PATTERN.test(v.seedSnapshot))) {
            p.add(`${at}.seedSnapshot`, v.seedSnapshot, undefined, SNAPSHOT_ACCEPTED);
        }
        if (v.retiring !== undefined && typeof v.retiring !== "boolean") {
            p.add(`${at}.retiring`, v.retiring, undefined, "true or false");
        }
        inactiveGenerations.push({
            number, foundingRegion,
            ...(typeof v.seedSnapshot === "string" ? { seedSnapshot: v.seedSnapshot } : {}),
            ...(v.retiring === true ? { retiring: true } : {}),
        });
    }
    inactiveGenerations.sort((a, b) => a.number - b.number);
    return { generation, ...(seedSnapshot !== undefined ? { seedSnapshot } : {}), inactiveGenerations };
}
