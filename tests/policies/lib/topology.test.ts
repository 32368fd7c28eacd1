import * as assert from "node:assert/strict";
import { datastoreTopologies, regionOf, UNKNOWN_REGION } from "../../../policies/lib/topology";
import { TYPES } from "../../../policies/lib/types";
import { versionAtLeast } from "../../../policies/lib/versions";
import { changeResource, compliantPrimary, compliantStack, DATASTORE_ID, firstPreviewStack, standaloneGroupInFirstPreview } from "../fixtures";
import { engineProps, policyResources, StackInput, UNKNOWN } from "../helpers";

describe("policies/lib/topology: regionOf", () => {
    const provider = (props: Record<string, unknown>) => ({ type: "pulumi:providers:aws", name: "p", urn: "urn:p", props: engineProps(props) });

    it("prefers the resource's own region input", () => {
        assert.equal(regionOf({ props: engineProps({ region: "eu-west-1" }), provider: provider({ region: "us-east-1" }) }), "eu-west-1");
    });

    it("falls back to the provider's region (the engine sends the default provider's inputs too)", () => {
        assert.equal(regionOf({ props: engineProps({}), provider: provider({ region: "us-east-1" }) }), "us-east-1");
    });

    it("is unknown without either, or when both are unknown during preview", () => {
        assert.equal(regionOf({ props: engineProps({}) }), UNKNOWN_REGION);
        assert.equal(regionOf({ props: engineProps({ region: UNKNOWN }), provider: provider({ region: UNKNOWN }) }), UNKNOWN_REGION);
    });
});

describe("policies/lib/topology: datastoreTopologies", () => {
    function roles(stack: StackInput[]): { primary?: string; secondaries: string[] } {
        const [topology] = datastoreTopologies(policyResources(stack));
        return { primary: topology.primary?.name, secondaries: topology.secondaries.map((s) => s.name) };
    }
    const both = ["cache-us-west-2", "cache-eu-west-1"];

    it("finds the primary and the secondaries by their known ids", () => {
        assert.deepEqual(roles(compliantStack()), { primary: "cache-us-east-1", secondaries: both });
    });

    it("finds them through property dependencies in the first preview, and leaves the founder out", () => {
        assert.deepEqual(roles(firstPreviewStack()), { primary: "cache-us-east-1", secondaries: both });
    });

    it("does not count a group whose globalReplicationGroupId is unknown unless a datastore feeds it", () => {
        assert.deepEqual(roles([...firstPreviewStack(), standaloneGroupInFirstPreview()]), { primary: "cache-us-east-1", secondaries: both });
        const fed: StackInput = { ...standaloneGroupInFirstPreview(), feeds: { globalReplicationGroupId: ["datastore"] } };
        assert.deepEqual(roles([...firstPreviewStack(), fed]).secondaries, [...both, fed.name]);
    });

    it("matches a known id by the datastore's suffix when the full id is not known yet", () => {
        const stack = changeResource(compliantStack(), "datastore", { globalReplicationGroupId: UNKNOWN });
        assert.deepEqual(roles(stack).secondaries, both);
    });

    it("does not count a group that joins a datastore outside the stack", () => {
        const outside: StackInput = { type: TYPES.replicationGroup, name: "elsewhere", props: compliantPrimary({ region: "ap-south-1", globalReplicationGroupId: "abcde-other" }) };
        assert.deepEqual(roles([...compliantStack(), outside]).secondaries, both);
    });

    it("counts the founder as a secondary once a failover made another member primary", () => {
        let stack = changeResource(compliantStack(), "datastore", { primaryReplicationGroupId: "prod-us-west-2" });
        stack = changeResource(stack, "cache-us-east-1", { globalReplicationGroupId: DATASTORE_ID });
        assert.deepEqual(roles(stack), { primary: "cache-us-west-2", secondaries: ["cache-us-east-1", "cache-eu-west-1"] });
    });
});

describe("policies/lib/versions: versionAtLeast", () => {
    it("compares dotted versions", () => {
        assert.equal(versionAtLeast("7.1", "6.2"), true);
        assert.equal(versionAtLeast("6.0", "6.2"), false);
        assert.equal(versionAtLeast("6.2.6", "6.2"), true);
    });

    it("reads N.x as the newest minor of N", () => {
        assert.equal(versionAtLeast("6.x", "6.2"), true);
        assert.equal(versionAtLeast("6.x", "7.0"), false);
    });

    it("returns undefined for something that is not a version", () => {
        assert.equal(versionAtLeast("latest", "6.2"), undefined);
    });
});
