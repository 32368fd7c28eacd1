/**
 * What ElastiCache accepts for a Global Datastore: engines, versions, node types, and the default
 * cluster-mode parameter group of each engine family.
 */

export type Engine = "valkey" | "redis";
export const ENGINES: readonly Engine[] = ["valkey", "redis"];

/** Global Datastore needs Valkey 7.2+ or Redis OSS 5.0.6+. */
export const MIN_GLOBAL_DATASTORE_VERSION: Record<Engine, string> = { valkey: "7.2", redis: "5.0.6" };

export const DEFAULT_ENGINE_VERSION: Record<Engine, string> = { valkey: "8.0", redis: "7.1" };

const VERSION_PATTERN = /^(\d+)\.(\d+)(?:\.(\d+))?$/;

export function parseVersion(version: string): [number, number, number] | undefined {
    const m = VERSION_PATTERN.exec(version);
    if (!m) {
        return undefined;
    }
    return [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)];
}

/** Negative when a < b, zero when equal, positive when a > b. Both must parse. */
export function compareVersions(a: string, b: string): number {
    const va = parseVersion(a);
    const vb = parseVersion(b);
    if (!va || !vb) {
        throw new Error(`cannot compare versions "${a}" and "${b}"`);
    }
    for (let i = 0; i < 3; i++) {
        if (va[i] !== vb[i]) {
            return va[i] - vb[i];
        }
    }
    return 0;
}

/** RBAC (users and user groups) exists for Valkey and for Redis OSS 6.0 onwards. */
export function supportsRbac(engine: Engine, version: string): boolean {
    return engine === "valkey" || compareVersions(version, "6.0") >= 0;
}

export const GLOBAL_DATASTORE_FAMILIES = ["m5", "m6g", "m7g", "r5", "r6g", "r6gd", "r7g", "c7gn"] as const;
const NODE_TYPE_PATTERN = /^cache\.([a-z0-9]+)\.((?:\d*x)?large|medium|small|micro|nano)$/;

/** Why a node type cannot serve a Global Datastore, or undefined when it can. */
export function nodeTypeProblem(nodeType: string): string | undefined {
    const m = NODE_TYPE_PATTERN.exec(nodeType);
    if (!m) {
        return "is not an ElastiCache node type (cache.<family>.<size>)";
    }
    const [, family, size] = m;
    if (family.startsWith("t")) {
        return "is a burstable t-family node type, which cannot join a Global Datastore";
    }
    if (!(GLOBAL_DATASTORE_FAMILIES as readonly string[]).includes(family)) {
        return `is of family ${family}, which Global Datastore does not support`;
    }
    if (!/^(\d*x)?large$/.test(size)) {
        return `is of size ${size}; Global Datastore needs large or bigger`;
    }
    if (family === "r6gd" && size === "large") {
        return "is not offered: data-tiering r6gd nodes start at xlarge";
    }
    return undefined;
}

/** r6gd nodes tier data to SSD and must be created with data tiering on. */
export function usesDataTiering(nodeType: string): boolean {
    return nodeType.startsWith("cache.r6gd.");
}

/**
 * Why this program refuses a node type that Global Datastore itself accepts, or undefined. Only r6gd:
 * the ReplicationGroup type docs say dataTieringEnabled "must be set to true when using r6gd nodes",
 * but a joining secondary sends no node type (it inherits it; AWS answers InvalidParameterCombination
 * to one that does), and no AWS page or provider issue says whether a secondary must, may or must not
 * send dataTieringEnabled. A wrong guess fails the secondary's creation after the founder and the
 * datastore exist, and dataTieringEnabled replaces the group when it changes, so it cannot be
 * corrected in place later.
 */
export function programNodeTypeProblem(nodeType: string): string | undefined {
    return usesDataTiering(nodeType)
        ? "r6gd nodes tier data to SSD, and AWS documents data tiering only for a replication group created with its own node type, " +
            "not for the secondaries that join a Global Datastore (whether they must send dataTieringEnabled is undocumented), " +
            "so this program does not deploy them"
        : undefined;
}

/** The node families this program deploys: Global Datastore's, without r6gd (see programNodeTypeProblem). */
export const PROGRAM_NODE_FAMILIES = GLOBAL_DATASTORE_FAMILIES.filter((family) => family !== "r6gd");

/**
 * The default parameter group with cluster mode on for an engine version. Cluster mode enabled needs
 * `cluster-enabled yes`, which the engine's plain default group does not have.
 */
export function clusterParameterGroup(engine: Engine, version: string): string {
    const v = parseVersion(version);
    if (!v) {
        throw new Error(`invalid engine version "${version}"`);
    }
    const [major, minor] = v;
    if (engine === "valkey") {
        return `default.valkey${major}.cluster.on`;
    }
    if (major >= 7) {
        return "default.redis7.cluster.on";
    }
    if (major === 6) {
        return "default.redis6.x.cluster.on";
    }
    return `default.redis${major}.${minor}.cluster.on`;
}
