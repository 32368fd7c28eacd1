/**
 * The real policy pack as a whole, over the gRPC Analyzer protocol the Pulumi engine uses: started once
 * as its own process, configured from policies/config/<stack>.json, fed the resources the program
 * declares under mocks. The compliant stacks must pass, both when every value is known and as the
 * first preview of a new stack (and in each phase of a restore). Each mutation's violation is in
 * pack-mutations.test.ts, the pack started exactly as the Pulumi CLI starts it in pack-cli.test.ts: files
 * of their own, so parallel workers run them side by side.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { PROJECT, ProgramRun, loadStackFile } from "../../offline/run";
import { defaultAwsProvider, fromRecorded } from "../../offline/policy/wire";
import { DEFAULT_PACK_DIR, PolicyPackProcess } from "../../offline/policy/host";
import { sharedPolicyPack } from "../helpers/shared-pack";
import { T, runProgramShared, runStackShared } from "../helpers/program";
import { PACK_POLICIES, POLICY_CONFIG, configureFor, describeFindings, evaluate } from "./grpc-stack";

describe("the policy pack over gRPC, on the stacks the program declares", function () {
    this.timeout(180000);
    let pack: PolicyPackProcess;
    const runs: Partial<Record<"prod" | "staging", ProgramRun>> = {};
    const firstPreviews: Partial<Record<"prod" | "staging", ProgramRun>> = {};

    before(async () => {
        assert.ok(fs.existsSync(`${DEFAULT_PACK_DIR}/index.ts`), "policies/index.ts constructs the pack");
        pack = await sharedPolicyPack(DEFAULT_PACK_DIR, { stack: { stack: "prod", project: "elasticache-global", dryRun: true } });
        runs.prod = await runStackShared("prod");
        runs.staging = await runStackShared("staging");
        firstPreviews.prod = await runStackShared("prod", { firstPreview: true });
        firstPreviews.staging = await runStackShared("staging", { firstPreview: true });
    });

    after(async () => {
        await pack?.close();
    });

    it("serves elasticache-global with every rule, each with a level and options with defaults", async () => {
        const info = await pack.info();
        assert.equal(info.name, "elasticache-global");
        assert.match(info.version, /^\d+\.\d+\.\d+/);
        assert.deepEqual(info.policies.map((p) => p.name).sort(), [...PACK_POLICIES].sort());
        for (const policy of info.policies) {
            assert.ok(["advisory", "mandatory"].includes(policy.enforcementLevel), `${policy.name} defaults to ${policy.enforcementLevel}`);
            for (const [option, schema] of Object.entries(policy.configSchema?.properties ?? {})) {
                assert.ok("default" in schema, `${policy.name} option ${option} has a default`);
            }
        }
    });

    it("reports each rule of other types not applicable, with its reason, on every resource it is sent", async () => {
        await configureFor(pack, "prod");
        const provider = defaultAwsProvider("prod", PROJECT, { region: loadStackFile("prod").config["aws:region"] });
        const topics = runs.prod!.resources.filter((r) => r.type === "aws:sns/topic:Topic");
        assert.ok(topics.length >= 2, `the prod stack declares several topics (${topics.length})`);
        const reasons = new Set<string>();
        for (const topic of topics) {
            const { notApplicable } = await pack.analyzeWithApplicability(fromRecorded(topic, "inputs", provider));
            const reason = (policy: string) => notApplicable.find((n) => n.policyName === policy)?.reason;
            // Rules of two types (their own reason) and of one type (the SDK's fast check), on each topic alike.
            assert.equal(reason("elasticache-snapshot-retention"), `applies to ${T.replicationGroup}, aws:elasticache/cluster:Cluster`, topic.name);
            assert.equal(reason("elasticache-encryption-at-rest"), `Policy only applies to resources of type '${T.replicationGroup}'`, topic.name);
            assert.equal(reason("elasticache-no-default-subnet-group"), `applies to ${T.replicationGroup}, aws:elasticache/cluster:Cluster`, topic.name);
            notApplicable.forEach((n) => reasons.add(`${n.policyName}: ${n.reason}`));
        }
        assert.ok(reasons.size >= 20, `not-applicable reasons seen: ${[...reasons].join("; ")}`);
    });

    for (const stack of ["prod", "staging"] as const) {
        it(`passes the ${stack} stack with policies/config/${stack}.json: no mandatory violation`, async () => {
            assert.ok(fs.existsSync(POLICY_CONFIG(stack)), `policies/config/${stack}.json exists`);
            await configureFor(pack, stack);
            const findings = await evaluate(pack, stack, runs[stack]!.resources);
            const mandatory = findings.filter((f) => f.level === "mandatory");
            assert.deepEqual(mandatory, [], describeFindings(mandatory));
        });

        it(`passes the first preview of a new ${stack} stack with policies/config/${stack}.json: no mandatory violation`, async () => {
            // What `pulumi preview` sends before anything exists: ids, ARNs, endpoints, the datastore's
            // id and engine, a secondary's engine ... all unknown (tests/offline/first-preview.test.ts).
            await configureFor(pack, stack);
            const findings = await evaluate(pack, stack, firstPreviews[stack]!.resources);
            const mandatory = findings.filter((f) => f.level === "mandatory");
            assert.deepEqual(mandatory, [], describeFindings(mandatory));
        });
    }

    // restore-from-snapshot declares a second generation beside the first, founder-only until the writer
    // has moved (or whole, with --wait-for-secondaries); no phase may trip a mandatory rule.
    const SEED = "prod-us-east-1-2026-11-20-0300";
    const GENERATION_PHASES: [string, Record<string, string>, boolean][] = [
        ["while generation 2 is built from a snapshot, founder only", { "elasticache-global:inactiveGenerations": JSON.stringify({ 2: { foundingRegion: "us-east-1", seedSnapshot: SEED, founderOnly: true } }), "elasticache-global:highestGeneration": "2" }, false],
        ["after cutover to generation 2, founder only, with generation 1 kept", { "elasticache-global:generation": "2", "elasticache-global:seedSnapshot": SEED, "elasticache-global:founderOnly": "true", "elasticache-global:inactiveGenerations": JSON.stringify({ 1: { foundingRegion: "us-east-1" } }) }, false],
        ["while generation 2 is built from a snapshot with its secondaries", { "elasticache-global:inactiveGenerations": JSON.stringify({ 2: { foundingRegion: "us-east-1", seedSnapshot: SEED } }) }, true],
        ["after cutover, with generation 1 kept", { "elasticache-global:generation": "2", "elasticache-global:seedSnapshot": SEED, "elasticache-global:inactiveGenerations": JSON.stringify({ 1: { foundingRegion: "us-east-1" } }) }, true],
    ];
    for (const [phase, overrides, withSecondaries] of GENERATION_PHASES) {
        for (const firstPreview of [false, true]) {
            it(`passes prod ${phase}${firstPreview ? ", as the preview that adds it" : ""}: no mandatory violation, both datastores checked`, async () => {
                const file = loadStackFile("prod");
                const run = await runProgramShared("prod", { ...file.config, ...overrides }, file.secretKeys, { firstPreview });
                await configureFor(pack, "prod");
                const findings = await evaluate(pack, "prod", run.resources);
                const mandatory = findings.filter((f) => f.level === "mandatory");
                assert.deepEqual(mandatory, [], describeFindings(mandatory));
                if (withSecondaries) {
                    // Not vacuous: the same pack flags a missing lag alarm on generation 2's secondary.
                    const g2Alarms = run.resources.filter((r) => r.type === T.alarm && String(r.inputs.name).startsWith("prod-g2-us-west-2-0001-global-replication-lag"));
                    assert.ok(g2Alarms.length > 0, "generation 2 declares lag alarms for its secondaries");
                    const without = await evaluate(pack, "prod", run.resources.filter((r) => !g2Alarms.includes(r)));
                    assert.ok(without.some((f) => f.policyName === "global-datastore-lag-alarms" && f.resourceName === "cache-g2-us-west-2"),
                        describeFindings(without));
                } else {
                    // A founder-only datastore has nothing the secondary rules could flag; not vacuous either: its primary is judged.
                    assert.ok(!run.resources.some((r) => r.type === T.replicationGroup && r.name === "cache-g2-us-west-2"), "no secondary is declared");
                    // A shallow copy: a first preview's unknowns cannot be deep-cloned.
                    const resources = run.resources.map((r) => r.type === T.replicationGroup && r.name === "cache-g2-us-east-1"
                        ? { ...r, inputs: { ...r.inputs, multiAzEnabled: false }, state: { ...r.state, multiAzEnabled: false } } : r);
                    const mutated = await evaluate(pack, "prod", resources);
                    assert.ok(mutated.some((f) => f.policyName === "global-datastore-primary-compliant" && f.resourceName === "cache-g2-us-east-1"),
                        describeFindings(mutated));
                }
            });
        }
    }
});
