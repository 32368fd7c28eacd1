/**
 * Pure validation of the raw stack configuration. It reports every problem at once, one message per
 * problem, each naming the key, the value and what is accepted; nothing is declared before it passes.
 */
import { CONFIG_KEYS, fullKey } from "./keys";
import { DEFAULTS, LOG_RETENTION_DAYS } from "./defaults";
import {
    DEFAULT_ENGINE_VERSION, ENGINES, Engine, MIN_GLOBAL_DATASTORE_VERSION, PROGRAM_NODE_FAMILIES,
    compareVersions, nodeTypeProblem, parseVersion, programNodeTypeProblem,
} from "./engine";
import { Problems, RawConfig, Reader, show } from "./reader";
import { validateGenerations } from "./generations";
import { validateAlarms, validateAuth, validateNetworks, validateRecoveryRolePrincipals, validateRoute53 } from "./sections";
import { parseMaintenanceWindow, parseSnapshotWindow, windowsOverlap } from "./windows";
import { StackConfig, memberRegions } from "./types";

export { RawConfig } from "./reader";

export class ConfigError extends Error {
    constructor(readonly problems: string[]) {
        super(`Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}):\n` +
            problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigError";
    }
}

const REGION_PATTERN = /^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\d$/;
const NAME_PREFIX_PATTERN = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const MAX_NAME_PREFIX = 20; // replication group ids are at most 40 characters: prefix + "-" + region

export function validateConfig(raw: RawConfig, stack: string): StackConfig {
    const p = new Problems();
    const r = new Reader(raw, p);

    const known = new Set(CONFIG_KEYS.map((k) => k.name));
    for (const key of Object.keys(raw)) {
        if (!known.has(key) && raw[key] !== undefined) {
            // No value: a misspelled secret key would otherwise print the secret.
            p.list.push(`${fullKey(key)} is set, but it is not a key this program reads (a typo?). Accepted: one of ${[...known].join(", ")}.`);
        }
    }

    // Regions and roles.
    const regionAccepted = "an AWS region code such as us-east-1";
    const primaryRegion = r.string("primaryRegion");
    if (primaryRegion === undefined) {
        p.missing("primaryRegion", regionAccepted);
    } else if (!REGION_PATTERN.test(primaryRegion)) {
        p.add("primaryRegion", primaryRegion, undefined, regionAccepted);
    }
    const secondaryList = r.stringList("secondaryRegions");
    const secondaryRegions = secondaryList ?? [];
    if (raw.secondaryRegions === undefined) {
        p.missing("secondaryRegions", "a list of 1 or 2 regions other than primaryRegion");
    } else if (secondaryList !== undefined && (secondaryRegions.length < 1 || secondaryRegions.length > 2)) {
        p.add("secondaryRegions", secondaryRegions, `it lists ${secondaryRegions.length} regions`,
            "1 or 2 regions (a Global Datastore has at most two secondaries)");
    }
    secondaryRegions.forEach((region, i) => {
        if (!REGION_PATTERN.test(region)) {
            p.add(`secondaryRegions[${i}]`, region, undefined, regionAccepted);
        } else if (region === primaryRegion) {
            p.add(`secondaryRegions[${i}]`, region, "it is the primary region", "regions other than primaryRegion");
        } else if (secondaryRegions.indexOf(region) !== i) {
            p.add(`secondaryRegions[${i}]`, region, "it is listed twice", "distinct regions");
        }
    });
    const regions = primaryRegion ? memberRegions({ primaryRegion, secondaryRegions }) : secondaryRegions;
    const foundingRegion = r.string("foundingRegion") ?? primaryRegion;
    if (raw.foundingRegion !== undefined && foundingRegion !== undefined && !regions.includes(foundingRegion)) {
        p.add("foundingRegion", foundingRegion, "it is not one of the datastore's regions",
            `primaryRegion or one of secondaryRegions (${regions.join(", ") || "none set"})`);
    }

    // Engine, version, node type, topology.
    const engineText = r.string("engine") ?? DEFAULTS.engine;
    const engine = (ENGINES as readonly string[]).includes(engineText) ? (engineText as Engine) : undefined;
    if (!engine) {
        p.add("engine", engineText, undefined, "valkey or redis");
    }
    const engineVersion = r.string("engineVersion") ?? DEFAULT_ENGINE_VERSION[engine ?? "valkey"];
    if (!parseVersion(engineVersion)) {
        p.add("engineVersion", engineVersion, "it is not a version number", "major.minor or major.minor.patch, for example 7.2");
    } else if (engine && compareVersions(engineVersion, MIN_GLOBAL_DATASTORE_VERSION[engine]) < 0) {
        p.add("engineVersion", engineVersion, `${engine} ${engineVersion} cannot join a Global Datastore`,
            `${engine} ${MIN_GLOBAL_DATASTORE_VERSION[engine]} or later`);
    }
    const nodeType = r.string("nodeType") ?? DEFAULTS.nodeType;
    const nodeProblem = nodeTypeProblem(nodeType) ?? programNodeTypeProblem(nodeType);
    if (nodeProblem) {
        p.add("nodeType", nodeType, nodeProblem,
            `cache.<${PROGRAM_NODE_FAMILIES.join("|")}>.<large|xlarge|2xlarge|...>, for example cache.r7g.large`);
    }
    const shards = r.integer("shards", DEFAULTS.shards, 1, 500);
    const replicasPerShard = r.integer("replicasPerShard", DEFAULTS.replicasPerShard, 1, 5,
        "Multi-AZ with automatic failover needs at least one replica per shard");
    const backupRetentionDays = r.integer("backupRetentionDays", DEFAULTS.backupRetentionDays, 1, 35);
    const port = r.integer("port", DEFAULTS.port, 1024, 65535);

    // Naming.
    const namePrefix = r.string("namePrefix") ?? stack;
    if (!NAME_PREFIX_PATTERN.test(namePrefix) || namePrefix.length > MAX_NAME_PREFIX) {
        const key = raw.namePrefix === undefined ? "namePrefix (defaulted from the stack name)" : "namePrefix";
        p.list.push(`${fullKey(key)} is ${show(namePrefix)}. Accepted: lowercase letters, digits and single hyphens, ` +
            `starting with a letter, at most ${MAX_NAME_PREFIX} characters; set elasticache-global:namePrefix when the stack name does not fit.`);
    }

    // Windows.
    const snapshotWindow = r.string("snapshotWindow") ?? DEFAULTS.snapshotWindow;
    const maintenanceWindow = r.string("maintenanceWindow") ?? DEFAULTS.maintenanceWindow;
    const snap = parseSnapshotWindow(snapshotWindow);
    const maint = parseMaintenanceWindow(maintenanceWindow);
    if (typeof snap === "string") {
        p.add("snapshotWindow", snapshotWindow, snap, "hh:mm-hh:mm in UTC, at least 60 minutes");
    }
    if (typeof maint === "string") {
        p.add("maintenanceWindow", maintenanceWindow, maint, "ddd:hh:mm-ddd:hh:mm in UTC, 60 minutes to 24 hours");
    }
    if (typeof snap !== "string" && typeof maint !== "string" && windowsOverlap(snap, maint)) {
        p.add("snapshotWindow", snapshotWindow, `it overlaps the maintenance window ${maintenanceWindow}`,
            "a daily window that does not overlap the weekly maintenance window");
    }
    const applyImmediately = r.boolean("applyImmediately", DEFAULTS.applyImmediately);
    const logRetentionDays = r.integer("logRetentionDays", DEFAULTS.logRetentionDays, 1, 3653);
    if (!LOG_RETENTION_DAYS.includes(logRetentionDays)) {
        p.add("logRetentionDays", logRetentionDays, undefined, `one of ${LOG_RETENTION_DAYS.join(", ")}`);
    }

    // Regions already reported as malformed or repeated would only add echoes of the same problem.
    const networks = validateNetworks(r, p, [...new Set(regions)].filter((region) => REGION_PATTERN.test(region)));
    const auth = engine && parseVersion(engineVersion) ? validateAuth(r, p, engine, engineVersion) : undefined;
    const alarms = validateAlarms(r, p);
    const notificationEmails = r.stringList("notificationEmails") ?? [];
    notificationEmails.forEach((email, i) => {
        if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(email)) {
            p.add(`notificationEmails[${i}]`, email, undefined, "an email address");
        }
    });
    const route53 = validateRoute53(r, p);
    const recoveryRolePrincipals = validateRecoveryRolePrincipals(r, p);
    const generations = validateGenerations(r, p, regions, primaryRegion, foundingRegion);
    const tags = r.object("tags") ?? {};
    for (const [k, v] of Object.entries(tags)) {
        if (typeof v !== "string") {
            p.add(`tags.${k}`, v, undefined, "a string tag value");
        }
    }

    if (p.list.length > 0 || !engine || !primaryRegion || !foundingRegion || !auth) {
        throw new ConfigError(p.list.length > 0 ? p.list : ["the configuration is incomplete"]);
    }
    return {
        stack, namePrefix, primaryRegion, foundingRegion, secondaryRegions, engine, engineVersion, nodeType,
        shards, replicasPerShard, backupRetentionDays, port, snapshotWindow, maintenanceWindow, applyImmediately,
        logRetentionDays, networks, auth, alarms, notificationEmails, route53, tags: tags as Record<string, string>,
        ...(recoveryRolePrincipals ? { recoveryRolePrincipals } : {}),
        ...generations,
    };
}

/**
 * Things that are valid today but will hurt later. A defaulted foundingRegion follows primaryRegion,
 * so the first promotion would make the program describe a different founder and replace the
 * datastore: it must be pinned before then.
 */
export function configWarnings(raw: RawConfig, config: StackConfig): string[] {
    const warnings: string[] = [];
    if (raw.foundingRegion === undefined) {
        warnings.push(`${fullKey("foundingRegion")} is not set and defaults to primaryRegion (${config.primaryRegion}). ` +
            `Pin it now: pulumi config set ${fullKey("foundingRegion")} ${config.primaryRegion}. ` +
            "After a promotion it must stay the region that created the Global Datastore.");
    }
    return warnings;
}
