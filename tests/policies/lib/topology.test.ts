import * as assert from "node:assert/strict";
import { regionOf, UNKNOWN_REGION } from "../../../policies/lib/topology";
import { versionAtLeast } from "../../../policies/lib/versions";
import { engineProps, UNKNOWN } from "../helpers";

describe("policies/lib/topology: regionOf", () => {
    const provider = (props: Record<string, unknown>) => ({ type: "pulumi:providers:aws", name: "p", urn: "urn:p", props: engineProps(props) });

    it("prefers the resource's own region input", () => {
        assert.equal(regionOf({ props: engineProps({ region: "eu-west-1" }), provider: provider({ region: "us-east-1" }) }), "eu-west-1");
    });

    it("falls back to an explicit provider's region", () => {
        assert.equal(regionOf({ props: engineProps({}), provider: provider({ region: "us-east-1" }) }), "us-east-1");
    });

    it("is unknown without either, or when both are unknown during preview", () => {
        assert.equal(regionOf({ props: engineProps({}) }), UNKNOWN_REGION);
        assert.equal(regionOf({ props: engineProps({ region: UNKNOWN }), provider: provider({ region: UNKNOWN }) }), UNKNOWN_REGION);
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
