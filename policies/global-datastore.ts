/**
 * Global Datastore rules: they look across resources, so they are stack rules on the stack's state.
 * Members are found from the datastore's primaryReplicationGroupId and each group's
 * globalReplicationGroupId; in a preview both are often unknown, and the engine's property
 * dependencies tell which resource feeds them (lib/topology.ts). In a stack's first preview every value
 * AWS computes is unknown as well: the rules judge those by the default AWS applies (Settings in
 * lib/props.ts) and report "could not verify" only for a value they need that another resource feeds.
 */
import { PolicyResource } from "@pulumi/policy";
import { MIN_GLOBAL_DATASTORE_VERSION, nodeTypeProblem } from "../components/config/engine";
import { integerOption } from "./lib/config";
import { ENGINE_DEFAULT } from "./lib/defaults";
import { declaredShards, INHERITED_SETTINGS } from "./lib/inherited";
import { alarmShortcomings, LAG_METRIC, watchedShards } from "./lib/lag-alarms";
import { read, Read, stateSettings, unverifiableOf, Unverifiable } from "./lib/props";
import { stackRule, StackCheck } from "./lib/rule";
import { datastoreTopologies, DatastoreTopology, membershipOf, regionOf, UNKNOWN_REGION } from "./lib/topology";
import { TYPES } from "./lib/types";
import { versionAtLeast } from "./lib/versions";

export { LAG_METRIC } from "./lib/lag-alarms";

/** AWS allows a primary and at most two secondary regions. */
export const MAX_SECONDARIES = 2;

function topologiesOrSkip<C>(c: StackCheck<C>): DatastoreTopology[] {
    const topologies = datastoreTopologies(c.resources);
    if (topologies.length === 0) {
        c.args.notApplicable("the stack declares no aws.elasticache.GlobalReplicationGroup");
    }
    return topologies;
}

/**
 * A setting of the datastore as a whole: the datastore's own value, else its primary's (members share
 * engine, version, node type and shard count). Unknown only when neither side is known; `fallback` is
 * what the primary runs when it leaves the setting unset.
 */
function datastoreSetting<T>(t: DatastoreTopology, datastoreKey: string, primaryRead: (primary: PolicyResource) => Read<T>, fallback?: T): Read<T> {
    const own = stateSettings(t.datastore)<T>(datastoreKey);
    if (own.state === "known") {
        return own;
    }
    const fromPrimary = t.primary ? primaryRead(t.primary) : undefined;
    if (fromPrimary?.state === "known") {
        return fromPrimary;
    }
    if (fromPrimary?.state === "absent" && fallback !== undefined) {
        return { state: "known", value: fallback };
    }
    if (own.state === "unknown" || fromPrimary === undefined || fromPrimary.state === "unknown") {
        return { state: "unknown", path: `${datastoreKey} of the datastore${t.primary ? ` and of its primary "${t.primary.name}"` : ""}` };
    }
    return { state: "absent" };
}

/** How to make a datastore setting verifiable at preview. */
function setOnDatastore(key: string): string {
    return `set ${key} on the aws.elasticache.GlobalReplicationGroup (or on its primary) from a literal or stack config`;
}

/**
 * global-datastore-eligibility: node type (M5, M6g, M7g, R5, R6g, R6gd, R7g, C7gn, large or bigger)
 * and engine version (Valkey 7.2+, Redis OSS 5.0.6+) that Global Datastore supports, each read from the
 * datastore, else from its primary. No version anywhere means AWS's current default, which is eligible.
 */
export const globalDatastoreEligibility = stackRule({
    name: "global-datastore-eligibility",
    severity: "high",
    summary: "Global Datastores must use a node type and engine version that Global Datastore supports",
    remediationSteps: "Use a node type of the M5, M6g, M7g, R5, R6g, R6gd, R7g or C7gn family, size large or bigger, and Valkey 7.2+ " +
        "or Redis OSS 5.0.6+; change them on the aws.elasticache.GlobalReplicationGroup (cacheNodeType, engineVersion).",
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        c.forEachOf(topologies, (t) => t.datastore, (t) => {
            const { datastore } = t;
            const unknown: Unverifiable[] = [];
            const nodeType = datastoreSetting<string>(t, "cacheNodeType", (p) => stateSettings(p)("nodeType"));
            if (nodeType.state === "unknown") {
                unknown.push(new Unverifiable(nodeType.path, setOnDatastore("cacheNodeType")));
            } else if (nodeType.state === "known" && nodeTypeProblem(nodeType.value)) {
                c.report(datastore, "use an eligible node type", `uses node type ${nodeType.value}, which ${nodeTypeProblem(nodeType.value)}`,
                    "set cacheNodeType to an M5, M6g, M7g, R5, R6g, R6gd, R7g or C7gn node of size large or bigger");
            }
            const version = datastoreSetting<string>(t, "engineVersion", (p) => stateSettings(p)("engineVersion"));
            const engine = datastoreSetting<string>(t, "engine", (p) => stateSettings(p)("engine"), ENGINE_DEFAULT);
            if (version.state === "unknown") {
                unknown.push(new Unverifiable(version.path, setOnDatastore("engineVersion")));
            } else if (version.state === "known" && engine.state === "unknown") {
                unknown.push(new Unverifiable(engine.path, setOnDatastore("engine")));
            } else if (version.state === "known" && engine.state === "known") {
                const name = engine.value.toLowerCase();
                const floor = (MIN_GLOBAL_DATASTORE_VERSION as Record<string, string>)[name];
                if (floor !== undefined && versionAtLeast(version.value, floor) === false) {
                    c.report(datastore, "run an engine version Global Datastore supports", `runs ${name} ${version.value}; Global Datastore needs ${floor} or later`,
                        `upgrade to ${name} ${floor} or later`);
                }
            }
            if (unknown.length > 0) {
                throw new Unverifiable(unknown.map((u) => u.property).join("; "), unknown.map((u) => u.remedy).join("; "));
            }
        });
    },
});

/**
 * global-datastore-regions: at most two secondaries, and every member in a region of its own. The
 * region comes from each group's `region` input or its provider (lib/topology.ts); a member whose
 * region the pack cannot tell fails, since distinct regions cannot be shown.
 */
export const globalDatastoreRegions = stackRule({
    name: "global-datastore-regions",
    severity: "high",
    summary: "Global Datastores must have at most two secondaries, each in a region distinct from the primary's and from each other",
    remediationSteps: "Keep one replication group per region in the datastore, at most three regions in all, and set region on each " +
        "replication group explicitly.",
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        c.forEachOf(topologies, (t) => t.datastore, ({ datastore, primary, secondaries }) => {
            if (secondaries.length > MAX_SECONDARIES) {
                c.report(datastore, `have at most ${MAX_SECONDARIES} secondaries`, `has ${secondaries.length}: ${secondaries.map((s) => s.name).join(", ")}`,
                    "remove the extra replication groups from the datastore");
            }
            const seen = new Map<string, PolicyResource>();
            for (const member of primary ? [primary, ...secondaries] : secondaries) {
                const region = regionOf(member);
                const first = seen.get(region);
                if (region === UNKNOWN_REGION) {
                    c.report(member, "declare its region", "sets no region and its provider's region is not known, so the pack cannot tell its region apart from the others'",
                        "set region on the replication group");
                } else if (first) {
                    c.report(member, "be the datastore's only member in its region", `is in ${region}, like "${first.name}"`,
                        "move it to a region the datastore does not use yet");
                } else {
                    seen.set(region, member);
                }
            }
        });
    },
});

/**
 * global-datastore-primary-compliant: what the resource rules cannot see. primaryReplicationGroupId
 * names a replication group of this stack; that group does not itself join another datastore (the
 * resource rules skip a group that sets globalReplicationGroupId, so nothing else would check it); and
 * it carries what secondaries inherit (encryption at rest and in transit, required; automatic failover;
 * Multi-AZ; cluster mode), judged on its state with the defaults AWS applies, whatever level the
 * resource rules for those settings run at.
 */
export const globalDatastorePrimaryCompliant = stackRule({
    name: "global-datastore-primary-compliant",
    severity: "high",
    summary: "Global Datastores must have as primary a replication group of the stack that carries the settings secondaries inherit (encryption at rest and in transit, failover, Multi-AZ, cluster mode)",
    remediationSteps: "Point primaryReplicationGroupId at the founding replication group's id (its output, not a typed name), do not let " +
        "that group join another datastore, and set on it atRestEncryptionEnabled, transitEncryptionEnabled with mode \"required\", " +
        "automaticFailoverEnabled, multiAzEnabled and clusterMode \"enabled\".",
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        const datastores = topologies.map((t) => t.datastore);
        c.forEachOf(topologies, (t) => t.datastore, ({ datastore, primary, primaryProblem }) => {
            if (!primary && primaryProblem?.unknown) {
                throw new Unverifiable("primaryReplicationGroupId", "set primaryReplicationGroupId to the founding replication group's id output, so the engine names the group it comes from");
            }
            if (!primary) {
                c.report(datastore, "have its primary replication group in this stack", primaryProblem?.text ?? "has no primary",
                    "set primaryReplicationGroupId to the founding replication group's id output");
            }
        });
        c.forEachOf(topologies.filter((t) => t.primary), (t) => t.primary!, ({ datastore, primary: found }) => {
            const primary = found!;
            const membership = membershipOf(primary, datastores);
            if (membership.joins === "outside" || (membership.joins === "stack" && membership.datastore !== datastore)) {
                const other = membership.joins === "outside" ? membership.id : membership.datastore.name;
                c.report(primary, "not be a secondary itself", `is the primary of "${datastore.name}" but joins Global Datastore "${other}"`,
                    "remove globalReplicationGroupId from it, or make another replication group the primary");
                return;
            }
            const settings = stateSettings(primary);
            const missing: string[] = [];
            const unknown: string[] = [];
            for (const setting of INHERITED_SETTINGS) {
                try {
                    if (!setting.judge(settings).ok) {
                        missing.push(setting.required);
                    }
                } catch (e) {
                    const u = unverifiableOf(e);
                    if (u === undefined) {
                        throw e;
                    }
                    unknown.push(u.property);
                }
            }
            if (missing.length > 0) {
                c.report(primary, "carry the settings its Global Datastore secondaries inherit", `is the datastore's primary but lacks ${missing.join(", ")}`,
                    `set ${missing.join(", ")} on it`);
            }
            if (unknown.length > 0) {
                throw new Unverifiable(unknown.join(", "));
            }
        });
    },
});

export interface LagAlarmsConfig {
    /** Highest alarm threshold, in seconds, that still counts as watching the lag. Default: 60. */
    maxThresholdSeconds: number;
}

/** Shards of every member: the datastore's numNodeGroups, else what its primary declares (1 when nothing). */
function shardCountOf(t: DatastoreTopology): Read<number> {
    return datastoreSetting<number>(t, "numNodeGroups", (p) => declaredShards(stateSettings(p)), 1);
}

function shardList(shards: number[]): string {
    return `${shards.length === 1 ? "shard" : "shards"} ${shards.map((s) => String(s).padStart(4, "0")).join(", ")}`;
}

/** What each alarm of the secondary's region contributes to watching its shards. */
interface Coverage {
    all: boolean;
    covered: Set<number>;
    /** Alarms that watch a shard but would not warn anyone, with why: `"name" (reason, reason)`. */
    rejected: { shards: "all" | Set<number>; text: string }[];
    /** Alarms that might watch a shard but cannot be read: "any" when even their metrics are unknown. */
    unreadable: { shards: "any" | "all" | Set<number>; property: string }[];
}

function coverageOf(secondary: PolicyResource, alarms: PolicyResource[], maxThresholdSeconds: number): Coverage {
    const groupId = read<string>(secondary.props, "replicationGroupId");
    const id = groupId.state === "known" ? groupId.value : undefined;
    const coverage: Coverage = { all: false, covered: new Set(), rejected: [], unreadable: [] };
    const region = regionOf(secondary);
    for (const alarm of alarms.filter((a) => regionOf(a) === region)) {
        let shards: "any" | "all" | Set<number> = "any";
        try {
            shards = watchedShards(alarm, id);
            if (shards !== "all" && shards.size === 0) {
                continue;
            }
            const shortcomings = alarmShortcomings(alarm, maxThresholdSeconds);
            if (shortcomings.length > 0) {
                coverage.rejected.push({ shards, text: `"${alarm.name}" (${shortcomings.join(", ")})` });
            } else if (shards === "all") {
                coverage.all = true;
            } else {
                shards.forEach((s) => coverage.covered.add(s));
            }
        } catch (e) {
            // One unreadable alarm must not hide another that watches the same shard.
            const u = unverifiableOf(e);
            if (u === undefined) {
                throw e;
            }
            coverage.unreadable.push({ shards, property: `${u.property} of alarm "${alarm.name}"` });
        }
    }
    return coverage;
}

function touches(shards: "any" | "all" | Set<number>, shard: number): boolean {
    return shards === "any" || shards === "all" || shards.has(shard);
}

/**
 * global-datastore-lag-alarms: every shard of every secondary has a CloudWatch alarm on
 * GlobalDatastoreReplicationLag in the secondary's region, on that shard's nodes, that fires on high
 * lag (a GreaterThan* comparison), with a threshold of at most maxThresholdSeconds (default 60) and
 * alarm actions. The shard count is the datastore's (or its primary's) numNodeGroups. While a
 * secondary's replicationGroupId is unknown, any node name of its region counts for its shard.
 */
export const globalDatastoreLagAlarms = stackRule<LagAlarmsConfig>({
    name: "global-datastore-lag-alarms",
    severity: "medium",
    summary: "Global Datastore secondaries must have, in their own region, a CloudWatch alarm with actions on the GlobalDatastoreReplicationLag of every shard",
    remediationSteps: "In each secondary's region, declare one aws.cloudwatch.MetricAlarm per shard on AWS/ElastiCache GlobalDatastoreReplicationLag " +
        "of that shard's nodes (CacheClusterId <group id>-<shard>-<node>), with a GreaterThanThreshold comparison and an action to the " +
        "region's alarm topic.",
    configSchema: {
        properties: {
            maxThresholdSeconds: integerOption("Highest threshold, in seconds, that still counts as watching the lag. Default: 60.", 60, 1, 86400),
        },
    },
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        const alarms = c.resources.filter((r) => r.type === TYPES.metricAlarm);
        for (const topology of topologies) {
            const shardCount = shardCountOf(topology);
            c.forEach(topology.secondaries, (secondary) => {
                const coverage = coverageOf(secondary, alarms, c.config.maxThresholdSeconds);
                if (coverage.all) {
                    return;
                }
                const seen = [...coverage.covered, ...coverage.rejected.flatMap((r) => (r.shards === "all" ? [] : [...r.shards]))];
                const count = shardCount.state === "known" ? shardCount.value : Math.max(1, ...seen);
                const uncovered = Array.from({ length: count }, (_, i) => i + 1).filter((s) => !coverage.covered.has(s));
                // A shard no readable or unreadable alarm could watch is a violation, whatever else is unknown.
                const gaps = uncovered.filter((s) => !coverage.unreadable.some((u) => touches(u.shards, s)));
                if (gaps.length > 0) {
                    const region = regionOf(secondary);
                    const rejected = coverage.rejected.filter((r) => gaps.some((s) => touches(r.shards, s))).map((r) => r.text);
                    c.report(secondary, `have a ${LAG_METRIC} alarm on every shard`,
                        `has none for ${shardList(gaps)}${shardCount.state === "known" ? ` (of ${count})` : ""}${rejected.length > 0 ? `; not counted: ${rejected.join(", ")}` : ""}`,
                        `declare, in ${region}, an aws.cloudwatch.MetricAlarm on ${LAG_METRIC} of each missing shard's nodes with comparisonOperator ` +
                        `GreaterThanThreshold, a threshold of ${c.config.maxThresholdSeconds}s or less and alarmActions`);
                    return;
                }
                if (uncovered.length > 0) {
                    throw new Unverifiable(coverage.unreadable.filter((u) => uncovered.some((s) => touches(u.shards, s))).map((u) => u.property).join(", "));
                }
                if (shardCount.state === "unknown") {
                    throw new Unverifiable(shardCount.path, setOnDatastore("numNodeGroups"));
                }
            });
        }
    },
});
