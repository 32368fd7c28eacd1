import * as assert from "node:assert/strict";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { decodePropertiesOnce } from "../../../policies/lib/decode-once";

// Internal to @pulumi/policy, and exactly what its analyzer calls for every resource policy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: Struct, proxySecrets: boolean): Record<string, unknown>;
};

/** A Struct subclass, so the installation stays on it and the process's Struct is left as it is. */
function isolatedStructs(): { make(value: Record<string, unknown>): Struct; decodes: () => number } {
    let decodes = 0;
    class Counted extends Struct {}
    const plain = Counted.prototype.toJavaScript;
    Counted.prototype.toJavaScript = function (this: Struct) {
        decodes += 1;
        return plain.call(this);
    };
    decodePropertiesOnce(Counted as never);
    return {
        make: (value) => Object.setPrototypeOf(Struct.fromJavaScript(value as never), Counted.prototype) as Struct,
        decodes: () => decodes,
    };
}

describe("policies/lib/decode-once", () => {
    it("decodes a request's properties once however many rules read them", () => {
        const { make, decodes } = isolatedStructs();
        const props = make({ engine: "valkey", logDeliveryConfigurations: [{ logType: "slow-log" }] });
        for (let rule = 0; rule < 20; rule++) {
            deserializeProperties(props, false);
        }
        assert.equal(decodes(), 1);
        deserializeProperties(make({ engine: "redis" }), false);
        assert.equal(decodes(), 2, "another request's Struct is decoded on its own");
    });

    it("still gives every rule its own copy, so no rule sees what another did to its properties", () => {
        const { make } = isolatedStructs();
        const props = make({ tags: { team: "platform" }, userGroupIds: ["prod-users"] });
        const first = deserializeProperties(props, false) as { tags: Record<string, string>; userGroupIds: string[] };
        first.tags.team = "changed";
        first.userGroupIds.push("extra");
        assert.deepEqual(deserializeProperties(props, false), { tags: { team: "platform" }, userGroupIds: ["prod-users"] });
    });
});
