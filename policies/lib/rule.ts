/**
 * Builders for the pack's rules. They give every rule the same shape (description with its anchors,
 * severity, default level, remediation, config with defaults) and the same handling of preview
 * unknowns: a value a rule needs but cannot see becomes a "could not verify" violation at the rule's
 * own level, never the engine's silent advisory.
 */
import {
    PolicyConfigSchema, PolicyResource, ReportViolation, ResourceValidationArgs, ResourceValidationPolicy, Severity,
    StackValidationArgs, StackValidationPolicy,
} from "@pulumi/policy";
import { ANCHORS, anchorText } from "./anchors";
import { resolveConfig } from "./config";
import { defaultEnforcementLevel } from "./levels";
import { unverifiableOf } from "./props";
import { regionOf } from "./topology";
import { kindOf } from "./types";

export interface RuleSpec {
    /** Stable kebab-case id; policy-pack configs and other tests refer to it. */
    name: string;
    severity: Severity;
    /** What the rule requires, one sentence without its final period; the anchors are appended. */
    summary: string;
    remediationSteps: string;
    configSchema?: PolicyConfigSchema;
}

/** The resource a message is about, as messages name it. */
export interface Subject {
    kind: string;
    name: string;
    region: string;
    urn?: string;
}

export function subjectOf(resource: { type: string; name: string; urn?: string; props: Record<string, unknown>; provider?: PolicyResource["provider"] }): Subject {
    return { kind: kindOf(resource.type), name: resource.name, region: regionOf(resource), urn: resource.urn };
}

/** "ElastiCache replication group must <must>: "<name>" in <region> <found>. Fix: <fix>" */
export function violationMessage(subject: Subject, must: string, found: string, fix: string): string {
    return `${subject.kind} must ${must}: "${subject.name}" in ${subject.region} ${found}. Fix: ${fix}`;
}

/**
 * A value the rule needs is unknown. The fix names an input to set only when the thrower knows one
 * (`remedy`): a value only AWS computes cannot be set from a literal, it can only be waited for.
 */
export function couldNotVerifyMessage(rule: string, subject: Subject, property: string, remedy?: string): string {
    return `could not verify ${rule} on ${subject.kind} "${subject.name}" in ${subject.region}: ${property} is unknown ` +
        `during preview. Fix: the rule checks it once the value is known, in a later preview or update${remedy ? `; to make it verifiable now, ${remedy}` : ""}.`;
}

/** An unknown input is always fed by another resource's output, so setting it directly is a real remedy. */
function inputRemedy(property: string): string {
    return `set ${property} from a literal or stack config instead of another resource's output`;
}

export interface ResourceCheck<C> {
    args: ResourceValidationArgs;
    props: Record<string, unknown>;
    config: C;
    subject: Subject;
    /** Reports "<kind> must <must>: <name> in <region> <found>. Fix: <fix>". */
    report(must: string, found: string, fix: string): void;
    /** Marks the rule not applicable to this resource, with the reason (ends the check). */
    notApplicable(reason: string): never;
}

function describe(spec: RuleSpec): string {
    const anchors = ANCHORS[spec.name];
    if (anchors === undefined) {
        throw new Error(`rule ${spec.name} has no entry in policies/lib/anchors.ts; add one (an empty list if no control covers it)`);
    }
    return `${spec.summary} ${anchorText(anchors)}.`;
}

function metadata(spec: RuleSpec) {
    return {
        name: spec.name,
        description: describe(spec),
        severity: spec.severity,
        enforcementLevel: defaultEnforcementLevel(spec.severity),
        remediationSteps: spec.remediationSteps,
        configSchema: spec.configSchema ?? { properties: {} },
    };
}

/**
 * Reports the rule not applicable (the SDK's args.notApplicable throws its NotApplicableError). That
 * error is built for every rule on every resource of another type, the pack's hot path, and capturing
 * its stack trace was most of the cost of analyzing a resource: nothing reads that stack, so it is
 * built without one.
 */
function notApplicableWithoutStack(args: ResourceValidationArgs, reason: string): never {
    const limit = Error.stackTraceLimit;
    Error.stackTraceLimit = 0;
    try {
        return args.notApplicable(reason);
    } finally {
        Error.stackTraceLimit = limit;
    }
}

/**
 * notApplicableWithoutStack for a reason that never changes (a rule's types): the SDK's error is built
 * once and the same object thrown again each time. The SDK's analyzer only tests it with instanceof and
 * reads its `reason` (@pulumi/policy server.js, the catch around each validation), so one object serves
 * every resource.
 */
function fixedNotApplicable(reason: string): (args: ResourceValidationArgs) => never {
    let thrown: unknown;
    return (args) => {
        if (thrown !== undefined) {
            throw thrown;
        }
        try {
            notApplicableWithoutStack(args, reason);
        } catch (e) {
            thrown = e;
            throw e;
        }
    };
}

/** Options as resolved for the config the engine sent last: every resource of an update asks again. */
function configResolver<C>(spec: RuleSpec): (raw: Record<string, unknown>) => C {
    let last: { key: string; config: C } | undefined;
    return (raw) => {
        const key = JSON.stringify(raw ?? {});
        if (last?.key !== key) {
            last = { key, config: resolveConfig<C>(spec.name, spec.configSchema, raw) };
        }
        return last.config;
    };
}

/**
 * A rule checked on each resource of the given types; other types are reported not applicable. A rule
 * of one type carries it as `__pulumiType`, which the SDK's analyzer reads to answer other types
 * without deserializing their properties or calling the rule (@pulumi/policy server.js, the "fast
 * check" before each resource policy; policy.ts getPulumiType).
 */
export function resourceRule<C = Record<string, never>>(
    spec: RuleSpec & { types: readonly string[]; check: (c: ResourceCheck<C>) => void },
): ResourceValidationPolicy {
    const configOf = configResolver<C>(spec);
    // The engine sends the reason with the policy's name, once per rule and resource: keep it short.
    const otherType = fixedNotApplicable(`applies to ${spec.types.join(", ")}`);
    const validateResource = (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
        if (!spec.types.includes(args.type)) {
            otherType(args);
        }
        const config = configOf(args.getConfig<Record<string, unknown>>());
        const subject = subjectOf(args);
        try {
            spec.check({
                args,
                props: args.props,
                config,
                subject,
                report: (must, found, fix) => reportViolation(violationMessage(subject, must, found, fix)),
                notApplicable: (reason) => notApplicableWithoutStack(args, reason),
            });
        } catch (e) {
            const unknown = unverifiableOf(e);
            if (unknown === undefined) {
                throw e;
            }
            reportViolation(couldNotVerifyMessage(spec.name, subject, unknown.property, unknown.remedy ?? inputRemedy(unknown.property)));
        }
    };
    return {
        ...metadata(spec),
        validateResource: spec.types.length === 1 ? Object.assign(validateResource, { __pulumiType: spec.types[0] }) : validateResource,
    };
}

export interface StackCheck<C> {
    args: StackValidationArgs;
    resources: PolicyResource[];
    config: C;
    /** Reports a violation about one resource (or the stack, without a resource). */
    report(resource: PolicyResource | undefined, must: string, found: string, fix: string): void;
    /**
     * Runs `check` for each resource; a value it needs but cannot see becomes a "could not verify"
     * violation on that resource, and the other resources are still checked.
     */
    forEach(resources: PolicyResource[], check: (resource: PolicyResource, subject: Subject) => void): void;
    /** forEach over items that each stand for one resource (a datastore's topology, say): `resourceOf` names it. */
    forEachOf<T>(items: T[], resourceOf: (item: T) => PolicyResource, check: (item: T, subject: Subject) => void): void;
}

/** A rule over the whole stack (relations between resources). */
export function stackRule<C = Record<string, never>>(spec: RuleSpec & { check: (c: StackCheck<C>) => void }): StackValidationPolicy {
    return {
        ...metadata(spec),
        validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
            const config = resolveConfig<C>(spec.name, spec.configSchema, args.getConfig<Record<string, unknown>>());
            const stackSubject: Subject = { kind: "Stack", name: "(all resources)", region: "every region" };
            const report = (resource: PolicyResource | undefined, must: string, found: string, fix: string) => {
                const subject = resource ? subjectOf(resource) : stackSubject;
                reportViolation(violationMessage(subject, must, found, fix), resource?.urn);
            };
            const forEachOf = <T>(items: T[], resourceOf: (item: T) => PolicyResource, check: (item: T, subject: Subject) => void) => {
                for (const item of items) {
                    const resource = resourceOf(item);
                    const subject = subjectOf(resource);
                    try {
                        check(item, subject);
                    } catch (e) {
                        const unknown = unverifiableOf(e);
                        if (unknown === undefined) {
                            throw e;
                        }
                        reportViolation(couldNotVerifyMessage(spec.name, subject, unknown.property, unknown.remedy), resource.urn);
                    }
                }
            };
            try {
                const forEach = (resources: PolicyResource[], check: (resource: PolicyResource, subject: Subject) => void) =>
                    forEachOf(resources, (r) => r, check);
                spec.check({ args, resources: args.resources, config, report, forEach, forEachOf });
            } catch (e) {
                // Safety net for reads outside forEach: still a violation, never the engine's advisory.
                const unknown = unverifiableOf(e);
                if (unknown === undefined) {
                    throw e;
                }
                reportViolation(couldNotVerifyMessage(spec.name, stackSubject, unknown.property, unknown.remedy));
            }
        },
    };
}
