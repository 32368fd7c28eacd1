/**
 * The program run as the first `pulumi preview` of a new stack: what AWS computes is unknown, and so
 * is every input built from it; what the program writes as literals stays known. Also the provider
 * behaviour the offline run stands in for (Check defaults, planned state).
 */
import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { ProgramRun, RecordedResource } from "../../offline/run";
import { CHECK_DEFAULTS, checkedInputs, computedOutputs, plannedState } from "../../offline/policy/provider-schema";
import { UNKNOWN } from "../../offline/policy/wire";
import { T, runStackShared } from "../helpers/program";

function contains(value: unknown, needle: unknown): boolean {
    if (value === needle) {
        return true;
    }
    if (typeof value === "object" && value !== null) {
        return Object.values(value).some((v) => contains(v, needle));
    }
    return false;
}

function one(run: ProgramRun, type: string, name: string): RecordedResource {
    const found = run.resources.filter((r) => r.type === type && r.name === name);
    assert.equal(found.length, 1, `one ${type} named ${name}`);
    return found[0];
}

describe("the AWS provider as the engine sees it (offline/policy/provider-schema)", () => {
    it("reads which outputs the provider computes from the SDK's declarations", () => {
        const computed = computedOutputs(T.replicationGroup);
        for (const name of ["arn", "configurationEndpointAddress", "engine", "engineVersion", "atRestEncryptionEnabled", "globalReplicationGroupId", "region"]) {
            assert.ok(computed.includes(name), `${name} is computed`);
        }
        for (const name of ["kmsKeyId", "authToken", "automaticFailoverEnabled", "multiAzEnabled", "snapshotRetentionLimit", "userGroupIds"]) {
            assert.ok(!computed.includes(name), `${name} is only what the program sets`);
        }
        assert.ok(computedOutputs(T.globalDatastore).includes("globalReplicationGroupId"));
        assert.throws(() => computedOutputs("elasticache-global:index:GlobalCache"),
            /cannot tell the computed outputs of elasticache-global:index:GlobalCache: only aws:<module>\/<resource>:<Class> types are known offline/);
    });

    it("Check fills in schema defaults the program left unset, and nothing else", () => {
        assert.deepEqual(checkedInputs(T.replicationGroup, { replicationGroupId: "g" }),
            { replicationGroupId: "g", automaticFailoverEnabled: false, multiAzEnabled: false });
        assert.deepEqual(checkedInputs(T.replicationGroup, { multiAzEnabled: true, automaticFailoverEnabled: UNKNOWN }),
            { multiAzEnabled: true, automaticFailoverEnabled: UNKNOWN }, "a set or unknown value stays");
        assert.equal("engine" in CHECK_DEFAULTS[T.replicationGroup], false, "engine is Optional+Computed without a default");
        assert.deepEqual(checkedInputs(T.kmsKey, { description: "k" }), { description: "k" });
    });

    it("plans a new resource: checked inputs, the provider's region, every other unset computed output unknown", () => {
        const state = plannedState(T.replicationGroup, { replicationGroupId: "g", engine: "valkey" }, { region: "eu-west-1", arn: "not planned" });
        assert.equal(state.replicationGroupId, "g");
        assert.equal(state.engine, "valkey");
        assert.equal(state.region, "eu-west-1");
        assert.equal(state.multiAzEnabled, false);
        assert.ok(pulumi.isUnknown(state.arn), "only the region comes from the provider's configuration");
        assert.ok(pulumi.isUnknown(state.engineVersion));
        assert.equal("kmsKeyId" in state, false, "an optional output the program did not set stays absent");
    });
});

describe("offline run as the first preview of a new stack (runProgram firstPreview)", function () {
    this.timeout(60000);
    let preview: ProgramRun;
    let known: ProgramRun;

    before(async () => {
        preview = await runStackShared("prod", { firstPreview: true });
        known = await runStackShared("prod");
    });

    it("declares the same resources with the same options as a run where everything is known", () => {
        const shape = (run: ProgramRun) => run.resources.map((r) => [r.urn, r.protect, r.ignoreChanges.join(","), [...r.dependencies].sort().join(",")].join(" ")).sort();
        assert.deepEqual(shape(preview), shape(known));
    });

    it("has no ids, and the provider's computed outputs are unknown in the state AnalyzeStack gets", () => {
        assert.ok(preview.resources.filter((r) => r.custom).every((r) => r.id === undefined), "no resource has an id yet");
        const primary = one(preview, T.replicationGroup, "cache-us-east-1");
        const secondary = one(preview, T.replicationGroup, "cache-us-west-2");
        const datastore = one(preview, T.globalDatastore, "cache-datastore");
        assert.equal(primary.state.arn, UNKNOWN);
        assert.equal(primary.state.configurationEndpointAddress, UNKNOWN);
        assert.equal(primary.state.engine, "valkey", "set by the program, so known");
        assert.equal(primary.state.region, "us-east-1");
        assert.equal(secondary.state.engine, UNKNOWN, "a secondary may not set its engine: the provider fills it in at create time");
        assert.equal(secondary.state.multiAzEnabled, false, "the schema default is planned");
        assert.equal(datastore.state.globalReplicationGroupId, UNKNOWN, "AWS picks the prefix of the datastore's id");
        assert.equal(datastore.state.engine, "valkey", "set by the program beside engineVersion, so known");
    });

    it("leaves inputs built from other resources' outputs unknown in what Analyze gets, literals known", () => {
        const secondary = one(preview, T.replicationGroup, "cache-us-west-2");
        assert.equal(secondary.inputs.globalReplicationGroupId, UNKNOWN);
        assert.equal(secondary.inputs.kmsKeyId, UNKNOWN);
        assert.equal(secondary.inputs.replicationGroupId, "prod-us-west-2");
        assert.equal(secondary.inputs.snapshotRetentionLimit, 14);
        const datastore = one(preview, T.globalDatastore, "cache-datastore");
        assert.equal(datastore.inputs.primaryReplicationGroupId, UNKNOWN, "the founding member's id is its output");
        assert.equal(datastore.inputs.engineVersion, "8.0");
        assert.equal(contains(known.resources.map((r) => [r.inputs, r.state]), UNKNOWN), false, "a normal run, after a preview, knows everything");
    });

    it("records which resources each property depends on, the same in both modes", () => {
        const datastore = one(preview, T.globalDatastore, "cache-datastore");
        const primary = one(preview, T.replicationGroup, "cache-us-east-1");
        const secondary = one(preview, T.replicationGroup, "cache-us-west-2");
        const key = one(preview, T.kmsKey, "cache-us-west-2-key");
        assert.deepEqual(datastore.propertyDependencies?.primaryReplicationGroupId, [primary.urn]);
        assert.deepEqual(secondary.propertyDependencies?.globalReplicationGroupId, [datastore.urn]);
        assert.deepEqual(secondary.propertyDependencies?.kmsKeyId, [key.urn]);
        assert.deepEqual(secondary.propertyDependencies?.replicationGroupId, [], "a literal depends on nothing");
        const byUrn = new Map(known.resources.map((r) => [r.urn, r.propertyDependencies]));
        for (const r of preview.resources) {
            assert.deepEqual(r.propertyDependencies, byUrn.get(r.urn), r.urn);
        }
    });

    it("exports unknown outputs as unknown and literal ones as values", () => {
        assert.equal(preview.outputs.globalDatastoreId, UNKNOWN);
        assert.equal(preview.outputs.writerParameterName, "/elasticache-global/prod/writer");
        const regions = preview.outputs.regions as Record<string, Record<string, unknown>>;
        assert.equal(regions["us-east-1"].role, "primary");
        assert.equal(regions["us-east-1"].configurationEndpoint, UNKNOWN);
        assert.equal(typeof (known.outputs.regions as Record<string, Record<string, unknown>>)["us-east-1"].configurationEndpoint, "string");
    });
});
