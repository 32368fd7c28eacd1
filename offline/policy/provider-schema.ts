/**
 * What the AWS provider does to a resource before the engine shows it to a policy pack, and which the
 * Pulumi mocks do not do:
 *
 * - Check: the engine sends Analyze the inputs the provider's Check returned, with the schema's
 *   `Default:` values filled in. CHECK_DEFAULTS holds the defaults of properties the pack reads; a
 *   property that is only Optional+Computed gets no value from Check (the provider fills it in at
 *   create time), so it stays absent in Analyze.
 * - Preview of a create: the provider plans the new resource's state as its checked inputs, with every
 *   computed output the program did not set unknown ("output<T>" in `pulumi preview`), and the region
 *   known from the provider's configuration. AnalyzeStack of a first preview gets exactly that.
 *
 * Which outputs are computed is read from the @pulumi/aws type declarations the program compiles
 * against, so it follows the provider version in package-lock.json: codegen declares an output
 * `Output<T>` when the schema marks it Computed (or Required) and `Output<T | undefined>` otherwise.
 */
import * as fs from "fs";
import * as pulumi from "@pulumi/pulumi";
import { AwsFake } from "../aws-fake";

/**
 * Schema defaults the provider's Check fills in, for properties the pack reads (terraform-provider-aws
 * v6 under @pulumi/aws v7). `engine` on a replication group is NOT one of them: it is Optional+Computed
 * without a default there (older provider versions defaulted it to "redis"), so a secondary, which must
 * not set it, reaches Analyze without an engine and a first preview's AnalyzeStack with an unknown one.
 */
export const CHECK_DEFAULTS: Readonly<Record<string, Readonly<Record<string, unknown>>>> = {
    "aws:elasticache/replicationGroup:ReplicationGroup": { automaticFailoverEnabled: false, multiAzEnabled: false },
};

/** Inputs as the provider's Check returns them: CHECK_DEFAULTS for what the program left unset. */
export function checkedInputs(type: string, inputs: Record<string, unknown>): Record<string, unknown> {
    const defaults = CHECK_DEFAULTS[type] ?? {};
    const missing = Object.entries(defaults).filter(([key]) => inputs[key] === undefined);
    return missing.length === 0 ? inputs : { ...inputs, ...Object.fromEntries(missing) };
}

/** Outputs the provider plans from its own configuration, so they are known even in a first preview. */
const PLANNED_FROM_PROVIDER = new Set(["region"]);

const computedCache = new Map<string, string[]>();

/** "aws:elasticache/replicationGroup:ReplicationGroup" -> the declaration file of that class in @pulumi/aws. */
function declarationFile(type: string): string {
    const m = /^aws:([A-Za-z0-9]+)\/([A-Za-z0-9]+):([A-Za-z0-9]+)$/.exec(type);
    if (!m) {
        throw new Error(`cannot tell the computed outputs of ${type}: only aws:<module>/<resource>:<Class> types are known offline`);
    }
    const js = require.resolve(`@pulumi/aws/${m[1]}/${m[2]}`);
    return js.replace(/\.js$/, ".d.ts");
}

/** Names of the outputs of `type` the provider computes (Computed or Optional+Computed in its schema). */
export function computedOutputs(type: string): string[] {
    const cached = computedCache.get(type);
    if (cached) {
        return cached;
    }
    const className = type.split(":").pop()!;
    const text = fs.readFileSync(declarationFile(type), "utf8");
    const start = text.indexOf(`export declare class ${className} extends pulumi.CustomResource {`);
    if (start < 0) {
        throw new Error(`cannot tell the computed outputs of ${type}: no class ${className} in ${declarationFile(type)}`);
    }
    const body = text.slice(start, text.indexOf("\n}\n", start));
    const computed: string[] = [];
    for (const m of body.matchAll(/^ {4}readonly (\w+): pulumi\.Output<([\s\S]*?)>;$/gm)) {
        if (!/\|\s*undefined$/.test(m[2].trim())) {
            computed.push(m[1]);
        }
    }
    computedCache.set(type, computed);
    return computed;
}

/**
 * The state the provider plans for a resource that does not exist yet: checked inputs (unknown where
 * the program passed another resource's unknown output), `plannedByProvider` for what it takes from
 * its configuration, and every other computed output the program did not set as `pulumi.unknown`.
 */
export function plannedState(type: string, inputs: Record<string, unknown>, plannedByProvider: Record<string, unknown>): Record<string, unknown> {
    const state: Record<string, unknown> = { ...checkedInputs(type, inputs) };
    for (const [key, value] of Object.entries(plannedByProvider)) {
        if (PLANNED_FROM_PROVIDER.has(key) && state[key] === undefined) {
            state[key] = value;
        }
    }
    for (const output of computedOutputs(type)) {
        if (state[output] === undefined) {
            state[output] = pulumi.unknown;
        }
    }
    return state;
}

/**
 * Mocks for `pulumi preview` of a stack that has never been deployed: the AWS fake's invokes (they
 * run for real during a preview) and its region, but no id and only a planned state for each new
 * resource. Under `setMocks(..., preview = true)` the SDK then treats every output the state leaves
 * unknown as unknown, so inputs built from other resources' outputs reach the engine unknown too.
 */
export class FirstPreviewMocks implements pulumi.runtime.Mocks {
    constructor(private readonly fake = new AwsFake()) {}

    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: Record<string, unknown> } {
        if (!args.custom) {
            return this.fake.newResource(args);
        }
        const region = this.fake.newResource(args).state.region;
        return { id: undefined, state: plannedState(args.type, args.inputs, { region }) };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        return this.fake.call(args);
    }
}
