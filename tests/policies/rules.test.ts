/** The pack as a whole: rule names and metadata, the README kept in step, and the example configs. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { ANCHORS } from "../../policies/lib/anchors";
import { resolveConfig } from "../../policies/lib/config";
import { defaultEnforcementLevel } from "../../policies/lib/levels";
import { ALL_POLICIES } from "../../policies/rules";
import { loadPackConfig } from "./pack-config";

const README = fs.readFileSync(path.resolve(__dirname, "../../policies/README.md"), "utf8");

/** The README table row (one line) whose first cell is `name`. */
function readmeRow(firstCell: string): string {
    const row = README.split("\n").find((line) => line.startsWith(`| ${firstCell} |`));
    assert.ok(row, `policies/README.md has no table row starting with "| ${firstCell} |"`);
    return row;
}

const EXPECTED_NAMES = [
    "elasticache-encryption-at-rest", "elasticache-encryption-in-transit", "elasticache-authentication",
    "elasticache-user-group-default-user", "elasticache-cluster-mode-enabled", "elasticache-multi-az-failover",
    "elasticache-replicas-per-shard", "elasticache-shard-count", "elasticache-snapshot-retention", "elasticache-snapshot-window",
    "elasticache-final-snapshot", "elasticache-auto-minor-version-upgrade", "elasticache-engine-version", "elasticache-log-delivery",
    "elasticache-event-notifications", "elasticache-no-default-subnet-group", "elasticache-port-not-public",
    "elasticache-no-legacy-security-group", "global-datastore-eligibility", "global-datastore-regions",
    "global-datastore-primary-compliant", "global-datastore-lag-alarms", "stateful-resources-protected",
];

/** Every external control the README must map to a rule. */
const REQUIRED_CONTROLS = [
    ...[1, 2, 3, 4, 5, 6, 7].map((n) => `Security Hub ElastiCache.${n}`),
    ...["elasticache-redis-cluster-automatic-backup-check", "elasticache-auto-minor-version-upgrade-check",
        "elasticache-repl-grp-auto-failover-enabled", "elasticache-repl-grp-encrypted-at-rest", "elasticache-repl-grp-encrypted-in-transit",
        "elasticache-repl-grp-redis-auth-enabled", "elasticache-subnet-group-check", "elasticache-supported-engine-version",
        "elasticache-rbac-auth-enabled"].map((id) => `AWS Config ${id}`),
    ...["CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31", "CKV_AWS_134", "CKV_AWS_191", "CKV_AWS_322", "CKV_AWS_323", "CKV_AWS_196", "CKV2_AWS_50"].map((id) => `checkov ${id}`),
    ...["AVD-AWS-0045", "AVD-AWS-0050", "AVD-AWS-0051"].map((id) => `trivy ${id}`),
];

describe("policies/rules", () => {
    it("lists exactly the agreed rule names, once each", () => {
        assert.deepEqual(ALL_POLICIES.map((p) => p.name).sort(), [...EXPECTED_NAMES].sort());
    });

    for (const policy of ALL_POLICIES) {
        describe(policy.name, () => {
            it("has a one-sentence description, a severity, its severity's default level and remediation steps", () => {
                assert.match(policy.name, /^[a-z]+(-[a-z0-9]+)+$/);
                assert.match(policy.description, /^[A-Z][^]*\.$/);
                assert.equal(policy.description.split(/\.\s+[A-Z]/).length, 1, `more than one sentence: ${policy.description}`);
                assert.ok(policy.severity);
                assert.equal(policy.enforcementLevel, defaultEnforcementLevel(policy.severity!));
                assert.ok((policy.remediationSteps ?? "").length > 20);
            });

            it("documents a default for every option, and the defaults pass its own validation", () => {
                for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
                    assert.ok(typeof schema === "object" && schema.default !== undefined, `${key} has no default`);
                    assert.match(String(schema.description), /Default:/, `${key}'s description does not state its default`);
                }
                assert.doesNotThrow(() => resolveConfig(policy.name, policy.configSchema, {}));
            });

            it("names its anchors in the description and in its README row, with its level and options", () => {
                const anchors = ANCHORS[policy.name];
                assert.ok(anchors, "no entry in policies/lib/anchors.ts");
                const row = readmeRow(`\`${policy.name}\``);
                for (const { id } of anchors) {
                    assert.ok(policy.description.includes(id), `description lacks ${id}`);
                    assert.ok(row.includes(id), `README row lacks ${id}`);
                }
                assert.ok(row.includes(`| ${policy.severity} | ${policy.enforcementLevel} |`), "README row has another severity or level");
                for (const [key, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
                    const shown = JSON.stringify((schema as { default: unknown }).default).replace(/,/g, ", ");
                    assert.ok(row.includes(`\`${key}\` = \`${shown}\``), `README row lacks ${key} = ${shown}`);
                }
            });
        });
    }

    it("maps every required external control to the rules whose anchors name it", () => {
        for (const control of REQUIRED_CONTROLS) {
            const row = readmeRow(control);
            const id = control.slice(control.lastIndexOf(" ") + 1);
            const rules = Object.entries(ANCHORS).filter(([, anchors]) => anchors.some((a) => a.id === id)).map(([name]) => name);
            assert.ok(rules.length > 0, `no rule's anchors name ${control}`);
            for (const rule of rules) {
                assert.ok(row.includes(`\`${rule}\``), `README row of ${control} does not name ${rule}`);
            }
        }
    });

    for (const stack of ["prod", "staging"]) {
        it(`config/${stack}.json names only real rules and options, with valid values`, () => {
            const config = loadPackConfig(stack);
            const levels = ["advisory", "mandatory", "remediate", "disabled"];
            for (const [key, value] of Object.entries(config)) {
                if (key === "all") {
                    assert.ok(levels.includes(value as string), `all: ${value}`);
                    continue;
                }
                const policy = ALL_POLICIES.find((p) => p.name === key);
                assert.ok(policy, `${key} is not a rule of the pack`);
                if (typeof value === "string") {
                    assert.ok(levels.includes(value));
                } else {
                    assert.ok(value.enforcementLevel === undefined || levels.includes(value.enforcementLevel));
                    assert.doesNotThrow(() => resolveConfig(key, policy.configSchema, value));
                }
            }
        });
    }

    it("tunes prod and staging as documented", () => {
        const prod = loadPackConfig("prod") as Record<string, Record<string, unknown> | string>;
        const staging = loadPackConfig("staging") as Record<string, Record<string, unknown> | string>;
        const option = (c: typeof prod, rule: string, key: string) => (c[rule] as Record<string, unknown>)[key];
        assert.equal(prod.all, "mandatory");
        assert.deepEqual(Object.values(prod).filter((v) => typeof v === "object" && v.enforcementLevel !== "mandatory"), []);
        assert.deepEqual([option(prod, "elasticache-snapshot-retention", "minRetentionDays"), option(prod, "elasticache-replicas-per-shard", "minReplicasPerShard"), option(prod, "elasticache-shard-count", "minShards")], [14, 2, 3]);
        assert.deepEqual([option(staging, "elasticache-snapshot-retention", "minRetentionDays"), option(staging, "elasticache-replicas-per-shard", "minReplicasPerShard"), option(staging, "elasticache-shard-count", "minShards")], [7, 1, 2]);
        const advisory = Object.entries(staging).filter(([, v]) => typeof v === "object" && v.enforcementLevel === "advisory").map(([k]) => k);
        assert.deepEqual(advisory.sort(), ["elasticache-event-notifications", "global-datastore-lag-alarms"]);
    });
});
