import * as assert from "node:assert/strict";
import { BinaryReader, BinaryWriter } from "google-protobuf";
import { ListValue, Struct, Value } from "google-protobuf/google/protobuf/struct_pb";
import { decodePropertiesOnce } from "../../../policies/lib/decode-once";
import { PROJECT, loadStackFile } from "../../../offline/run";
import { analyzeRequest, defaultAwsProvider, fromRecorded } from "../../../offline/policy/wire";
import { runStackShared } from "../../helpers/program";

// Internal to @pulumi/policy, and exactly what its analyzer calls for every resource policy.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
    deserializeProperties(struct: Struct, proxySecrets: boolean): Record<string, unknown>;
};

/** A Struct subclass, so the installation stays on it and the process's Struct is left as it is. */
function isolatedStructs(): {
    make(value: Record<string, unknown>): Struct;
    fromWire(bytes: Uint8Array): Struct;
    decodes: () => number;
} {
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
        // As a request's reader does it (analyzer_pb.js): a new message, then the class's reader on the bytes.
        fromWire: (bytes) => (Counted as unknown as { deserializeBinaryFromReader(m: Struct, r: BinaryReader): Struct })
            .deserializeBinaryFromReader(new Counted(), new BinaryReader(bytes)),
        decodes: () => decodes,
    };
}

/** Equal values with equal key order at every level (deepStrictEqual tells -0 from 0 and matches NaN). */
function assertSameValue(actual: unknown, expected: unknown, what: string): void {
    assert.deepStrictEqual(actual, expected, what);
    const order = (v: unknown): unknown => (Array.isArray(v) ? v.map(order)
        : typeof v === "object" && v !== null ? Object.entries(v).map(([k, x]) => [k, order(x)]) : typeof v);
    assert.deepStrictEqual(order(actual), order(expected), `${what}: key order`);
}

function throwsOf(read: () => unknown): string | undefined {
    try {
        read();
        return undefined;
    } catch (e) {
        return (e as Error).message;
    }
}

describe("policies/lib/decode-once", () => {
    describe("a Struct decoded from the wire", () => {
        it("reads every resource of both stacks as google-protobuf does: inputs, state, first previews (unknowns), secrets, providers", async () => {
            const { fromWire } = isolatedStructs();
            let compared = 0;
            for (const stack of ["prod", "staging"]) {
                const provider = defaultAwsProvider(stack, PROJECT, { region: loadStackFile(stack).config["aws:region"] });
                for (const firstPreview of [false, true]) {
                    const run = await runStackShared(stack, { firstPreview });
                    for (const resource of run.resources) {
                        for (const use of ["inputs", "state"] as const) {
                            const request = analyzeRequest(fromRecorded(resource, use, provider));
                            // Component resources have no provider.
                            for (const struct of [request.getProperties(), request.getProvider()?.getProperties()].filter((s) => s !== undefined)) {
                                const bytes = struct.serializeBinary();
                                assertSameValue(fromWire(bytes).toJavaScript(), Struct.deserializeBinary(bytes).toJavaScript(),
                                    `${stack}${firstPreview ? " (first preview)" : ""} ${resource.urn} ${use}`);
                                compared += 1;
                            }
                        }
                    }
                }
            }
            assert.ok(compared > 1000, `compared ${compared} Structs`);
        });

        it("reads edge cases as google-protobuf does: empty and nested lists, -0, NaN, extremes, unicode, odd keys", () => {
            const { fromWire } = isolatedStructs();
            const cases: Array<Record<string, unknown>> = [
                {},
                { empty: {}, list: [], nested: [[], [[]], [{}]], none: null },
                { b: true, f: false, zero: 0, negativeZero: -0, nan: NaN, inf: Infinity, ninf: -Infinity, big: 1.7976931348623157e308, tiny: 5e-324, neg: -12.5 },
                { text: "", unicode: "é 日本 🙂 \u0000 \uffff", long: "x".repeat(70000) },
                { z: 1, a: 2, B: 3, "10": 4, "9": 5, "": 6, "a.b": 7, constructor: 8, toString: 9 },
                { deep: { a: { b: { c: { d: [1, { e: ["f", null, [true]] }] } } } } },
            ];
            for (const value of cases) {
                const bytes = Struct.fromJavaScript(value as never).serializeBinary();
                assertSameValue(fromWire(bytes).toJavaScript(), Struct.deserializeBinary(bytes).toJavaScript(), JSON.stringify(Object.keys(value)));
            }
        });

        it("reads bytes google-protobuf would not write as it reads them: keys out of order, a repeated key, __proto__, fields struct.proto does not define", () => {
            const { fromWire } = isolatedStructs();
            // Written by hand: google-protobuf writes a Struct's keys sorted, once each, and never "__proto__".
            const writer = new BinaryWriter();
            const entry = (key: string, write: (w: BinaryWriter) => void) => writer.writeMessage(1, {}, () => {
                writer.writeString(1, key);
                writer.writeMessage(2, {}, () => write(writer));
            });
            entry("zone", (w) => w.writeString(3, "us-east-1a"));
            entry("engine", (w) => w.writeString(3, "redis"));
            entry("__proto__", (w) => w.writeMessage(5, {}, () => entry("polluted", (x) => x.writeBool(4, true))));
            entry("engine", (w) => {
                w.writeString(3, "valkey");
                w.writeString(9, "a field Value does not define");
            });
            writer.writeString(7, "a field Struct does not define");
            entry("shards", (w) => w.writeMessage(6, {}, () => {
                w.writeMessage(1, {}, () => w.writeDouble(2, 3));
                w.writeInt32(4, 99);
            }));
            const bytes = writer.getResultBuffer();
            const decoded = fromWire(bytes).toJavaScript();
            assertSameValue(decoded, Struct.deserializeBinary(bytes).toJavaScript(), "handwritten bytes");
            assertSameValue(decoded, { engine: "valkey", shards: [3], zone: "us-east-1a" }, "sorted, the last engine, no __proto__");
            assert.equal(Object.getPrototypeOf(decoded), Object.prototype, "the key does not set the prototype");
        });

        it("throws google-protobuf's error when read if a value has no kind, however deep", () => {
            const { fromWire } = isolatedStructs();
            const top = new Struct();
            top.getFieldsMap().set("engine", new Value());
            const deep = new Struct();
            const list = new ListValue();
            list.addValues(new Value());
            const inner = new Value();
            inner.setListValue(list);
            deep.getFieldsMap().set("ok", Value.fromJavaScript("yes")).set("tags", inner);
            for (const struct of [top, deep]) {
                const bytes = struct.serializeBinary();
                const expected = throwsOf(() => Struct.deserializeBinary(bytes).toJavaScript());
                assert.equal(expected, "Unexpected struct type", "google-protobuf throws this");
                const decoded = fromWire(bytes);
                assert.equal(throwsOf(() => decoded.toJavaScript()), expected, "on reading, not on decoding");
            }
        });

        it("returns the same value to every reader, and refuses the readers that would see an empty Struct", () => {
            const { fromWire, decodes } = isolatedStructs();
            const decoded = fromWire(Struct.fromJavaScript({ engine: "valkey" }).serializeBinary());
            assert.equal(decoded.toJavaScript(), decoded.toJavaScript());
            assert.equal(decodes(), 0, "google-protobuf's own toJavaScript never runs for it");
            for (const read of [() => decoded.getFieldsMap(), () => decoded.toObject(), () => decoded.serializeBinary()]) {
                assert.match(throwsOf(read) ?? "did not throw", /decoded straight to JavaScript .*toJavaScript\(\)/);
            }
        });
    });

    describe("a Struct built in this process", () => {
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
    });

    it("still gives every rule its own copy, so no rule sees what another did to its properties", () => {
        const { make, fromWire } = isolatedStructs();
        const value = { tags: { team: "platform" }, userGroupIds: ["prod-users"] };
        for (const props of [make(value), fromWire(Struct.fromJavaScript(value).serializeBinary())]) {
            const first = deserializeProperties(props, false) as { tags: Record<string, string>; userGroupIds: string[] };
            first.tags.team = "changed";
            first.userGroupIds.push("extra");
            assert.deepEqual(deserializeProperties(props, false), { tags: { team: "platform" }, userGroupIds: ["prod-users"] });
        }
    });
});
