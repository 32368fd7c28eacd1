import * as assert from "node:assert/strict";
import { FoundingRegionError, regionOfDatastoreId, resolveFoundingRegion } from "../../recovery/lib/founding-region";
import { StackOutputs } from "../../recovery/lib/stack-driver";

const outputs = (values: Record<string, unknown>): StackOutputs =>
    Object.fromEntries(Object.entries(values).map(([key, value]) => [key, { value, secret: false }]));

describe("recovery/lib/founding-region", () => {
    it("reads the founding region from a datastore id's region code, and nothing from an unknown code", () => {
        assert.equal(regionOfDatastoreId("ldgnf-prod"), "us-east-1");
        assert.equal(regionOfDatastoreId("sgaui-prod-cache"), "us-west-2");
        assert.equal(regionOfDatastoreId("uvxag-prod"), undefined);
    });

    it("takes the region every record agrees on, and lists the records", () => {
        const found = resolveFoundingRegion({}, { outputs: outputs({ foundingRegion: "us-east-1", globalDatastoreId: "ldgnf-prod" }), controlPlaneDatastoreId: "ldgnf-prod" });
        assert.equal(found.region, "us-east-1");
        assert.deepEqual(found.evidence.map((e) => e.source), [
            "the stack output foundingRegion",
            "the region code of the stack output globalDatastoreId (ldgnf-prod)",
            "the region code of the datastore id the control plane reports (ldgnf-prod)",
        ]);
    });

    it("ignores the primary's default: with foundingRegion unset, only the deployment's records count", () => {
        // primaryRegion already names the hand-promoted region; nothing here may make it the founder.
        const found = resolveFoundingRegion({ primaryRegion: "us-west-2" }, { outputs: outputs({ foundingRegion: "us-east-1" }) });
        assert.equal(found.region, "us-east-1");
    });

    it("says which record it could not use, and still decides from the others", () => {
        const found = resolveFoundingRegion({}, { outputs: outputs({ foundingRegion: "us-east-1", globalDatastoreId: "uvxag-prod" }) });
        assert.equal(found.region, "us-east-1");
        assert.deepEqual(found.unusable, ["the stack output globalDatastoreId (uvxag-prod): its prefix is not a known region code"]);
    });

    it("refuses when the records disagree, naming each source and its value", () => {
        assert.throws(() => resolveFoundingRegion({ foundingRegion: "eu-west-1" }, { outputs: outputs({ foundingRegion: "us-east-1", globalDatastoreId: "ldgnf-prod" }) }),
            (e: unknown) => e instanceof FoundingRegionError && e.message.includes(
                "the stack configuration (elasticache-global:foundingRegion) says eu-west-1; the stack output foundingRegion says us-east-1; " +
                "the region code of the stack output globalDatastoreId (ldgnf-prod) says us-east-1. Nothing was written"));
    });

    it("refuses when nothing records the founding region, saying how to pin it", () => {
        assert.throws(() => resolveFoundingRegion({ primaryRegion: "us-west-2" }, {}),
            /foundingRegion is not set and nothing records which region founded the Global Datastore .*pulumi config set elasticache-global:foundingRegion <region>/);
    });
});
