import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { reconcilePolicyPackConfig } from "../../offline/policy/config";
import { PolicyPackError, PolicyPackProcess, withPolicyPack } from "../../offline/policy/host";
import { AnalyzedResource, UNKNOWN, UNKNOWN_SENTINEL, fromRecorded, toWireValue } from "../../offline/policy/wire";
import { RecordedResource } from "../../offline/run";
import { isRunning } from "../dataplane/leftovers";
import { REPLICATION_GROUP, writePack, writeThrowawayPack } from "./throwaway-pack";

const URN = (name: string, type = REPLICATION_GROUP) => `urn:pulumi:test::elasticache-global::${type}::${name}`;

function group(name: string, props: Record<string, unknown>, protect = true): AnalyzedResource {
    return {
        urn: URN(name), type: REPLICATION_GROUP, name, properties: props,
        options: { protect, ignoreChanges: ["engineVersion", "nodeType"], parent: URN("cache", "elasticache-global:index:GlobalCache") },
        provider: { urn: "urn:pulumi:test::elasticache-global::pulumi:providers:aws::default", type: "pulumi:providers:aws", name: "default", properties: { region: "eu-west-1" } },
        dependencies: [URN("kms", "aws:kms/key:Key")],
    };
}

describe("policy pack over gRPC (offline/policy/host)", function () {
    this.timeout(60000);
    let dir: string;
    let pack: PolicyPackProcess;

    before(async () => {
        dir = writeThrowawayPack({ version: "2.3.4" });
        pack = await PolicyPackProcess.start(dir);
    });

    after(async () => {
        await pack?.close();
    });

    it("reads the pack's name, version, policies, levels, kinds and option schemas", async () => {
        const info = await pack.info();
        assert.equal(info.name, "throwaway");
        assert.equal(info.version, "2.3.4");
        assert.deepEqual(info.policies.map((p) => [p.name, p.enforcementLevel, p.kind]), [
            ["retention", "mandatory", "resource"],
            ["echo", "advisory", "resource"],
            ["protected-groups", "mandatory", "stack"],
            ["stack-echo", "advisory", "stack"],
        ]);
        assert.deepEqual(info.policies[0].configSchema?.properties.minimumDays, { type: "integer", default: 7, minimum: 1, maximum: 35 });
    });

    it("sends type, name, urn, properties, options and provider with Analyze, as the engine does", async () => {
        const info = await pack.info();
        await pack.configure(reconcilePolicyPackConfig(info, { echo: { properties: { types: [REPLICATION_GROUP] } } }));
        const secret = { [pulumi.runtime.specialSigKey]: pulumi.runtime.specialSecretSig, value: "hunter2-but-longer" };
        const violations = await pack.analyze(group("cache-eu-west-1", { snapshotRetentionLimit: 14, authToken: secret, nested: { list: [1, "a", null] } }));
        const echo = violations.find((v) => v.policyName === "echo");
        assert.ok(echo, `echo reported: ${JSON.stringify(violations)}`);
        const seen = JSON.parse(echo.message.split("\n")[1]);
        assert.equal(seen.type, REPLICATION_GROUP);
        assert.equal(seen.name, "cache-eu-west-1");
        assert.equal(seen.urn, URN("cache-eu-west-1"));
        assert.equal(seen.opts.protect, true);
        assert.deepEqual(seen.opts.ignoreChanges, ["engineVersion", "nodeType"]);
        assert.equal(seen.opts.parent, URN("cache", "elasticache-global:index:GlobalCache"));
        assert.deepEqual(seen.provider, { type: "pulumi:providers:aws", name: "default", urn: "urn:pulumi:test::elasticache-global::pulumi:providers:aws::default", props: { region: "eu-west-1" } });
        assert.equal(seen.props.snapshotRetentionLimit, 14);
        assert.equal(seen.props.authToken, "hunter2-but-longer", "secrets arrive as their value");
        assert.deepEqual(seen.props.nested, { list: [1, "a", null] });
        assert.deepEqual(seen.config, { types: [REPLICATION_GROUP] });
        assert.equal(echo.level, "advisory");
        assert.equal(echo.packName, "throwaway");
        assert.equal(echo.packVersion, "2.3.4");
        assert.equal(echo.urn, URN("cache-eu-west-1"), "a resource policy's violation is attributed to the analyzed resource");
    });

    it("applies schema defaults when configured without a file, and file options over them", async () => {
        const info = await pack.info();
        await pack.configure(reconcilePolicyPackConfig(info));
        const atDefault = await pack.analyze(group("g", { snapshotRetentionLimit: 6 }));
        assert.deepEqual(atDefault.map((v) => [v.policyName, v.level, v.message]), [["retention", "mandatory", "Replication groups keep snapshots long enough.\nretention 6 < 7"]]);
        assert.deepEqual(await pack.analyze(group("g", { snapshotRetentionLimit: 7 })), []);

        await pack.configure(reconcilePolicyPackConfig(info, { retention: { properties: { minimumDays: 10 } } }));
        assert.deepEqual((await pack.analyze(group("g", { snapshotRetentionLimit: 7 }))).map((v) => v.message.split("\n")[1]), ["retention 7 < 10"]);

        await pack.configure(reconcilePolicyPackConfig(info, { all: { enforcementLevel: "advisory", properties: {} } }));
        assert.deepEqual((await pack.analyze(group("g", { snapshotRetentionLimit: 1 }))).map((v) => v.level), ["advisory"]);

        await pack.configure(reconcilePolicyPackConfig(info, { retention: { enforcementLevel: "disabled", properties: {} } }));
        assert.deepEqual(await pack.analyze(group("g", { snapshotRetentionLimit: 1 })), []);
    });

    it("passes preview unknowns as the engine's sentinel: a rule that reads one cannot run", async () => {
        assert.deepEqual(toWireValue({ a: UNKNOWN, b: [UNKNOWN], c: undefined, __internal: 1 }), { a: UNKNOWN_SENTINEL, b: [UNKNOWN_SENTINEL] });
        await pack.configure(reconcilePolicyPackConfig(await pack.info()));
        const violations = await pack.analyze(group("g", { snapshotRetentionLimit: UNKNOWN }));
        assert.equal(violations.length, 1);
        assert.equal(violations[0].policyName, "retention");
        assert.equal(violations[0].level, "advisory", "the engine downgrades a rule that cannot run to advisory");
        assert.match(violations[0].message, /can't run policy 'retention' from policy pack 'throwaway@v2\.3\.4' during preview: .*snapshotRetentionLimit/);
    });

    it("AnalyzeStack sends every resource with options, parent, dependencies and property dependencies; stack violations name their resource", async () => {
        const info = await pack.info();
        await pack.configure(reconcilePolicyPackConfig(info, { "stack-echo": { properties: { enabled: true } } }));
        const kms: AnalyzedResource = { urn: URN("kms", "aws:kms/key:Key"), type: "aws:kms/key:Key", name: "kms", properties: {}, options: { protect: true, ignoreChanges: [] } };
        const parent: AnalyzedResource = { urn: URN("cache", "elasticache-global:index:GlobalCache"), type: "elasticache-global:index:GlobalCache", name: "cache", properties: {}, options: { protect: false, ignoreChanges: [] } };
        const withKey = { ...group("a", { snapshotRetentionLimit: 7 }), propertyDependencies: { kmsKeyId: [kms.urn], snapshotRetentionLimit: [] } };
        const violations = await pack.analyzeStack([parent, kms, withKey, group("b", { snapshotRetentionLimit: 7 }, false)]);
        const unprotected = violations.filter((v) => v.policyName === "protected-groups");
        assert.deepEqual(unprotected.map((v) => [v.urn, v.level, v.message.split("\n")[1]]), [[URN("b"), "mandatory", "not protected: b"]]);
        const echo = violations.find((v) => v.policyName === "stack-echo");
        assert.ok(echo);
        const seen = JSON.parse(echo.message.split("\n")[1]) as Array<{ urn: string; parent: string | null; dependencies: string[]; propertyDependencies: Record<string, string[]> }>;
        assert.deepEqual(seen.map((r) => r.urn), [parent.urn, kms.urn, URN("a"), URN("b")]);
        assert.equal(seen[2].parent, parent.urn);
        assert.deepEqual(seen[2].dependencies, [kms.urn]);
        assert.deepEqual(seen[2].propertyDependencies, { kmsKeyId: [kms.urn] }, "as the engine: properties that depend on nothing are left out");
        assert.deepEqual(seen[3].propertyDependencies, {});
    });

    it("sends Analyze the inputs after the provider's Check (schema defaults filled in), AnalyzeStack the state as recorded", async () => {
        await pack.configure(reconcilePolicyPackConfig(await pack.info(), {
            echo: { properties: { types: [REPLICATION_GROUP] } }, "stack-echo": { properties: { enabled: true } },
        }));
        const secondary: RecordedResource = {
            urn: URN("cache-eu-west-1"), type: REPLICATION_GROUP, name: "cache-eu-west-1", custom: true, parent: "",
            inputs: { globalReplicationGroupId: "ldgnf-prod", automaticFailoverEnabled: true },
            state: { globalReplicationGroupId: "ldgnf-prod", automaticFailoverEnabled: true, engine: "valkey" },
            protect: true, ignoreChanges: [], dependencies: [],
        };
        const analyzed = (await pack.analyze(fromRecorded(secondary, "inputs"))).find((v) => v.policyName === "echo");
        const props = JSON.parse(analyzed!.message.split("\n")[1]).props;
        assert.equal(props.multiAzEnabled, false, "the provider's schema default reaches Analyze");
        assert.equal(props.automaticFailoverEnabled, true, "a value the program set is kept");
        assert.equal("engine" in props, false, "engine has no schema default: absent until the provider fills it in");
        const stackEcho = (await pack.analyzeStack([fromRecorded(secondary, "state")])).find((v) => v.policyName === "stack-echo");
        const [state] = JSON.parse(stackEcho!.message.split("\n")[1]);
        assert.deepEqual(state.props, secondary.state);
    });

    it("prefers the version in PulumiPolicy.yaml, as the CLI does", async () => {
        await withPolicyPack(writeThrowawayPack({ version: "1.0.0", yamlVersion: "9.9.9" }), {}, async (other) => {
            assert.equal((await other.info()).version, "9.9.9");
        });
    });

    it("stops the pack after the work, and also when the work throws", async () => {
        let pid: number | undefined;
        await assert.rejects(withPolicyPack(dir, {}, async (other) => {
            pid = other.pid;
            assert.ok(isRunning(pid));
            throw new Error("boom");
        }), /boom/);
        assert.ok(pid !== undefined, "the work ran");
        assert.equal(isRunning(pid), false, `pack process ${pid} is gone`);
    });

    it("reports a pack that cannot start, with its stderr, or a directory that holds no pack", async () => {
        const broken = writePack({ indexTs: `import { PolicyPack } from "@pulumi/policy";\nthrow new Error("rules failed to load: missing anchor");\n` });
        await assert.rejects(PolicyPackProcess.start(broken, { startTimeoutMs: 30000 }), (e: Error) => {
            assert.ok(e instanceof PolicyPackError);
            assert.match(e.message, /policy pack did not start: it exited \(code \d+\) before printing its port/);
            assert.match(e.message, /rules failed to load: missing anchor/);
            return true;
        });
        const noVersion = writePack({ indexTs: fs.readFileSync(path.join(dir, "index.ts"), "utf8") });
        fs.writeFileSync(path.join(noVersion, "package.json"), "{}");
        await assert.rejects(PolicyPackProcess.start(noVersion), /Version must be defined in the package\.json file/);
        await assert.rejects(PolicyPackProcess.start(path.join(dir, "nope")), /no policy pack in .*nope \(the CLI needs its PulumiPolicy\.yaml\)/);
    });
});
