import * as assert from "node:assert/strict";
import * as path from "node:path";
import { PackInfo, PolicyConfigError, choosePolicyPackConfig, describePolicyConfig, loadPolicyPackConfigFile, parsePolicyPackConfig, reconcilePolicyPackConfig } from "../../offline/policy/config";
import { DEFAULT_PACK_DIR } from "../../offline/policy/host";
import { checkSchema } from "../../offline/policy/schema";
import { writeConfigFile, writeThrowawayPack } from "./throwaway-pack";

const INFO: PackInfo = {
    name: "pack",
    version: "1.0.0",
    initialConfig: {},
    policies: [
        {
            name: "retention", description: "", enforcementLevel: "mandatory", kind: "resource",
            configSchema: { properties: { minimumDays: { type: "integer", default: 7, minimum: 1, maximum: 35 }, requireExplicit: { type: "boolean", default: false } }, required: [] },
        },
        {
            name: "regions", description: "", enforcementLevel: "advisory", kind: "stack",
            configSchema: { properties: { allowed: { type: "array", items: { type: "string", pattern: "^[a-z]{2}-[a-z]+-\\d$" }, default: ["us-east-1"] } }, required: [] },
        },
        { name: "plain", description: "", enforcementLevel: "advisory", kind: "resource" },
    ],
};

const reconcile = (file: unknown) => reconcilePolicyPackConfig(INFO, parsePolicyPackConfig(JSON.stringify(file), "cfg.json"), "cfg.json");

describe("policy pack config (--policy-pack-config, as the Pulumi CLI reads it)", () => {
    it("without a file: each policy's own level and its schema defaults", () => {
        assert.deepEqual(reconcilePolicyPackConfig(INFO), {
            retention: { enforcementLevel: "mandatory", properties: { minimumDays: 7, requireExplicit: false } },
            regions: { enforcementLevel: "advisory", properties: { allowed: ["us-east-1"] } },
            plain: { enforcementLevel: "advisory", properties: {} },
        });
    });

    it("\"all\" sets every level, then a policy's own entry wins; options merge over the defaults", () => {
        const result = reconcile({ all: "disabled", retention: { enforcementLevel: "advisory", minimumDays: 14 }, regions: { allowed: ["eu-west-1"] } });
        assert.deepEqual(result.retention, { enforcementLevel: "advisory", properties: { minimumDays: 14, requireExplicit: false } });
        assert.deepEqual(result.regions, { enforcementLevel: "disabled", properties: { allowed: ["eu-west-1"] } });
        assert.deepEqual(result.plain, { enforcementLevel: "disabled", properties: {} });
        assert.equal("all" in result, false);
    });

    it("a level as a string or inside an object means the same; an empty object changes nothing", () => {
        assert.deepEqual(reconcile({ retention: "advisory" }), reconcile({ retention: { enforcementLevel: "advisory" } }));
        assert.deepEqual(reconcile({ retention: {} }), reconcilePolicyPackConfig(INFO));
        assert.deepEqual(parsePolicyPackConfig("  \n", "empty.json"), {});
    });

    it("applies the pack's own initial config before the file", () => {
        const info: PackInfo = { ...INFO, initialConfig: { retention: { enforcementLevel: "advisory", properties: { minimumDays: 3 } } } };
        assert.deepEqual(reconcilePolicyPackConfig(info).retention, { enforcementLevel: "advisory", properties: { minimumDays: 3, requireExplicit: false } });
        const overridden = reconcilePolicyPackConfig(info, parsePolicyPackConfig('{"retention": {"minimumDays": 5}}', "f"));
        assert.deepEqual(overridden.retention, { enforcementLevel: "advisory", properties: { minimumDays: 5, requireExplicit: false } });
    });

    it("names the file, policy and value of a bad enforcement level, and lists the accepted ones", () => {
        assert.throws(() => parsePolicyPackConfig('{"retention": "strict"}', "prod.json"),
            { name: "Error", message: 'prod.json: "retention" enforcement level is "strict": use one of "advisory", "mandatory", "remediate", "disabled"' });
        assert.throws(() => parsePolicyPackConfig('{"retention": {"enforcementLevel": 1}}', "prod.json"), /prod\.json: "retention" enforcement level is 1: use one of/);
        assert.throws(() => parsePolicyPackConfig('{"retention": 3}', "prod.json"), /prod\.json: "retention" is 3: use an enforcement level .* or an object/);
        assert.throws(() => parsePolicyPackConfig('["retention"]', "prod.json"), /prod\.json must hold a JSON object/);
        assert.throws(() => parsePolicyPackConfig("{retention: 1}", "prod.json"), (e: Error) => e instanceof PolicyConfigError && /prod\.json is not valid JSON/.test(e.message));
    });

    it("names the policy, option and value that break a schema, every problem at once", () => {
        assert.throws(() => reconcile({ retention: { minimumDays: 0, requireExplicit: "yes" }, regions: { allowed: ["us-east-1", "mars-1"] } }), (e: Error) => {
            assert.ok(e instanceof PolicyConfigError);
            assert.match(e.message, /^cfg\.json does not fit policy pack pack@1\.0\.0 \(3 problems\):/);
            assert.match(e.message, /policy "retention" option "minimumDays" is 0: it must be at least 1/);
            assert.match(e.message, /policy "retention" option "requireExplicit" is "yes": it must be of type boolean, not string/);
            assert.match(e.message, /policy "regions" option "allowed\[1\]" is "mars-1": it must match \/\^\[a-z\]\{2\}-\[a-z\]\+-\\d\$\//);
            return true;
        });
        assert.throws(() => reconcile({ retention: { minimumDays: 36 } }), /option "minimumDays" is 36: it must be at most 35/);
        assert.throws(() => reconcile({ retention: { minimumDays: 7.5 } }), /option "minimumDays" is 7\.5: it must be of type integer/);
    });

    it("rejects a policy name or option the pack does not have (the CLI would ignore the typo)", () => {
        assert.throws(() => reconcile({ retentoin: "advisory" }), /"retentoin" is not a policy of pack@1\.0\.0 \(use "all" or one of: retention, regions, plain\)/);
        assert.throws(() => reconcile({ retention: { minimumDay: 3 } }), /policy "retention" option "minimumDay" is 3: it is not an option here \(known: minimumDays, requireExplicit\)/);
        assert.throws(() => reconcile({ plain: { anything: true } }), /policy "plain" option "anything" is true: it is not an option here \(known: none\)/);
    });

    it("reads a file from disk and names a missing one", () => {
        assert.deepEqual(loadPolicyPackConfigFile(writeConfigFile({ all: "advisory" })), { all: { enforcementLevel: "advisory", properties: {} } });
        assert.throws(() => loadPolicyPackConfigFile("no/such/file.json"), /cannot read policy pack config no\/such\/file\.json: ENOENT/);
    });

    it("refuses a schema keyword it cannot check instead of passing the value unchecked", () => {
        const problems = checkSchema(3, { type: "integer", oneOf: [{ minimum: 1 }] });
        assert.equal(problems.length, 1);
        assert.match(problems[0].reason, /uses "oneOf", which this checker does not support/);
        assert.deepEqual(checkSchema([1, 1], { type: "array", uniqueItems: true }).map((p) => p.reason), ["must not repeat items"]);
        assert.deepEqual(checkSchema("x", { enum: ["a", "b"] }).map((p) => p.reason), ['must be one of "a", "b"']);
    });

    describe("which config file a run uses", () => {
        it("the stack's file beside the pack when it exists, e.g. policies/config/prod.json", () => {
            const choice = choosePolicyPackConfig({ packDir: DEFAULT_PACK_DIR, stack: "prod" });
            assert.deepEqual(choice, { source: "stack", file: path.join(DEFAULT_PACK_DIR, "config", "prod.json") });
            assert.equal(describePolicyConfig(choice, path.dirname(DEFAULT_PACK_DIR)), "config: policies/config/prod.json, the stack's file beside the pack");
        });

        it("none when the stack has no file, saying where it looked", () => {
            const pack = writeThrowawayPack();
            const choice = choosePolicyPackConfig({ packDir: pack, stack: "prod" });
            assert.deepEqual(choice, { source: "none", looked: path.join(pack, "config", "prod.json") });
            assert.match(describePolicyConfig(choice), /^no config file: .*config\/prod\.json does not exist; each policy's own level and defaults$/);
        });

        it("the flag's file over the stack's, none when turned off, and an error when both are asked", () => {
            assert.deepEqual(choosePolicyPackConfig({ packDir: DEFAULT_PACK_DIR, stack: "prod", flag: "other.json" }), { source: "flag", file: "other.json" });
            assert.deepEqual(choosePolicyPackConfig({ packDir: DEFAULT_PACK_DIR, stack: "prod", off: true }), { source: "none" });
            assert.throws(() => choosePolicyPackConfig({ packDir: DEFAULT_PACK_DIR, stack: "prod", flag: "other.json", off: true }),
                (e: Error) => e instanceof PolicyConfigError && /--policy-pack-config other\.json and --no-policy-pack-config contradict each other/.test(e.message));
        });
    });
});
