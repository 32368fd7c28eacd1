/** Running the cache: patching, supported versions, logs, events, and protection from deletion. */
import { PolicyResource } from "@pulumi/policy";
import { skipMemcached, skipReplicationGroupMember, skipSecondary } from "./lib/applicability";
import { REQUIRE_EXPLICIT, stringListOption } from "./lib/config";
import { AUTO_MINOR_VERSION_UPGRADE_DEFAULT, DEFAULT_MIN_ENGINE_VERSION } from "./lib/defaults";
import { known, knownList, presence } from "./lib/props";
import { resourceRule, stackRule } from "./lib/rule";
import { engineOf } from "./lib/topology";
import { TYPES } from "./lib/types";
import { VERSION_PATTERN, versionAtLeast } from "./lib/versions";

export interface AutoMinorVersionUpgradeConfig {
    /** Reject leaving autoMinorVersionUpgrade to the provider default (true). Default: false. */
    requireExplicit: boolean;
}

/** elasticache-auto-minor-version-upgrade: autoMinorVersionUpgrade not false. Option: requireExplicit (default false). */
export const autoMinorVersionUpgrade = resourceRule<AutoMinorVersionUpgradeConfig>({
    name: "elasticache-auto-minor-version-upgrade",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must apply minor engine upgrades automatically in the maintenance window",
    remediationSteps: "Remove autoMinorVersionUpgrade: false (the default is true) or set it to true.",
    configSchema: { properties: { requireExplicit: REQUIRE_EXPLICIT } },
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipReplicationGroupMember(c);
        const upgrade = known<boolean>(c.props, "autoMinorVersionUpgrade");
        if (upgrade === false) {
            c.report("upgrade minor versions automatically", "sets autoMinorVersionUpgrade: false, so security patches wait for someone",
                "set autoMinorVersionUpgrade: true");
        } else if (upgrade === undefined && c.config.requireExplicit) {
            c.report("set autoMinorVersionUpgrade explicitly (requireExplicit is on)", `leaves it to the provider default (${AUTO_MINOR_VERSION_UPGRADE_DEFAULT})`,
                "set autoMinorVersionUpgrade: true");
        }
    },
});

export interface EngineVersionConfig {
    /** Oldest Redis OSS version allowed. Default: "6.2". */
    minRedisVersion: string;
    /** Oldest Valkey version allowed. Default: "7.2". */
    minValkeyVersion: string;
    /** Reject leaving engineVersion unset (AWS then picks its current default). Default: false. */
    requireExplicit: boolean;
}

/**
 * elasticache-engine-version: engineVersion at or above a floor per engine (defaults: redis 6.2,
 * valkey 7.2). Secondaries take the datastore's version. Unset means AWS's current default, which
 * passes unless requireExplicit.
 */
export const engineVersion = resourceRule<EngineVersionConfig>({
    name: "elasticache-engine-version",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must run an engine version at or above the configured floor for their engine",
    remediationSteps: "Upgrade engineVersion (with a matching parameter group for a major upgrade); for a Global Datastore, upgrade " +
        "through the aws.elasticache.GlobalReplicationGroup's engineVersion.",
    configSchema: {
        properties: {
            minRedisVersion: { type: "string", pattern: VERSION_PATTERN, default: DEFAULT_MIN_ENGINE_VERSION.redis, description: `Oldest Redis OSS version allowed. Default: "${DEFAULT_MIN_ENGINE_VERSION.redis}".` },
            minValkeyVersion: { type: "string", pattern: VERSION_PATTERN, default: DEFAULT_MIN_ENGINE_VERSION.valkey, description: `Oldest Valkey version allowed. Default: "${DEFAULT_MIN_ENGINE_VERSION.valkey}".` },
            requireExplicit: REQUIRE_EXPLICIT,
        },
    },
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipSecondary(c);
        skipReplicationGroupMember(c);
        const engine = engineOf(c.props);
        if (engine !== "redis" && engine !== "valkey") {
            c.notApplicable(`"${c.subject.name}" runs ${engine}; the rule sets floors for redis and valkey only`);
        }
        const floor = engine === "valkey" ? c.config.minValkeyVersion : c.config.minRedisVersion;
        const version = known<string>(c.props, "engineVersion");
        if (version === undefined) {
            if (c.config.requireExplicit) {
                c.report("pin engineVersion (requireExplicit is on)", "leaves it to AWS's current default", `set engineVersion to ${floor} or later`);
            }
            return;
        }
        const atLeast = versionAtLeast(version, floor);
        if (atLeast === undefined) {
            c.report("run a known engine version", `sets engineVersion "${version}", which is not a version (expected "7.1", "6.2.6" or "6.x")`,
                `set engineVersion to ${floor} or later`);
        } else if (!atLeast) {
            c.report(`run ${engine} ${floor} or later`, `runs ${engine} ${version}`, `upgrade engineVersion to ${floor} or later`);
        }
    },
});

export interface LogDeliveryConfig {
    /** Log types that must be delivered. Default: ["slow-log", "engine-log"]. */
    requiredLogTypes: string[];
}

/** elasticache-log-delivery: logDeliveryConfigurations deliver every requiredLogTypes (default slow-log and engine-log). */
export const logDelivery = resourceRule<LogDeliveryConfig>({
    name: "elasticache-log-delivery",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must deliver their slow log and engine log to CloudWatch Logs or Kinesis Data Firehose",
    remediationSteps: "Add one logDeliveryConfigurations entry per log type (logType \"slow-log\" and \"engine-log\"), each to an encrypted " +
        "CloudWatch log group with a retention.",
    configSchema: {
        properties: {
            requiredLogTypes: stringListOption("Log types that must be delivered. Default: [\"slow-log\", \"engine-log\"].", ["slow-log", "engine-log"], "^(slow-log|engine-log)$"),
        },
    },
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipReplicationGroupMember(c);
        skipMemcached(c);
        const delivered = knownList<Record<string, unknown>>(c.props, "logDeliveryConfigurations").map((d) => known<string>(d, "logType"));
        const missing = c.config.requiredLogTypes.filter((t) => !delivered.includes(t));
        if (missing.length > 0) {
            c.report(`deliver ${c.config.requiredLogTypes.join(" and ")}`, `does not deliver ${missing.join(" or ")}`,
                `add logDeliveryConfigurations entries with logType ${missing.map((t) => `"${t}"`).join(" and ")}`);
        }
    },
});

/** elasticache-event-notifications: notificationTopicArn set, so failovers and maintenance reach someone. */
export const eventNotifications = resourceRule({
    name: "elasticache-event-notifications",
    severity: "low",
    summary: "ElastiCache replication groups and clusters must send their events (failovers, maintenance, snapshots) to an SNS topic",
    remediationSteps: "Create an encrypted SNS topic in the cache's region and set notificationTopicArn to its ARN.",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipReplicationGroupMember(c);
        if (presence(c.props, "notificationTopicArn") === "absent") {
            c.report("send events to an SNS topic", "sets no notificationTopicArn, so failovers and node replacements go unnoticed",
                "set notificationTopicArn to an SNS topic in the same region");
        }
    },
});

/** Resource types whose deletion loses data or the keys to it. */
export const STATEFUL_TYPES = [TYPES.replicationGroup, TYPES.globalDatastore, TYPES.kmsKey] as const;

/**
 * stateful-resources-protected: replication groups, Global Datastores and KMS keys carry the
 * `protect` resource option, so neither `pulumi destroy` nor a replacing change deletes them unasked.
 */
export const statefulResourcesProtected = stackRule({
    name: "stateful-resources-protected",
    severity: "high",
    summary: "Replication groups, Global Datastores and KMS keys must carry the protect resource option",
    remediationSteps: "Add { protect: true } to the resource options of every replication group, global replication group and KMS key; " +
        "remove it deliberately (pulumi state unprotect) when a deletion is intended.",
    check: ({ resources, report }) => {
        const unprotected = resources.filter((r: PolicyResource) => (STATEFUL_TYPES as readonly string[]).includes(r.type) && !r.opts?.protect);
        for (const resource of unprotected) {
            report(resource, "be protected from deletion", "lacks the protect resource option",
                "add protect: true to its resource options");
        }
    },
});
