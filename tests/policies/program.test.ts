/**
 * The real program, run offline for each example stack, against every rule with that stack's
 * policy-pack config: nothing may violate a rule the config makes mandatory. Resource rules see the
 * recorded inputs (what the engine analyzes before creating a resource); stack rules see the recorded
 * state (inputs plus outputs) with the property dependencies, as the engine passes to stack analysis.
 * Both as an update of a deployed stack (every value known) and as the stack's first preview (what AWS
 * computes unknown, and every input built from it).
 */
import * as assert from "node:assert/strict";
import { Policy, ResourceValidationPolicy } from "@pulumi/policy";
import { ProgramRun, RecordedResource, loadStackFile } from "../../offline/run";
import { toWireValue } from "../../offline/policy/wire";
import { ALL_POLICIES } from "../../policies/rules";
import { runStackShared, runWith } from "../helpers/program";
import { checkResource, checkStack, Outcome, StackInput } from "./helpers";
import { resolvedPackConfig } from "./pack-config";

/** Properties as plain JSON, with the run's unknowns as the engine's sentinel. */
function wire(props: Record<string, unknown>): Record<string, unknown> {
    return toWireValue(props) as Record<string, unknown>;
}

/** The engine sends each AWS resource's provider; the default one carries the stack's aws:region. */
function providerOf(r: RecordedResource, region: string): Record<string, unknown> | undefined {
    return r.type.startsWith("aws:") ? { region } : undefined;
}

async function evaluate(run: ProgramRun, region: string, policy: Policy, options: Record<string, unknown>): Promise<{ outcomes: Outcome[]; applicable: number }> {
    const outcomes: Outcome[] = [];
    const custom = run.resources.filter((x) => x.custom);
    if ((policy as ResourceValidationPolicy).validateResource) {
        for (const r of custom) {
            outcomes.push(await checkResource(policy, { type: r.type, name: r.name, props: wire(r.inputs), protect: r.protect, provider: providerOf(r, region) }, options));
        }
    } else {
        const inStack = new Set(custom.map((r) => r.urn));
        const resources: StackInput[] = custom.map((r) => ({
            type: r.type, name: r.name, urn: r.urn, props: wire(r.state), protect: r.protect, provider: providerOf(r, region),
            // Dependencies on component resources are not sent to AnalyzeStack's resource list; drop them.
            feeds: Object.fromEntries(Object.entries(r.propertyDependencies ?? {}).map(([k, urns]) => [k, urns.filter((u) => inStack.has(u))])),
        }));
        outcomes.push(await checkStack(policy, resources, options));
    }
    return { outcomes, applicable: outcomes.filter((o) => o.notApplicable === undefined).length };
}

/**
 * Rules about an engine version neither example stack runs, with the stack config that makes the
 * program run one: each must find something to check there instead, and pass what the program does.
 */
const ON_OTHER_VERSIONS: Record<string, Record<string, unknown>> = {
    // Redis OSS before 6.0 has no RBAC: the program then sends an AUTH token (components/config/sections.ts).
    "elasticache-auth-token": { engine: "redis", engineVersion: "5.0.6", users: undefined, userPasswords: undefined, authToken: "an-auth-token-of-24-chars" },
};

for (const stack of ["prod", "staging"]) {
    for (const firstPreview of [false, true]) {
        describe(`policies against the real program: ${stack}${firstPreview ? ", first preview of a new stack" : ""}`, function () {
            this.timeout(120000);
            let run: ProgramRun;
            let region: string;
            const config = resolvedPackConfig(stack);

            before(async () => {
                const result = await runStackShared(stack, { firstPreview });
                run = result;
                region = result.file.config["aws:region"];
            });

            it(`violates no rule that policies/config/${stack}.json makes mandatory${firstPreview ? ", and verifies everything it needs" : ""}`, async () => {
                const failures: string[] = [];
                for (const policy of ALL_POLICIES) {
                    const { enforcementLevel: level, properties: options } = config[policy.name];
                    const { outcomes } = await evaluate(run, region, policy, options);
                    for (const outcome of outcomes) {
                        assert.equal(outcome.cannotRun, undefined, `${policy.name} let an unknown escape: ${outcome.cannotRun}`);
                        // A "could not verify" at any level would block nothing, but it would mean the rule did not look.
                        failures.push(...outcome.violations.filter((v) => level === "mandatory" || v.startsWith("could not verify")).map((v) => `${policy.name}: ${v}`));
                    }
                }
                assert.deepEqual(failures, []);
            });

            it("applies every rule: each finds something of the program to check", async () => {
                const idle: string[] = [];
                for (const policy of ALL_POLICIES) {
                    const overrides = ON_OTHER_VERSIONS[policy.name];
                    const on = overrides ? await runWith(overrides, stack) : run;
                    const { outcomes, applicable } = await evaluate(on, region, policy, config[policy.name].properties);
                    if (applicable === 0) {
                        idle.push(policy.name);
                    }
                    if (overrides) {
                        assert.deepEqual(outcomes.flatMap((o) => o.violations), [], `${policy.name} on ${JSON.stringify(overrides)}`);
                    }
                }
                assert.deepEqual(idle, []);
            });
        });
    }
}

/**
 * After a promotion, retarget-primary writes only primaryRegion and secondaryRegions; the datastore
 * keeps naming its founder as primary (the program ignores that drift). The pack must still pass the
 * program, or the reconcile that follows every promotion is refused.
 */
for (const stack of ["prod", "staging"]) {
    describe(`policies against the real program: ${stack} after a promotion`, function () {
        this.timeout(120000);
        const config = resolvedPackConfig(stack);

        it(`violates no rule that policies/config/${stack}.json makes mandatory`, async () => {
            const base = loadStackFile(stack).config;
            const primary = base["elasticache-global:primaryRegion"];
            const secondaries = JSON.parse(base["elasticache-global:secondaryRegions"]) as string[];
            const [promoted, ...rest] = secondaries;
            const run = await runWith({ foundingRegion: primary, primaryRegion: promoted, secondaryRegions: [primary, ...rest] }, stack);
            const failures: string[] = [];
            for (const policy of ALL_POLICIES) {
                const { enforcementLevel: level, properties: options } = config[policy.name];
                const { outcomes } = await evaluate(run, promoted, policy, options);
                failures.push(...outcomes.flatMap((o) => o.violations).filter(() => level === "mandatory").map((v) => `${policy.name}: ${v}`));
            }
            assert.deepEqual(failures, []);
        });
    });
}
