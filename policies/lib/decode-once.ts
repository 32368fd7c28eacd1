/**
 * Decode each resource's properties once per request instead of once per rule.
 *
 * The policy SDK's analyzer (@pulumi/policy server.js, makeAnalyzeRpcFun and makeAnalyzeStackRpcFun)
 * calls `deserializeProperties(req.getProperties())` again for every resource policy it runs, and that
 * starts with `Struct.toJavaScript()` on the request's protobuf Struct: with some twenty rules, the same
 * properties were decoded some twenty times per resource, and the garbage of those copies cost as much
 * again in collection. This makes `Struct.prototype.toJavaScript` remember its result per Struct
 * instance. It is safe because the SDK only reads that result: deserializeProperties builds new
 * objects and arrays from it for each policy (deserialize.js), so no rule sees another's copy. The
 * Struct of a request is never modified after it is received, and a WeakMap lets it go with the request.
 *
 * Only the pack's own process installs it (index.ts); tests that run rules directly never do.
 */
import * as path from "path";

interface StructClass {
    prototype: { toJavaScript(this: object): Record<string, unknown> };
}

const INSTALLED = Symbol.for("elasticache-global.decode-once");

/** The Struct class the SDK's request messages are built with: the one @pulumi/pulumi's analyzer_pb loads. */
function requestStructClass(): StructClass {
    const analyzerPb = require.resolve("@pulumi/pulumi/proto/analyzer_pb");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return require(require.resolve("google-protobuf/google/protobuf/struct_pb.js", { paths: [path.dirname(analyzerPb)] })).Struct as StructClass;
}

export function decodePropertiesOnce(struct: StructClass = requestStructClass()): void {
    const proto = struct.prototype as StructClass["prototype"] & { [INSTALLED]?: true };
    if (proto[INSTALLED]) {
        return;
    }
    const decode = proto.toJavaScript;
    const decoded = new WeakMap<object, Record<string, unknown>>();
    proto.toJavaScript = function (this: object) {
        let value = decoded.get(this);
        if (value === undefined) {
            value = decode.call(this);
            decoded.set(this, value);
        }
        return value;
    };
    proto[INSTALLED] = true;
}
