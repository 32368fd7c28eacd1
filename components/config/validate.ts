/**
 * Pure validation of the raw stack configuration. It reports every problem at once, one message per
 * problem, each naming the key, the value and what is accepted; nothing is declared before it passes.
 */
import { CONFIG_KEYS, fullKey } from "./keys";
import { DEFAULT_ALARMS, DEFAULT_USERS, DEFAULTS, LOG_RETENTION_DAYS, defaultVpcCidr } from "./defaults";
import {
    DEFAULT_ENGINE_VERSION, ENGINES, Engine, GLOBAL_DATASTORE_FAMILIES, MIN_GLOBAL_DATASTORE_VERSION,
    compareVersions, nodeTypeProblem, parseVersion, supportsRbac,
} from "./engine";
import { cidrsOverlap, isOpenToWorld, parseCidr } from "./network";
import { parseMaintenanceWindow, parseSnapshotWindow, windowsOverlap } from "./windows";
import { AlarmThresholds, AuthConfig, CacheUser, RegionNetwork, Route53Config, StackConfig, memberRegions } from "./types";

/** Raw values as the Pulumi engine hands them over: strings, with lists and objects as JSON text. */
export type RawConfig = Record<string, string | undefined>;

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
const USER_NAME_PATTERN = /^[a-zA-Z][a-zA-Z0-9-]*$/;
// ElastiCache passwords and AUTH tokens: 16..128 printable ASCII, without space, ", / or @.
const PASSWORD_PATTERN = /^[!#-.0-?A-~]{16,128}$/;

class Problems {
    readonly list: string[] = [];
    constructor(private readonly secretKeys: Set<string>) {}

    /** One message: the key, the value (never a secret's), the reason, what is accepted. */
    add(key: string, value: unknown, reason: string | undefined, accepted: string): void {
        const shown = this.secretKeys.has(key.split(/[.[]/)[0]) ? describeSecret(value) : show(value);
        this.list.push(`${fullKey(key)} is ${shown}${reason ? `: ${reason}` : ""}. Accepted: ${accepted}.`);
    }

    missing(key: string, accepted: string, hint?: string): void {
        this.list.push(`${fullKey(key)} is not set. Accepted: ${accepted}.${hint ? ` ${hint}` : ""}`);
    }
}

function show(value: unknown): string {
    return typeof value === "string" ? JSON.stringify(value) : JSON.stringify(value) ?? String(value);
}

function describeSecret(value: unknown): string {
    return typeof value === "string" ? `a secret of ${value.length} characters` : `a secret ${typeof value}`;
}

export function validateConfig(raw: RawConfig, stack: string): StackConfig {
    const secretKeys = new Set(CONFIG_KEYS.filter((k) => k.secret).map((k) => k.name));
    const p = new Problems(secretKeys);
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
    const nodeProblem = nodeTypeProblem(nodeType);
    if (nodeProblem) {
        p.add("nodeType", nodeType, nodeProblem,
            `cache.<${GLOBAL_DATASTORE_FAMILIES.join("|")}>.<large|xlarge|2xlarge|...>, for example cache.r7g.large`);
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

function validateNetworks(r: Reader, p: Problems, regions: string[]): Record<string, RegionNetwork> {
    const given = r.object("networks") ?? {};
    const result: Record<string, RegionNetwork> = {};
    for (const region of Object.keys(given)) {
        if (!regions.includes(region)) {
            p.add(`networks.${region}`, given[region], "it is not one of the datastore's regions",
                `keys among ${regions.join(", ")}`);
        }
    }
    regions.forEach((region) => {
        const key = `networks.${region}`;
        const n = (given[region] ?? {}) as Record<string, unknown>;
        if (typeof n !== "object" || Array.isArray(n)) {
            p.add(key, n, undefined, "an object with vpcId and subnetIds, or vpcCidr");
            return;
        }
        const allowedCidrs = stringArray(n.allowedCidrs);
        const allowedSecurityGroupIds = stringArray(n.allowedSecurityGroupIds);
        if (allowedCidrs === undefined) {
            p.add(`${key}.allowedCidrs`, n.allowedCidrs, undefined, "a list of CIDR blocks");
        }
        if (allowedSecurityGroupIds === undefined) {
            p.add(`${key}.allowedSecurityGroupIds`, n.allowedSecurityGroupIds, undefined, "a list of security group ids (sg-...)");
        }
        (allowedCidrs ?? []).forEach((cidr, i) => {
            if (isOpenToWorld(cidr)) {
                p.add(`${key}.allowedCidrs[${i}]`, cidr, "it opens the cache to the whole internet", "private CIDR blocks of the clients");
            } else if (!parseCidr(cidr) && !(/^[0-9a-f]*:[0-9a-f:]*\/\d{1,3}$/i.test(cidr) && Number(cidr.split("/")[1]) <= 128)) {
                p.add(`${key}.allowedCidrs[${i}]`, cidr, undefined, "a CIDR block such as 10.0.0.0/16 (network address, no host bits)");
            }
        });
        (allowedSecurityGroupIds ?? []).forEach((id, i) => {
            if (!/^sg-[0-9a-f]{8,17}$/.test(id)) {
                p.add(`${key}.allowedSecurityGroupIds[${i}]`, id, undefined, "a security group id such as sg-0123456789abcdef0");
            }
        });
        const access = { allowedCidrs: allowedCidrs ?? [], allowedSecurityGroupIds: allowedSecurityGroupIds ?? [] };

        if (n.vpcId !== undefined || n.subnetIds !== undefined) {
            if (n.vpcCidr !== undefined) {
                p.add(key, n, "it sets both vpcId/subnetIds and vpcCidr", "either existing vpcId and subnetIds, or vpcCidr for a new VPC");
            }
            const vpcId = typeof n.vpcId === "string" && /^vpc-[0-9a-f]{8,17}$/.test(n.vpcId) ? n.vpcId : undefined;
            if (!vpcId) {
                p.add(`${key}.vpcId`, n.vpcId, undefined, "the id of an existing VPC, such as vpc-0123456789abcdef0");
            }
            const subnetIds = stringArray(n.subnetIds);
            if (!subnetIds || subnetIds.length < 2 || subnetIds.some((s) => !/^subnet-[0-9a-f]{8,17}$/.test(s))) {
                p.add(`${key}.subnetIds`, n.subnetIds, undefined,
                    "a list of at least two private subnet ids (subnet-...) in different availability zones, three recommended");
            }
            if (allowedCidrs?.length === 0 && allowedSecurityGroupIds?.length === 0) {
                p.add(key, n, "it names no clients", "allowedCidrs or allowedSecurityGroupIds listing who may connect to the cache");
            }
            result[region] = { mode: "existing", vpcId: vpcId ?? "", subnetIds: subnetIds ?? [], ...access };
            return;
        }
        const vpcCidr = n.vpcCidr === undefined ? defaultVpcCidr(region) : n.vpcCidr;
        const parsed = typeof vpcCidr === "string" ? parseCidr(vpcCidr) : undefined;
        if (vpcCidr === undefined) {
            p.missing(`${key}.vpcCidr`, "an IPv4 CIDR block from /16 to /24 such as 10.100.0.0/16",
                `${region} has no default block; give its new VPC one, or name existing subnets.`);
        } else if (!parsed || parsed.prefix < 16 || parsed.prefix > 24) {
            p.add(`${key}.vpcCidr`, vpcCidr, undefined, "an IPv4 CIDR block from /16 to /24 such as 10.100.0.0/16");
        }
        const cidr = String(vpcCidr);
        result[region] = {
            mode: "create", vpcCidr: cidr,
            // A new VPC with no clients named admits its own address range, nothing wider.
            allowedCidrs: access.allowedCidrs.length || access.allowedSecurityGroupIds.length ? access.allowedCidrs : [cidr],
            allowedSecurityGroupIds: access.allowedSecurityGroupIds,
        };
    });
    // Overlapping VPCs could never be peered to each other or to one client network.
    const created = regions.filter((region) => {
        const n = result[region];
        const c = n?.mode === "create" ? parseCidr(n.vpcCidr) : undefined;
        return c !== undefined && c.prefix >= 16 && c.prefix <= 24; // bad blocks are reported already
    });
    created.forEach((region, i) => {
        for (const other of created.slice(0, i)) {
            const a = parseCidr((result[region] as { vpcCidr: string }).vpcCidr);
            const b = parseCidr((result[other] as { vpcCidr: string }).vpcCidr);
            if (a && b && cidrsOverlap(a, b)) {
                p.add(`networks.${region}.vpcCidr`, (result[region] as { vpcCidr: string }).vpcCidr,
                    `it overlaps the VPC of ${other}`,
                    "a /16../24 block that overlaps no other region's VPC; set vpcCidr explicitly");
            }
        }
    });
    return result;
}

function validateAuth(r: Reader, p: Problems, engine: Engine, version: string): AuthConfig | undefined {
    if (!supportsRbac(engine, version)) {
        if (r.has("users")) {
            p.add("users", r.list("users") ?? r.raw("users"), `${engine} ${version} has no RBAC`, "no users; set the secret authToken instead");
        }
        const token = r.string("authToken");
        if (token === undefined) {
            p.missing("authToken", "a secret of 16..128 printable characters without space, \", / or @",
                "Set it with: pulumi config set --secret elasticache-global:authToken <token>");
            return undefined;
        }
        if (!PASSWORD_PATTERN.test(token)) {
            p.add("authToken", token, undefined, "16..128 printable characters without space, \", / or @");
        }
        return { mode: "auth-token", token };
    }
    if (r.has("authToken")) {
        p.add("authToken", r.raw("authToken"), `${engine} ${version} uses RBAC users`, "no authToken; use users and userPasswords");
    }
    const listedUsers = r.list("users");
    if (listedUsers === undefined && r.has("users")) {
        return undefined; // already reported; checking passwords of the default user instead would mislead
    }
    const rawUsers = listedUsers ?? [...DEFAULT_USERS];
    const users: CacheUser[] = [];
    const named: CacheUser[] = []; // users whose name was accepted: only they need a password
    rawUsers.forEach((u, i) => {
        const key = `users[${i}]`;
        const entry = (u ?? {}) as Record<string, unknown>;
        const name = entry.name;
        const access = entry.access;
        const authentication = entry.authentication ?? "password";
        let nameAccepted = false;
        if (typeof name !== "string" || !USER_NAME_PATTERN.test(name) || name === "default") {
            p.add(`${key}.name`, name, undefined, "a user name of letters, digits and hyphens, starting with a letter, other than \"default\"");
        } else if (users.some((x) => x.name === name)) {
            p.add(`${key}.name`, name, "it is listed twice", "distinct user names");
        } else {
            nameAccepted = true;
        }
        if (typeof access !== "string" || !/^(on|off)\b/.test(access)) {
            p.add(`${key}.access`, access, undefined, "a Redis ACL string starting with on or off, for example \"on ~app:* +@all -@dangerous\"");
        }
        if (authentication !== "password" && authentication !== "iam") {
            p.add(`${key}.authentication`, authentication, undefined, "password or iam");
        }
        if (authentication === "iam" && engine === "redis" && compareVersions(version, "7.0") < 0) {
            p.add(`${key}.authentication`, authentication, `IAM authentication needs Redis OSS 7.0 or later, not ${version}`, "password");
        }
        const user: CacheUser = { name: String(name), access: String(access), authentication: authentication as CacheUser["authentication"] };
        users.push(user);
        if (nameAccepted) {
            named.push(user);
        }
    });
    if (users.length === 0) {
        p.add("users", rawUsers, "with the default user disabled nobody could connect", "at least one user");
    }
    const givenPasswords = r.object("userPasswords");
    const passwordsUnreadable = givenPasswords === undefined && r.has("userPasswords");
    const passwords = (givenPasswords ?? {}) as Record<string, unknown>;
    for (const user of named.filter((u) => u.authentication === "password")) {
        const password = passwords[user.name];
        if (password === undefined) {
            if (passwordsUnreadable) {
                continue; // already reported as a whole
            }
            p.missing(`userPasswords.${user.name}`, "a secret of 16..128 printable characters without space, \", / or @",
                `Set it with: pulumi config set --secret --path 'elasticache-global:userPasswords.${user.name}' <password>`);
        } else if (typeof password !== "string" || !PASSWORD_PATTERN.test(password)) {
            p.add(`userPasswords.${user.name}`, password, undefined, "16..128 printable characters without space, \", / or @");
        }
    }
    return { mode: "rbac", users, passwords: passwords as Record<string, string> };
}

function validateAlarms(r: Reader, p: Problems): AlarmThresholds {
    const given = r.object("alarms") ?? {};
    const alarms: AlarmThresholds = { ...DEFAULT_ALARMS };
    for (const [name, value] of Object.entries(given)) {
        if (!(name in DEFAULT_ALARMS)) {
            p.add(`alarms.${name}`, value, "it is not an alarm setting", `one of ${Object.keys(DEFAULT_ALARMS).join(", ")}`);
        } else if (typeof value !== "number" || !(value > 0)) {
            p.add(`alarms.${name}`, value, undefined, "a positive number");
        } else {
            alarms[name as keyof AlarmThresholds] = value;
        }
    }
    for (const percent of ["cpuPercent", "memoryPercent"] as const) {
        if (alarms[percent] > 100) {
            p.add(`alarms.${percent}`, alarms[percent], undefined, "a percentage from 1 to 100");
        }
    }
    if (alarms.periodSeconds % 60 !== 0) {
        p.add("alarms.periodSeconds", alarms.periodSeconds, undefined, "a multiple of 60 (ElastiCache publishes one data point a minute)");
    }
    if (!Number.isInteger(alarms.evaluationPeriods)) {
        p.add("alarms.evaluationPeriods", alarms.evaluationPeriods, undefined, "a whole number of periods");
    }
    return alarms;
}

function validateRoute53(r: Reader, p: Problems): Route53Config | undefined {
    const given = r.object("route53");
    if (!given) {
        return undefined;
    }
    const { zoneId, recordName } = given as Record<string, unknown>;
    if (typeof zoneId !== "string" || !/^Z[A-Z0-9]{4,31}$/.test(zoneId)) {
        p.add("route53.zoneId", zoneId, undefined, "the id of a private hosted zone, such as Z0123456789ABCDEFGHIJ");
    }
    if (typeof recordName !== "string" || !/^[a-z0-9.-]+$/i.test(recordName)) {
        p.add("route53.recordName", recordName, undefined, "a DNS name inside the zone, such as cache-writer.internal.example.com");
    }
    return { zoneId: String(zoneId), recordName: String(recordName) };
}

function stringArray(value: unknown): string[] | undefined {
    if (value === undefined) {
        return [];
    }
    return Array.isArray(value) && value.every((v) => typeof v === "string") ? value : undefined;
}

/** Typed reads of raw values; a value of the wrong type becomes a problem and reads as undefined. */
class Reader {
    constructor(private readonly rawValues: RawConfig, private readonly p: Problems) {}

    has(key: string): boolean {
        return this.rawValues[key] !== undefined;
    }

    raw(key: string): string | undefined {
        return this.rawValues[key];
    }

    string(key: string): string | undefined {
        return this.rawValues[key];
    }

    integer(key: string, fallback: number, min: number, max: number, why?: string): number {
        const text = this.rawValues[key];
        if (text === undefined) {
            return fallback;
        }
        const value = Number(text);
        if (!/^-?\d+$/.test(text.trim()) || value < min || value > max) {
            this.p.add(key, /^-?\d+(\.\d+)?$/.test(text.trim()) ? value : text, why, `a whole number from ${min} to ${max}`);
            return fallback;
        }
        return value;
    }

    boolean(key: string, fallback: boolean): boolean {
        const text = this.rawValues[key];
        if (text === undefined) {
            return fallback;
        }
        if (text !== "true" && text !== "false") {
            this.p.add(key, text, undefined, "true or false");
            return fallback;
        }
        return text === "true";
    }

    private json(key: string, shape: string): unknown {
        const text = this.rawValues[key];
        if (text === undefined) {
            return undefined;
        }
        try {
            return JSON.parse(text);
        } catch {
            this.p.add(key, text, `it is not ${shape}`, shape);
            return undefined;
        }
    }

    list(key: string): unknown[] | undefined {
        const value = this.json(key, "a list");
        if (value === undefined) {
            return undefined;
        }
        if (!Array.isArray(value)) {
            this.p.add(key, value, undefined, "a list");
            return undefined;
        }
        return value;
    }

    stringList(key: string): string[] | undefined {
        const value = this.list(key);
        if (value && !value.every((v) => typeof v === "string")) {
            this.p.add(key, value, undefined, "a list of strings");
            return undefined;
        }
        return value as string[] | undefined;
    }

    object(key: string): Record<string, unknown> | undefined {
        const value = this.json(key, "an object");
        if (value === undefined) {
            return undefined;
        }
        if (typeof value !== "object" || value === null || Array.isArray(value)) {
            this.p.add(key, value, undefined, "an object (a YAML mapping)");
            return undefined;
        }
        return value as Record<string, unknown>;
    }
}
