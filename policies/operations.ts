/** Running the cache: patching, supported versions, logs, events, and protection from deletion. */
import { PolicyResource, ResourceValidationPolicy, StackValidationPolicy } from "@pulumi/policy";
import { skipMemcached, skipReplicationGroupMember, skipSecondary } from "./lib/applicability";
import { REQUIRE_EXPLICIT, stringListOption } from "./lib/config";
import { AUTO_MINOR_VERSION_UPGRADE_DEFAULT, DEFAULT_MIN_ENGINE_VERSION } from "./lib/defaults";
import { known, knownList, knownSwitch, presence, read, stateSettings } from "./lib/props";
import { RuleSpec, resourceRule, stackRule } from "./lib/rule";
import { dependenciesOf, engineOf, knownString } from "./lib/topology";
import { TYPES } from "./lib/types";
import { VERSION_PATTERN, versionAtLeast } from "./lib/versions";

export interface AutoMinorVersionUpgradeConfig {
    /** Reject leaving autoMinorVersionUpgrade to the provider default (true). Default: false. */
    requireExplicit: boolean;
}

/**
 * elasticache-auto-minor-version-upgrade: autoMinorVersionUpgrade not off, read in its v7 form (a
 * boolean on replication groups, the string "true"/"false" on clusters). Memcached is not applicable:
 * the setting is "Only supported for engine type redis" (ClusterArgs docs, @pulumi/aws v7) and Valkey.
 * Option: requireExplicit (default false).
 */
export const autoMinorVersionUpgrade = resourceRule<AutoMinorVersionUpgradeConfig>({
    name: "elasticache-auto-minor-version-upgrade",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must apply minor engine upgrades automatically in the maintenance window",
    remediationSteps: "Remove autoMinorVersionUpgrade: false (the default is true) or set it to true; on an aws.elasticache.Cluster, " +
        "where @pulumi/aws v7 types it as a string, set it to \"true\".",
    configSchema: { properties: { requireExplicit: REQUIRE_EXPLICIT } },
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipReplicationGroupMember(c);
        skipMemcached(c);
        const on = c.args.type === TYPES.cluster ? "autoMinorVersionUpgrade: \"true\"" : "autoMinorVersionUpgrade: true";
        const upgrade = knownSwitch(c.props, "autoMinorVersionUpgrade");
        if (upgrade.state === "off") {
            c.report("upgrade minor versions automatically", `sets autoMinorVersionUpgrade: ${upgrade.written}, so security patches wait for someone`, `set ${on}`);
        } else if (upgrade.state === "invalid") {
            c.report("upgrade minor versions automatically", `sets autoMinorVersionUpgrade: ${upgrade.written}, which is not "true" or "false"`, `set ${on}`);
        } else if (upgrade.state === "absent" && c.config.requireExplicit) {
            c.report("set autoMinorVersionUpgrade explicitly (requireExplicit is on)", `leaves it to the provider default (${AUTO_MINOR_VERSION_UPGRADE_DEFAULT})`,
                `set ${on}`);
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

const EVENT_NOTIFICATIONS: RuleSpec = {
    name: "elasticache-event-notifications",
    severity: "low",
    summary: "ElastiCache replication groups and clusters must send their events (failovers, maintenance, snapshots) to an unencrypted SNS topic",
    remediationSteps: "Create an SNS topic without server-side encryption (no kmsMasterKeyId) in the cache's account and region, whose access " +
        "policy allows SNS:Publish under the aws:SourceOwner condition (not aws:SourceAccount), and set notificationTopicArn to its ARN.",
};

/**
 * The SNS topic of the stack that a group's notificationTopicArn names: by ARN once both are known, by
 * the engine's property dependencies while they are unknown (a first preview). Undefined when the
 * group names a topic outside the stack, or none.
 */
function topicNamedBy(group: PolicyResource, topics: PolicyResource[]): PolicyResource | undefined {
    const arn = read<string>(group.props, "notificationTopicArn");
    if (arn.state === "known") {
        return topics.find((t) => knownString(t.props, "arn") === arn.value || knownString(t.props, "id") === arn.value);
    }
    const feeders = arn.state === "unknown" ? dependenciesOf(group, "notificationTopicArn", TYPES.snsTopic) : [];
    return feeders.length === 1 ? feeders[0] : undefined;
}

/**
 * elasticache-event-notifications: notificationTopicArn set (on each resource), and not an encrypted
 * topic of the stack (on the stack, the only place that shows what the topic is). ElastiCache guide,
 * "Event Notifications and Amazon SNS": the topic cannot be encrypted; an encrypted topic shows as
 * inactive, which disassociates it, and no event reaches anyone. The engine runs validateResource in
 * its per-resource analysis and validateStack in its stack analysis, so one rule does both.
 */
export const eventNotifications: ResourceValidationPolicy & StackValidationPolicy = {
    ...resourceRule({
        ...EVENT_NOTIFICATIONS,
        types: [TYPES.replicationGroup, TYPES.cluster],
        check: (c) => {
            skipReplicationGroupMember(c);
            if (presence(c.props, "notificationTopicArn") === "absent") {
                c.report("send events to an SNS topic", "sets no notificationTopicArn, so failovers and node replacements go unnoticed",
                    "set notificationTopicArn to an unencrypted SNS topic in the same region");
            }
        },
    }),
    validateStack: stackRule({
        ...EVENT_NOTIFICATIONS,
        check: ({ resources, report, forEach }) => {
            const topics = resources.filter((r) => r.type === TYPES.snsTopic);
            // A node of a replication group takes its topic from the group, which is checked itself.
            const caches = resources.filter((r) => r.type === TYPES.replicationGroup ||
                (r.type === TYPES.cluster && presence(r.props, "replicationGroupId") === "absent"));
            forEach(caches, (cache) => {
                const topic = topicNamedBy(cache, topics);
                // An unknown key fed by another resource is still a key (stateSettings: unfed unknowns are AWS's default, none).
                if (topic && stateSettings(topic)("kmsMasterKeyId").state !== "absent") {
                    report(cache, "send events to an unencrypted SNS topic",
                        `sends them to "${topic.name}", which is encrypted (kmsMasterKeyId is set): ElastiCache cannot publish to an encrypted topic ` +
                        "and shows it as inactive, so no event reaches anyone",
                        "point notificationTopicArn at an SNS topic without kmsMasterKeyId whose access policy allows SNS:Publish under aws:SourceOwner");
                }
            });
        },
    }).validateStack,
};

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
