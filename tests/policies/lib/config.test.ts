import * as assert from "node:assert/strict";
import { booleanOption, integerOption, resolveConfig, stringListOption } from "../../../policies/lib/config";

const schema = {
    properties: {
        minDays: integerOption("Fewest days. Default: 7.", 7, 1, 35),
        strict: booleanOption("Strict. Default: false.", false),
        keys: stringListOption("Keys. Default: [].", [], "^alias/"),
    },
};

describe("policies/lib/config", () => {
    it("fills every default when the config sets nothing", () => {
        assert.deepEqual(resolveConfig("rule", schema, {}), { minDays: 7, strict: false, keys: [] });
    });

    it("overlays what the config sets and ignores enforcementLevel", () => {
        assert.deepEqual(resolveConfig("rule", schema, { minDays: 14, enforcementLevel: "mandatory" }), { minDays: 14, strict: false, keys: [] });
    });

    it("does not share default lists between calls", () => {
        const first = resolveConfig<{ keys: string[] }>("rule", schema, {});
        first.keys.push("alias/x");
        assert.deepEqual(resolveConfig<{ keys: string[] }>("rule", schema, {}).keys, []);
    });

    it("rejects an unknown option, listing the accepted ones", () => {
        assert.throws(() => resolveConfig("rule", schema, { minDay: 3 }), /policy rule: unknown option "minDay"; accepted options: minDays, strict, keys/);
    });

    it("rejects values of the wrong type or range, naming option, value and what is accepted", () => {
        assert.throws(() => resolveConfig("rule", schema, { minDays: 40 }), /policy rule: option minDays is 40; expected an integer of at most 35/);
        assert.throws(() => resolveConfig("rule", schema, { minDays: "7" }), /option minDays is "7"; expected an integer/);
        assert.throws(() => resolveConfig("rule", schema, { strict: "yes" }), /option strict is "yes"; expected true or false/);
        assert.throws(() => resolveConfig("rule", schema, { keys: ["arn:x"] }), /option keys is \["arn:x"\]; expected a list whose items are each a string matching \^alias\//);
    });

    it("tells a policy without options that it takes none", () => {
        assert.throws(() => resolveConfig("rule", { properties: {} }, { x: 1 }), /this policy takes no options besides enforcementLevel/);
    });
});
