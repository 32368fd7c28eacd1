/**
 * Global Datastore rules: they look across resources, so they are stack rules. Members are found from
 * the datastore's primaryReplicationGroupId and each group's globalReplicationGroupId; during a
 * preview both are often unknown, and the engine's property dependencies tell which resource feeds
 * them (see lib/topology.ts).
 */
import { PolicyResource } from "@pulumi/policy";
import { MIN_GLOBAL_DATASTORE_VERSION, nodeTypeProblem } from "../components/config/engine";
import { integerOption } from "./lib/config";
import { AT_REST_ENCRYPTION_DEFAULT } from "./lib/defaults";
import { known, knownList, read, unknownPropertyOf, Unverifiable } from "./lib/props";
import { stackRule, StackCheck } from "./lib/rule";
import { datastoreTopologies, DatastoreTopology, engineOf, regionOf, UNKNOWN_REGION } from "./lib/topology";
import { TYPES } from "./lib/types";
import { versionAtLeast } from "./lib/versions";

/** AWS allows a primary and at most two secondary regions. */
export const MAX_SECONDARIES = 2;
export const LAG_METRIC = "GlobalDatastoreReplicationLag";

function topologiesOrSkip<C>(c: StackCheck<C>): DatastoreTopology[] {
    const topologies = datastoreTopologies(c.resources);
    if (topologies.length === 0) {
        c.args.notApplicable("the stack declares no aws.elasticache.GlobalReplicationGroup");
    }
    return topologies;
}

/**
 * global-datastore-eligibility: node type (M5, M6g, M7g, R5, R6g, R6gd, R7g, C7gn, large or bigger)
 * and engine version (Valkey 7.2+, Redis OSS 5.0.6+) that Global Datastore supports. Read from the
 * datastore, else from its primary.
 */
export const globalDatastoreEligibility = stackRule({
    name: "global-datastore-eligibility",
    severity: "high",
    summary: "Global Datastores must use a node type and engine version that Global Datastore supports",
    remediationSteps: "Use a node type of the M5, M6g, M7g, R5, R6g, R6gd, R7g or C7gn family, size large or bigger, and Valkey 7.2+ " +
        "or Redis OSS 5.0.6+; change them on the aws.elasticache.GlobalReplicationGroup (cacheNodeType, engineVersion).",
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        c.forEach(topologies.map((t) => t.datastore), (datastore) => {
            const { primary } = topologies.find((t) => t.datastore === datastore)!;
            const nodeType = known<string>(datastore.props, "cacheNodeType") ?? (primary && known<string>(primary.props, "nodeType"));
            const problem = nodeType === undefined ? undefined : nodeTypeProblem(nodeType);
            if (problem) {
                c.report(datastore, "use an eligible node type", `uses node type ${nodeType}, which ${problem}`,
                    "set cacheNodeType to an M5, M6g, M7g, R5, R6g, R6gd, R7g or C7gn node of size large or bigger");
            }
            const engine = known<string>(datastore.props, "engine") ?? (primary ? engineOf(primary.props) : undefined);
            const version = known<string>(datastore.props, "engineVersion") ?? (primary && known<string>(primary.props, "engineVersion"));
            if ((engine === "redis" || engine === "valkey") && version !== undefined) {
                const floor = MIN_GLOBAL_DATASTORE_VERSION[engine];
                if (versionAtLeast(version, floor) === false) {
                    c.report(datastore, "run an engine version Global Datastore supports", `runs ${engine} ${version}; Global Datastore needs ${floor} or later`,
                        `upgrade to ${engine} ${floor} or later`);
                }
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
        c.forEach(topologies.map((t) => t.datastore), (datastore) => {
            const { primary, secondaries } = topologies.find((t) => t.datastore === datastore)!;
            if (secondaries.length > MAX_SECONDARIES) {
                c.report(datastore, `have at most ${MAX_SECONDARIES} secondaries`, `has ${secondaries.length}: ${secondaries.map((s) => s.name).join(", ")}`,
                    "remove the extra replication groups from the datastore");
            }
            const seen = new Map<string, PolicyResource>();
            for (const member of primary ? [primary, ...secondaries] : secondaries) {
                const region = regionOf(member);
                const first = seen.get(region);
                if (region === UNKNOWN_REGION) {
                    c.report(member, "declare its region", "sets no region and has no provider with one, so the pack cannot tell its region apart from the others'",
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

/** What the datastore's primary must carry, because secondaries inherit it and cannot set it. */
function missingInheritedSettings(primary: PolicyResource): string[] {
    const p = primary.props;
    const engine = engineOf(p);
    const atRest = known<boolean>(p, "atRestEncryptionEnabled");
    const mode = known<string>(p, "transitEncryptionMode");
    const checks: [boolean, string][] = [
        [atRest === true || (atRest === undefined && (engine === "valkey" || engine === "redis") && AT_REST_ENCRYPTION_DEFAULT[engine]), "atRestEncryptionEnabled: true"],
        [known<boolean>(p, "transitEncryptionEnabled") === true, "transitEncryptionEnabled: true"],
        [mode === undefined || mode === "required", "transitEncryptionMode: \"required\""],
        [known<boolean>(p, "automaticFailoverEnabled") === true, "automaticFailoverEnabled: true"],
        [known<boolean>(p, "multiAzEnabled") === true, "multiAzEnabled: true"],
        [known<string>(p, "clusterMode") === "enabled", "clusterMode: \"enabled\""],
    ];
    return checks.filter(([ok]) => !ok).map(([, setting]) => setting);
}

/**
 * global-datastore-primary-compliant: primaryReplicationGroupId names a replication group of this
 * stack, and that group carries what secondaries inherit: encryption at rest and in transit
 * (required), automatic failover, Multi-AZ and cluster mode.
 */
export const globalDatastorePrimaryCompliant = stackRule({
    name: "global-datastore-primary-compliant",
    severity: "high",
    summary: "Global Datastores must have as primary a replication group of the stack that carries the settings secondaries inherit (encryption at rest and in transit, failover, Multi-AZ, cluster mode)",
    remediationSteps: "Point primaryReplicationGroupId at the founding replication group's id (its output, not a typed name) and set on " +
        "that group atRestEncryptionEnabled, transitEncryptionEnabled with mode \"required\", automaticFailoverEnabled, multiAzEnabled " +
        "and clusterMode \"enabled\".",
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        c.forEach(topologies.map((t) => t.datastore), (datastore) => {
            const { primary, primaryProblem } = topologies.find((t) => t.datastore === datastore)!;
            if (!primary) {
                if (primaryProblem?.unknown) {
                    throw new Unverifiable("primaryReplicationGroupId");
                }
                c.report(datastore, "have its primary replication group in this stack", primaryProblem?.text ?? "has no primary",
                    "set primaryReplicationGroupId to the founding replication group's id output");
            }
        });
        c.forEach(topologies.flatMap((t) => (t.primary ? [t.primary] : [])), (primary) => {
            const missing = missingInheritedSettings(primary);
            if (missing.length > 0) {
                c.report(primary, "carry the settings its Global Datastore secondaries inherit", `is the datastore's primary but lacks ${missing.join(", ")}`,
                    `set ${missing.join(", ")} on it`);
            }
        });
    },
});

export interface LagAlarmsConfig {
    /** Highest alarm threshold, in seconds, that still counts as watching the lag. Default: 60. */
    maxThresholdSeconds: number;
}

/** Dimension sets of the alarm's GlobalDatastoreReplicationLag metrics, direct or inside metricQueries. */
function lagDimensions(alarm: PolicyResource): Record<string, unknown>[] {
    const found: Record<string, unknown>[] = [];
    if (known<string>(alarm.props, "metricName") === LAG_METRIC) {
        found.push(known<Record<string, unknown>>(alarm.props, "dimensions") ?? {});
    }
    for (const query of knownList<Record<string, unknown>>(alarm.props, "metricQueries")) {
        const metric = known<Record<string, unknown>>(query, "metric");
        if (metric && known<string>(metric, "metricName") === LAG_METRIC) {
            found.push(known<Record<string, unknown>>(metric, "dimensions") ?? {});
        }
    }
    return found;
}

/** CloudWatch names a node `<replication group id>-<shard>-<node>` in its CacheClusterId dimension. */
function watches(dimensions: Record<string, unknown>, replicationGroupId: string | undefined): boolean {
    if (replicationGroupId === undefined) {
        return true;
    }
    const node = known<string>(dimensions, "CacheClusterId");
    const group = known<string>(dimensions, "ReplicationGroupId");
    return group === replicationGroupId || node === replicationGroupId || (node?.startsWith(`${replicationGroupId}-`) ?? false);
}

/**
 * global-datastore-lag-alarms: every secondary has a CloudWatch alarm on GlobalDatastoreReplicationLag
 * in its own region, on its own nodes, with a threshold of at most maxThresholdSeconds (default 60).
 * A secondary whose replicationGroupId is not set accepts any lag alarm in its region.
 */
export const globalDatastoreLagAlarms = stackRule<LagAlarmsConfig>({
    name: "global-datastore-lag-alarms",
    severity: "medium",
    summary: "Global Datastore secondaries must each have a CloudWatch alarm on GlobalDatastoreReplicationLag in their own region",
    remediationSteps: "In each secondary's region, declare an aws.cloudwatch.MetricAlarm on AWS/ElastiCache GlobalDatastoreReplicationLag " +
        "for the secondary's nodes (CacheClusterId <group id>-<shard>-<node>), with an action to the region's alarm topic.",
    configSchema: {
        properties: {
            maxThresholdSeconds: integerOption("Highest threshold, in seconds, that still counts as watching the lag. Default: 60.", 60, 1, 86400),
        },
    },
    check: (c) => {
        const topologies = topologiesOrSkip(c);
        const alarms = c.resources.filter((r) => r.type === TYPES.metricAlarm);
        c.forEach(topologies.flatMap((t) => t.secondaries), (secondary) => {
            const region = regionOf(secondary);
            const groupId = read<string>(secondary.props, "replicationGroupId");
            const id = groupId.state === "known" ? groupId.value : undefined;
            let unverified: string | undefined;
            let tooHigh: { alarm: PolicyResource; threshold: number } | undefined;
            for (const alarm of alarms.filter((a) => regionOf(a) === region)) {
                try {
                    if (!lagDimensions(alarm).some((d) => watches(d, id))) {
                        continue;
                    }
                    const threshold = known<number>(alarm.props, "threshold");
                    if (threshold !== undefined && threshold > c.config.maxThresholdSeconds) {
                        tooHigh = { alarm, threshold };
                        continue;
                    }
                    return; // watched
                } catch (e) {
                    // One unreadable alarm must not hide another that watches the secondary.
                    const property = unknownPropertyOf(e);
                    if (property === undefined) {
                        throw e;
                    }
                    unverified = `${property} of alarm "${alarm.name}"`;
                }
            }
            if (unverified !== undefined) {
                throw new Unverifiable(unverified);
            }
            c.report(secondary, `have a ${LAG_METRIC} alarm in its region`, tooHigh
                ? `is watched only by "${tooHigh.alarm.name}", whose threshold ${tooHigh.threshold}s is above maxThresholdSeconds (${c.config.maxThresholdSeconds}s)`
                : `has no alarm on ${LAG_METRIC} for its nodes in ${region}`,
            `declare an aws.cloudwatch.MetricAlarm in ${region} on ${LAG_METRIC} for its nodes, threshold ${c.config.maxThresholdSeconds}s or less`);
        });
    },
});
