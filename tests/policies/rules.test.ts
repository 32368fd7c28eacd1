/** The pack as a whole: rule names and metadata, the README kept in step, and the example configs. */
import * as assert from "node:assert/strict";
import * as fs from "fs";
import * as path from "path";
import { Policy, ResourceValidationPolicy } from "@pulumi/policy";
import { replicasPerShard, shardCount } from "../../policies/availability";
import { snapshotRetention } from "../../policies/backups";
import { ANCHORS, controlLabel, JOINT_CONTROLS } from "../../policies/lib/anchors";
import { resolveConfig } from "../../policies/lib/config";
import { defaultEnforcementLevel } from "../../policies/lib/levels";
import { TYPES } from "../../policies/lib/types";
import { ALL_POLICIES } from "../../policies/rules";
import { compliantPrimary } from "./fixtures";
import { PACK_POLICIES } from "./grpc-stack";
import { checkResource } from "./helpers";
import { resolvedPackConfig } from "./pack-config";

const README = fs.readFileSync(path.resolve(__dirname, "../../policies/README.md"), "utf8");

/** The README table row (one line) whose first cell is `name`. */
function readmeRow(firstCell: string): string {
    const row = README.split("\n").find((line) => line.startsWith(`| ${firstCell} |`));
    assert.ok(row, `policies/README.md has no table row starting with "| ${firstCell} |"`);
    return row;
}

/** The rule names the pack must serve, the one list the gRPC tests check too. */
const EXPECTED_NAMES = PACK_POLICIES;

/** Every external control the README must map to a rule: at least these, and every id the anchors name. */
const REQUIRED_CONTROLS = [
    ...[1, 2, 3, 4, 5, 6, 7].map((n) => `Security Hub ElastiCache.${n}`),
    ...["elasticache-redis-cluster-automatic-backup-check", "elasticache-automatic-backup-check-enabled", "elasticache-auto-minor-version-upgrade-check",
        "elasticache-repl-grp-auto-failover-enabled", "elasticache-repl-grp-encrypted-at-rest", "elasticache-repl-grp-encrypted-in-transit",
        "elasticache-repl-grp-redis-auth-enabled", "elasticache-subnet-group-check", "elasticache-supported-engine-version",
        "elasticache-rbac-auth-enabled"].map((id) => `AWS Config ${id}`),
    ...["CKV_AWS_29", "CKV_AWS_30", "CKV_AWS_31", "CKV_AWS_134", "CKV_AWS_191", "CKV_AWS_322", "CKV_AWS_323", "CKV_AWS_196", "CKV2_AWS_50"].map((id) => `checkov ${id}`),
    ...["AVD-AWS-0045", "AVD-AWS-0049", "AVD-AWS-0050", "AVD-AWS-0051"].map((id) => `trivy ${id}`),
    ...Object.values(ANCHORS).flat().map(controlLabel),
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

    it("maps every required external control, in one README row, to the rule whose anchors name it", () => {
        for (const control of new Set(REQUIRED_CONTROLS)) {
            const row = readmeRow(control);
            assert.equal(README.split("\n").filter((line) => line.startsWith(`| ${control} |`)).length, 1, `${control} has more than one README row`);
            const rules = Object.entries(ANCHORS).filter(([, anchors]) => anchors.some((a) => controlLabel(a) === control)).map(([name]) => name);
            assert.ok(rules.length > 0, `no rule's anchors name ${control}`);
            assert.ok(rules.length === 1 || JOINT_CONTROLS.includes(control), `${control} is answered by ${rules.join(" and ")}: one rule per control`);
            for (const rule of rules) {
                assert.ok(row.includes(`\`${rule}\``), `README row of ${control} does not name ${rule}`);
            }
        }
    });

    it("documents every enforcement level, and remediate as mandatory because no rule remediates", () => {
        for (const level of ["advisory", "mandatory", "remediate", "disabled"]) {
            assert.ok(README.includes(`\`${level}\``), `policies/README.md does not mention the level ${level}`);
        }
        // The SDK reports a validation at level remediate as mandatory when the policy has no remediateResource.
        assert.deepEqual(ALL_POLICIES.filter((p) => (p as ResourceValidationPolicy).remediateResource).map((p) => p.name), []);
        assert.match(README, /`remediate`[^\n]*(reported|treated) as `mandatory`/);
    });

    it("states plainly where the pack and an external control disagree on this program", () => {
        const prodRetention = resolvedPackConfig("prod")[snapshotRetention.name].properties.minRetentionDays;
        const backupRow = readmeRow("AWS Config elasticache-redis-cluster-automatic-backup-check");
        assert.match(backupRow, /default(s)? (of |to )?15 days/);
        assert.ok(backupRow.includes(`${prodRetention}`), `the row does not say that prod keeps ${prodRetention} days`);
        // checkov accepts user_group_ids for CKV_AWS_31 since May 2024 (bridgecrewio/checkov#6224), so RBAC passes it.
        assert.match(readmeRow("checkov CKV_AWS_31"), /user_group_ids/);
        assert.doesNotMatch(README, /CKV_AWS_322` and\s+`CKV_AWS_323` mean something else/);
    });

    it("says the pack runs from this repository and why", () => {
        assert.match(README, /--policy-pack policies/);
        assert.match(README, /not\s+published/);
        assert.match(README, /components\/config/);
    });

    for (const stack of ["prod", "staging"]) {
        it(`config/${stack}.json fits the pack: real rules and options, valid values, by the harness's reader and the pack's own`, () => {
            const resolved = resolvedPackConfig(stack);
            assert.deepEqual(Object.keys(resolved).sort(), ALL_POLICIES.map((p) => p.name).sort());
            for (const policy of ALL_POLICIES) {
                assert.doesNotThrow(() => resolveConfig(policy.name, policy.configSchema, resolved[policy.name].properties));
            }
        });
    }

    /** Thresholds the example configs tune, the README's words for them, and a compliant group to try them on. */
    const THRESHOLDS: { policy: Policy; option: string; property: string; words: (n: number) => string }[] = [
        { policy: snapshotRetention, option: "minRetentionDays", property: "snapshotRetentionLimit", words: (n) => `${n} days of snapshots` },
        { policy: replicasPerShard, option: "minReplicasPerShard", property: "replicasPerNodeGroup", words: (n) => `${n} replica${n === 1 ? "" : "s"} per shard` },
        { policy: shardCount, option: "minShards", property: "numNodeGroups", words: (n) => `${n} shards` },
    ];

    for (const stack of ["prod", "staging"]) {
        it(`config/${stack}.json enforces the thresholds and levels its README row states`, async () => {
            const resolved = resolvedPackConfig(stack);
            const row = readmeRow(`\`config/${stack}.json\``);
            for (const { policy, option, property, words } of THRESHOLDS) {
                const { properties } = resolved[policy.name];
                const minimum = properties[option] as number;
                assert.ok(row.includes(words(minimum)), `README row of config/${stack}.json does not say "${words(minimum)}"`);
                const at = await checkResource(policy, { type: TYPES.replicationGroup, props: compliantPrimary({ [property]: minimum }) }, properties);
                const below = await checkResource(policy, { type: TYPES.replicationGroup, props: compliantPrimary({ [property]: minimum - 1 }) }, properties);
                assert.deepEqual(at.violations, [], `${policy.name} rejects ${property} ${minimum} under config/${stack}.json`);
                assert.equal(below.violations.length, 1, `${policy.name} accepts ${property} ${minimum - 1} under config/${stack}.json`);
            }
            const levelsCell = row.split("|").slice(-2, -1)[0];
            const notMandatory = Object.entries(resolved).filter(([, c]) => c.enforcementLevel !== "mandatory").map(([name]) => name).sort();
            const namedInCell = [...levelsCell.matchAll(/`([a-z0-9-]+)`/g)].map((m) => m[1]).sort();
            assert.deepEqual(notMandatory, namedInCell, `README says of config/${stack}.json: "${levelsCell.trim()}"`);
        });
    }
});
