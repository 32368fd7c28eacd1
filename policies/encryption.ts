/** Encryption at rest and in transit. */
import { skipReplicationGroupMember, skipSecondary } from "./lib/applicability";
import { REQUIRE_EXPLICIT, stringListOption } from "./lib/config";
import { TRANSIT_ENCRYPTION_MODE_DEFAULT } from "./lib/defaults";
import { judgeAtRestEncryption, judgeTransitEncryption, judgeTransitEncryptionMode } from "./lib/inherited";
import { inputSettings, read, Unverifiable } from "./lib/props";
import { resourceRule } from "./lib/rule";
import { isSecondary } from "./lib/topology";
import { TYPES } from "./lib/types";

export interface EncryptionAtRestConfig {
    /** Key ARNs, `key/<id>` or `alias/<name>` the cache may use. Default: [] (any customer-managed key). */
    allowedKmsKeys: string[];
    /** Reject leaving atRestEncryptionEnabled to the engine default. Default: false. */
    requireExplicit: boolean;
}

function matchesKey(keyId: string, allowed: string): boolean {
    return keyId === allowed || keyId.endsWith(`:${allowed}`);
}

/**
 * elasticache-encryption-at-rest: at-rest encryption on (Valkey's default counts unless
 * requireExplicit), with a customer-managed key in kmsKeyId. Secondaries inherit the encryption flag
 * but choose their own key, so only the key is checked on them. Options: allowedKmsKeys (default []),
 * requireExplicit (default false).
 */
export const encryptionAtRest = resourceRule<EncryptionAtRestConfig>({
    name: "elasticache-encryption-at-rest",
    severity: "high",
    summary: "ElastiCache replication groups must encrypt data at rest with a customer-managed KMS key (kmsKeyId)",
    remediationSteps: "Set atRestEncryptionEnabled: true and kmsKeyId to the ARN of a customer-managed KMS key in the group's " +
        "region. Both settings replace the replication group: create a new group from a snapshot and move clients to it.",
    configSchema: {
        properties: {
            allowedKmsKeys: stringListOption("Key ARNs, key/<id> or alias/<name> the cache may use. Default: [] (any customer-managed key).", []),
            requireExplicit: REQUIRE_EXPLICIT,
        },
    },
    types: [TYPES.replicationGroup],
    check: (c) => {
        const { props, config } = c;
        const replaceFix = "set atRestEncryptionEnabled: true (this replaces the group: restore a snapshot into a new encrypted group)";
        if (!isSecondary(props)) {
            const atRest = judgeAtRestEncryption(inputSettings(props));
            if (atRest.fromDefault && config.requireExplicit) {
                c.report("set atRestEncryptionEnabled explicitly (requireExplicit is on)", "leaves it to the engine default", "set atRestEncryptionEnabled: true");
            } else if (!atRest.ok) {
                c.report("encrypt data at rest", atRest.found, replaceFix);
            }
        }
        const key = read<string>(props, "kmsKeyId");
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
        if (config.allowedKmsKeys.length === 0) {
            return; // an unknown key ARN is still a key: nothing more to check
        }
        if (key.state === "unknown") {
            throw new Unverifiable(key.path);
        }
        if (!config.allowedKmsKeys.some((allowed) => matchesKey(key.value, allowed))) {
            c.report("use one of the allowed KMS keys", `sets kmsKeyId "${key.value}", which is not in allowedKmsKeys (${config.allowedKmsKeys.join(", ")})`,
                "use an allowed key, or add this key to allowedKmsKeys in the policy-pack config");
        }
    },
});

export interface EncryptionInTransitConfig {
    /** Reject leaving transitEncryptionMode to its default ("required"). Default: false. */
    requireExplicit: boolean;
}

/**
 * elasticache-encryption-in-transit: TLS on, and required (not "preferred") for replication groups.
 * Standalone clusters have no mode, only the switch. Option: requireExplicit (default false).
 */
export const encryptionInTransit = resourceRule<EncryptionInTransitConfig>({
    name: "elasticache-encryption-in-transit",
    severity: "high",
    summary: "ElastiCache replication groups and clusters must encrypt traffic in transit with TLS, in mode \"required\"",
    remediationSteps: "Set transitEncryptionEnabled: true and transitEncryptionMode: \"required\". On an existing Redis OSS 7+ or " +
        "Valkey group, go through \"preferred\" first, move every client to TLS, then switch to \"required\".",
    configSchema: { properties: { requireExplicit: REQUIRE_EXPLICIT } },
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
        if (c.args.type !== TYPES.replicationGroup) {
            return;
        }
        const mode = judgeTransitEncryptionMode(settings);
        if (mode.fromDefault && c.config.requireExplicit) {
            c.report("set transitEncryptionMode explicitly (requireExplicit is on)", `leaves it to the default ("${TRANSIT_ENCRYPTION_MODE_DEFAULT}")`,
                "set transitEncryptionMode: \"required\"");
        } else if (!mode.ok) {
            c.report("require TLS from every client", mode.found, "move every client to TLS, then set transitEncryptionMode: \"required\"");
        }
    },
});
