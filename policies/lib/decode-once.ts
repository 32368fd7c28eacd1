/**
 * Decode each request's properties once, straight from the wire to plain JavaScript.
 *
 * The policy SDK's analyzer (@pulumi/policy server.js, makeAnalyzeRpcFun and makeAnalyzeStackRpcFun)
 * reads a resource's properties only through `deserializeProperties(req.getProperties())`, which starts
 * with `Struct.toJavaScript()` on the request's google.protobuf.Struct (deserialize.js); the provider's
 * properties (getProviderResource) and the policy config (configure) are read the same way. It does so
 * again for every resource policy it runs.
 *
 * google-protobuf first builds a message object for every field, value and list of the Struct, then
 * toJavaScript walks them into plain JavaScript: on a CloudWatch alarm (nested metric queries) that was
 * the largest part of an Analyze call, and its garbage cost as much again in collection. Installed,
 * the Struct reader builds the plain JavaScript value as it reads (the same reader primitives, the same
 * field numbers as struct.proto), and toJavaScript returns that value, the same object each time.
 *
 * What toJavaScript returns is what google-protobuf's own would (tests/policies/lib/decode-once.test.ts
 * compares them on every resource the stacks declare and on edge cases):
 * - keys in sorted order, as jspb.Map.forEach gives them; a repeated key keeps its last value; the key
 *   "__proto__" is left out (jspb.Map keeps its entries in a plain object, where that key sets the
 *   prototype and is no own key);
 * - a value without a kind (which the engine never sends) throws "Unexpected struct type" when the
 *   Struct is read, as Value.toJavaScript does;
 * - fields struct.proto does not define are skipped.
 *
 * Sharing one value between rules is safe because the SDK only reads it: deserializeProperties builds
 * new objects and arrays from it for each policy, so no rule sees another's copy. A Struct decoded this
 * way has no message objects inside: its getFieldsMap (and so toObject and serializeBinary) throws, so
 * a reader other than toJavaScript fails loudly instead of seeing an empty Struct. A Struct built in
 * this process (Struct.fromJavaScript) keeps google-protobuf's decoding, remembered per instance.
 *
 * Only the pack's own process installs it (index.ts); tests that run rules directly never do.
 */
import * as path from "path";

/** The part of google-protobuf's jspb.BinaryReader that generated readers use, and so this one. */
interface BinaryReader {
    nextField(): boolean;
    isEndGroup(): boolean;
    getFieldNumber(): number;
    skipField(): void;
    readEnum(): number;
    readDouble(): number;
    readString(): string;
    readBool(): boolean;
    readMessage<M>(message: M, read: (message: M, reader: BinaryReader) => void): void;
}

interface StructClass {
    deserializeBinaryFromReader(message: object, reader: BinaryReader): object;
    prototype: {
        toJavaScript(this: object): Record<string, unknown>;
        getFieldsMap(this: object, noLazyCreate?: boolean): unknown;
    };
}

const INSTALLED = Symbol.for("elasticache-global.decode-once");

/** The Struct class the SDK's request messages are built with: the one @pulumi/pulumi's analyzer_pb loads. */
function requestStructClass(): StructClass {
    const analyzerPb = require.resolve("@pulumi/pulumi/proto/analyzer_pb");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve("google-protobuf/google/protobuf/struct_pb.js", { paths: [path.dirname(analyzerPb)] })).Struct as StructClass;
}

// Field numbers of google/protobuf/struct.proto.
const STRUCT_FIELDS = 1;
const ENTRY_KEY = 1;
const ENTRY_VALUE = 2;
const VALUE_NULL = 1;
const VALUE_NUMBER = 2;
const VALUE_STRING = 3;
const VALUE_BOOL = 4;
const VALUE_STRUCT = 5;
const VALUE_LIST = 6;
const LIST_VALUES = 1;

/** What one nested message read into; `malformed` travels up to the Struct the request holds. */
interface Slot {
    value: unknown;
    malformed: boolean;
}

const NO_KIND = Symbol("no kind");

function slot(): Slot {
    return { value: NO_KIND, malformed: false };
}

/** Reads a nested message into a fresh slot; a malformed value inside marks `into` malformed too. */
function readNested(reader: BinaryReader, read: (into: Slot, reader: BinaryReader) => void, into: Slot): unknown {
    const nested = slot();
    reader.readMessage(nested, read);
    into.malformed ||= nested.malformed;
    return nested.value;
}

function readValue(into: Slot, reader: BinaryReader): void {
    while (reader.nextField() && !reader.isEndGroup()) {
        switch (reader.getFieldNumber()) {
            case VALUE_NULL:
                reader.readEnum();
                into.value = null;
                break;
            case VALUE_NUMBER:
                into.value = reader.readDouble();
                break;
            case VALUE_STRING:
                into.value = reader.readString();
                break;
            case VALUE_BOOL:
                into.value = reader.readBool();
                break;
            case VALUE_STRUCT:
                into.value = readNested(reader, readStruct, into);
                break;
            case VALUE_LIST:
                into.value = readNested(reader, readList, into);
                break;
            default:
                reader.skipField();
        }
    }
    if (into.value === NO_KIND) {
        into.malformed = true;
    }
}

function readList(into: Slot, reader: BinaryReader): void {
    const values: unknown[] = [];
    while (reader.nextField() && !reader.isEndGroup()) {
        if (reader.getFieldNumber() === LIST_VALUES) {
            values.push(readNested(reader, readValue, into));
        } else {
            reader.skipField();
        }
    }
    into.value = values;
}

/** One map entry of Struct.fields: into.value becomes [key, value]. */
function readEntry(into: Slot, reader: BinaryReader): void {
    let key = "";
    let value: unknown = NO_KIND;
    while (reader.nextField() && !reader.isEndGroup()) {
        switch (reader.getFieldNumber()) {
            case ENTRY_KEY:
                key = reader.readString();
                break;
            case ENTRY_VALUE:
                value = readNested(reader, readValue, into);
                break;
            default:
                reader.skipField();
        }
    }
    if (value === NO_KIND) {
        into.malformed = true;
    }
    into.value = [key, value];
}

function readStruct(into: Slot, reader: BinaryReader): void {
    const entries = new Map<string, unknown>();
    while (reader.nextField() && !reader.isEndGroup()) {
        if (reader.getFieldNumber() === STRUCT_FIELDS) {
            const [key, value] = readNested(reader, readEntry, into) as [string, unknown];
            entries.set(key, value);
        } else {
            reader.skipField();
        }
    }
    const object: Record<string, unknown> = {};
    for (const key of [...entries.keys()].sort()) {
        if (key !== "__proto__") {
            object[key] = entries.get(key);
        }
    }
    into.value = object;
}

export function decodePropertiesOnce(struct: StructClass = requestStructClass()): void {
    const proto = struct.prototype as StructClass["prototype"] & { [INSTALLED]?: true };
    if (proto[INSTALLED]) {
        return;
    }
    // Per Struct instance: its plain value, or the slot that says it is malformed.
    const read = new WeakMap<object, Slot>();
    const decoded = new WeakMap<object, Record<string, unknown>>();
    const decode = proto.toJavaScript;
    const fieldsMap = proto.getFieldsMap;

    struct.deserializeBinaryFromReader = (message, reader) => {
        const into = slot();
        readStruct(into, reader);
        read.set(message, into);
        return message;
    };
    proto.toJavaScript = function (this: object) {
        const wire = read.get(this);
        if (wire !== undefined) {
            if (wire.malformed) {
                throw new Error("Unexpected struct type");
            }
            return wire.value as Record<string, unknown>;
        }
        let value = decoded.get(this);
        if (value === undefined) {
            value = decode.call(this);
            decoded.set(this, value);
        }
        return value;
    };
    proto.getFieldsMap = function (this: object, noLazyCreate?: boolean) {
        if (read.has(this)) {
            throw new Error("this Struct was decoded straight to JavaScript (policies/lib/decode-once.ts): read it with toJavaScript()");
        }
        return fieldsMap.call(this, noLazyCreate);
    };
    proto[INSTALLED] = true;
}
