/** Encryption at rest and in transit. */
import { skipReplicationGroupMember, skipSecondary } from "./lib/applicability";
import { booleanOption, REQUIRE_EXPLICIT, stringListOption } from "./lib/config";
import { TRANSIT_ENCRYPTION_MODE_DEFAULT } from "./lib/defaults";
import { judgeAtRestEncryption, judgeTransitEncryption, judgeTransitEncryptionMode } from "./lib/inherited";
import { inputSettings, read, Unverifiable } from "./lib/props";
import { resourceRule } from "./lib/rule";
import { TYPES } from "./lib/types";

export interface EncryptionAtRestConfig {
    /** Reject leaving atRestEncryptionEnabled to the engine default. Default: false. */
    requireExplicit: boolean;
}

/**
 * elasticache-encryption-at-rest: at-rest encryption on, with any key (Valkey's default counts unless
 * requireExplicit). Secondaries inherit the flag and are not applicable. Option: requireExplicit
 * (default false). The key is elasticache-encryption-at-rest-cmk's to judge.
 */
export const encryptionAtRest = resourceRule<EncryptionAtRestConfig>({
    name: "elasticache-encryption-at-rest",
    severity: "high",
    summary: "ElastiCache replication groups must encrypt data at rest",
    remediationSteps: "Set atRestEncryptionEnabled: true. The setting replaces the replication group: create a new group from a " +
        "snapshot and move clients to it.",
    configSchema: { properties: { requireExplicit: REQUIRE_EXPLICIT } },
    types: [TYPES.replicationGroup],
    check: (c) => {
        skipSecondary(c);
        const atRest = judgeAtRestEncryption(inputSettings(c.props));
        if (atRest.fromDefault && c.config.requireExplicit) {
            c.report("set atRestEncryptionEnabled explicitly (requireExplicit is on)", "leaves it to the engine default", "set atRestEncryptionEnabled: true");
        } else if (!atRest.ok) {
            c.report("encrypt data at rest", atRest.found, "set atRestEncryptionEnabled: true (this replaces the group: restore a snapshot into a new encrypted group)");
        }
    },
});

export interface EncryptionAtRestCmkConfig {
    /** Key ARNs, `key/<id>` or `alias/<name>` the cache may use. Default: [] (any customer-managed key). */
    allowedKmsKeys: string[];
}

function matchesKey(keyId: string, allowed: string): boolean {
    return keyId === allowed || keyId.endsWith(`:${allowed}`);
}

/**
 * elasticache-encryption-at-rest-cmk: kmsKeyId names a customer-managed key, from allowedKmsKeys when
 * that is set (default []: any). Secondaries choose their own key, so they are checked too.
 */
export const encryptionAtRestCmk = resourceRule<EncryptionAtRestCmkConfig>({
    name: "elasticache-encryption-at-rest-cmk",
    severity: "medium",
    summary: "ElastiCache replication groups must encrypt data at rest with a customer-managed KMS key (kmsKeyId), not the AWS managed one",
    remediationSteps: "Create a customer-managed KMS key with rotation in the group's region and set kmsKeyId to its ARN. The setting " +
        "replaces the replication group: create a new group from a snapshot and move clients to it.",
    configSchema: {
        properties: {
            allowedKmsKeys: stringListOption("Key ARNs, key/<id> or alias/<name> the cache may use. Default: [] (any customer-managed key).", []),
        },
    },
    types: [TYPES.replicationGroup],
    check: (c) => {
        const key = read<string>(c.props, "kmsKeyId");
        if (key.state === "absent") {
            c.report("use a customer-managed KMS key", "sets no kmsKeyId, so data is encrypted (if at all) with the AWS managed key",
                "set kmsKeyId to the ARN of a customer-managed key in the same region (replaces the group)");
            return;
        }
        if (key.state === "known" && /(^|:)alias\/aws\//.test(key.value)) {
            c.report("use a customer-managed KMS key", `sets kmsKeyId "${key.value}", an AWS managed key`,
                "create a customer-managed key with rotation and set its ARN as kmsKeyId (replaces the group)");
            return;
        }
        if (c.config.allowedKmsKeys.length === 0) {
            return; // an unknown key ARN is still a key: nothing more to check
        }
        if (key.state === "unknown") {
            throw new Unverifiable(key.path);
        }
        if (!c.config.allowedKmsKeys.some((allowed) => matchesKey(key.value, allowed))) {
            c.report("use one of the allowed KMS keys", `sets kmsKeyId "${key.value}", which is not in allowedKmsKeys (${c.config.allowedKmsKeys.join(", ")})`,
                "use an allowed key, or add this key to allowedKmsKeys in the policy-pack config");
        }
    },
});

export interface EncryptionInTransitConfig {
    /** Reject leaving transitEncryptionMode to its default ("required"). Default: false. */
    requireExplicit: boolean;
    /** Accept transitEncryptionMode "preferred", which also lets clients in without TLS. Default: false. */
    allowPreferredMode: boolean;
}

/**
 * elasticache-encryption-in-transit: TLS on, and required (not "preferred") for replication groups.
 * Standalone clusters have no mode, only the switch. Options: requireExplicit (default false),
 * allowPreferredMode (default false; the profiles set it, since their scanners read only the switch).
 */
export const encryptionInTransit = resourceRule<EncryptionInTransitConfig>({
    name: "elasticache-encryption-in-transit",
    severity: "high",
    summary: "ElastiCache replication groups and clusters must encrypt traffic in transit with TLS, in mode \"required\"",
    remediationSteps: "Set transitEncryptionEnabled: true and transitEncryptionMode: \"required\". On an existing Redis OSS 7+ or " +
        "Valkey group, go through \"preferred\" first, move every client to TLS, then switch to \"required\".",
    configSchema: {
        properties: {
            requireExplicit: REQUIRE_EXPLICIT,
            allowPreferredMode: booleanOption("Accept transitEncryptionMode \"preferred\", which also admits clients without TLS. Default: false.", false),
        },
    },
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipSecondary(c);
        skipReplicationGroupMember(c);
        const settings = inputSettings(c.props);
        const enabled = judgeTransitEncryption(settings);
        if (!enabled.ok) {
            c.report("encrypt traffic in transit", enabled.found, "set transitEncryptionEnabled: true and have clients connect with TLS");
            return;
        }
        if (c.args.type !== TYPES.replicationGroup || (c.config.allowPreferredMode && !c.config.requireExplicit)) {
            return; // with "preferred" allowed, any mode passes: no need to read it (it may be unknown)
        }
        const mode = judgeTransitEncryptionMode(settings);
        if (mode.fromDefault && c.config.requireExplicit) {
            c.report("set transitEncryptionMode explicitly (requireExplicit is on)", `leaves it to the default ("${TRANSIT_ENCRYPTION_MODE_DEFAULT}")`,
                "set transitEncryptionMode: \"required\"");
        } else if (!mode.ok && !c.config.allowPreferredMode) {
            c.report("require TLS from every client", mode.found, "move every client to TLS, then set transitEncryptionMode: \"required\"");
        }
    },
});
