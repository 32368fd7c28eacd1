/**
 * The real program, run offline for each example stack, against every rule with that stack's
 * policy-pack config: nothing may violate a rule the config makes mandatory. Resource rules see the
 * recorded inputs (what the engine analyzes before creating a resource); stack rules see the recorded
 * state (inputs plus outputs), as the engine passes to stack analysis.
 */
import * as assert from "node:assert/strict";
import { Policy, ResourceValidationPolicy } from "@pulumi/policy";
import { ProgramRun, runStack } from "../../offline/run";
import { ALL_POLICIES } from "../../policies/rules";
import { checkResource, checkStack, Outcome, StackInput } from "./helpers";
import { levelAndOptions, loadPackConfig } from "./pack-config";

async function evaluate(run: ProgramRun, policy: Policy, options: Record<string, unknown>): Promise<{ outcomes: Outcome[]; applicable: number }> {
    const outcomes: Outcome[] = [];
    if ((policy as ResourceValidationPolicy).validateResource) {
        for (const r of run.resources.filter((x) => x.custom)) {
            outcomes.push(await checkResource(policy, { type: r.type, name: r.name, props: r.inputs, protect: r.protect }, options));
        }
    } else {
        const resources: StackInput[] = run.resources.filter((x) => x.custom)
            .map((r) => ({ type: r.type, name: r.name, props: r.state, protect: r.protect }));
        outcomes.push(await checkStack(policy, resources, options));
    }
    return { outcomes, applicable: outcomes.filter((o) => o.notApplicable === undefined).length };
}

for (const stack of ["prod", "staging"]) {
    describe(`policies against the real program: ${stack}`, function () {
        this.timeout(120000);
        let run: ProgramRun;
        const config = loadPackConfig(stack);

        before(async () => {
            run = await runStack(stack);
        });

        it(`violates no rule that policies/config/${stack}.json makes mandatory`, async () => {
            const failures: string[] = [];
            for (const policy of ALL_POLICIES) {
                const { level, options } = levelAndOptions(policy, config);
                const { outcomes } = await evaluate(run, policy, options);
                for (const outcome of outcomes) {
                    assert.equal(outcome.cannotRun, undefined, `${policy.name} let an unknown escape: ${outcome.cannotRun}`);
                    if (level === "mandatory") {
                        failures.push(...outcome.violations.map((v) => `${policy.name}: ${v}`));
                    }
                }
            }
            assert.deepEqual(failures, []);
        });

        it("applies every rule except the ones for resources the program does not declare", async () => {
            // The program declares no standalone clusters, EC2-Classic groups, inline-ingress or
            // SecurityGroupRule resources; every other rule must have found something to check.
            const notDeclared = new Set(["elasticache-no-legacy-security-group"]);
            const idle: string[] = [];
            for (const policy of ALL_POLICIES) {
                const { options } = levelAndOptions(policy, config);
                if ((await evaluate(run, policy, options)).applicable === 0 && !notDeclared.has(policy.name)) {
                    idle.push(policy.name);
                }
            }
            assert.deepEqual(idle, []);
        });
    });
}
