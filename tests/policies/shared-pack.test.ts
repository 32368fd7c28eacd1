/**
 * The shared pack of tests/helpers/shared-pack.ts remembers Analyze and AnalyzeStack answers: a request
 * it has answered under the same configuration does not reach the pack again, and nothing else is
 * answered from memory. Counted where requests leave for the pack: the generated gRPC client's analyze
 * and analyzeStack.
 */
import * as assert from "node:assert/strict";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { PROJECT, loadStackFile } from "../../offline/run";
import { DEFAULT_PACK_DIR, PolicyPackProcess } from "../../offline/policy/host";
import { AnalyzedResource, UNKNOWN, defaultAwsProvider, fromRecorded } from "../../offline/policy/wire";
import { sharedPolicyPack } from "../helpers/shared-pack";
import { T, runStackShared } from "../helpers/program";

describe("the shared policy pack's memory of Analyze answers", function () {
    this.timeout(120_000);
    let pack: PolicyPackProcess;
    let group: AnalyzedResource;
    let sent = 0;
    const send = AnalyzerClient.prototype.analyze;

    before(async () => {
        // A stack name of its own: a process of its own, which nothing has asked before.
        pack = await sharedPolicyPack(DEFAULT_PACK_DIR, { stack: { stack: "shared-pack-memory", project: PROJECT, dryRun: true } });
        const prod = await runStackShared("prod");
        const provider = defaultAwsProvider("prod", PROJECT, { region: loadStackFile("prod").config["aws:region"] });
        group = fromRecorded(prod.resources.find((r) => r.type === T.replicationGroup)!, "inputs", provider);
        group.properties = { ...group.properties, atRestEncryptionEnabled: false };
        AnalyzerClient.prototype.analyze = function (this: AnalyzerClient, ...args: unknown[]) {
            sent += 1;
            return (send as (...a: unknown[]) => unknown).apply(this, args);
        } as typeof send;
    });

    after(async () => {
        AnalyzerClient.prototype.analyze = send;
        await pack?.configure({});
        await pack?.close();
    });

    const atRest = <V extends { policyName: string }>(violations: V[]) => violations.filter((v) => v.policyName === "elasticache-encryption-at-rest");

    it("asks the pack once for the same request under the same configuration, and gives each asker a copy of its own", async () => {
        const before = sent;
        const first = await pack.analyzeWithApplicability(group);
        assert.equal(atRest(first.violations).length, 1, "an unencrypted group violates the rule");
        first.violations.length = 0;
        first.notApplicable.push({ policyName: "changed by a caller", reason: "" });
        const second = await pack.analyzeWithApplicability(group);
        const third = await pack.analyze(structuredClone(group));
        assert.equal(sent - before, 1, "one request reached the pack");
        assert.equal(atRest(second.violations).length, 1, "the answer kept is not the copy a caller changed");
        assert.ok(!second.notApplicable.some((n) => n.policyName === "changed by a caller"));
        assert.deepEqual(third, second.violations);
    });

    it("asks again when the request differs in any way: an unknown, a missing value, another value", async () => {
        const variants: AnalyzedResource[] = [
            { ...group, properties: { ...group.properties, atRestEncryptionEnabled: UNKNOWN } },
            { ...group, properties: Object.fromEntries(Object.entries(group.properties).filter(([k]) => k !== "atRestEncryptionEnabled")) },
            { ...group, properties: { ...group.properties, atRestEncryptionEnabled: true } },
        ];
        const before = sent;
        const answers = [];
        for (const variant of variants) {
            answers.push(atRest(await pack.analyze(variant)));
        }
        assert.equal(sent - before, variants.length, "each variant reached the pack");
        assert.match(answers[0][0]?.message ?? "", /could not verify/, "unknown: could not verify");
        assert.deepEqual(answers[2], [], "encrypted: no violation");
    });

    it("asks again once the configuration changes, and answers by the new one", async () => {
        await pack.configure({ "elasticache-encryption-at-rest": { enforcementLevel: "disabled", properties: {} } });
        const before = sent;
        assert.deepEqual(atRest(await pack.analyze(group)), [], "the rule is disabled");
        assert.equal(sent - before, 1, "the request reached the pack under the new configuration");
        await pack.configure({});
        assert.equal(atRest(await pack.analyze(group)).length, 1, "back to the pack's defaults");
    });

    describe("AnalyzeStack", () => {
        let stack: AnalyzedResource[];
        let stackSent = 0;
        const sendStack = AnalyzerClient.prototype.analyzeStack;

        before(async () => {
            const prod = await runStackShared("prod");
            const provider = defaultAwsProvider("prod", PROJECT, { region: loadStackFile("prod").config["aws:region"] });
            stack = prod.resources.map((r) => fromRecorded(r, "state", provider));
            AnalyzerClient.prototype.analyzeStack = function (this: AnalyzerClient, ...args: unknown[]) {
                stackSent += 1;
                return (sendStack as (...a: unknown[]) => unknown).apply(this, args);
            } as typeof sendStack;
        });

        after(() => {
            AnalyzerClient.prototype.analyzeStack = sendStack;
        });

        it("asks the pack once for the same stack under the same configuration, a copy for each asker", async () => {
            await pack.configure({});
            const before = stackSent;
            const first = await pack.analyzeStackWithApplicability(stack);
            const pristine = structuredClone(first);
            first.violations.push({ policyName: "changed by a caller" } as (typeof first.violations)[number]);
            const second = await pack.analyzeStackWithApplicability(structuredClone(stack));
            assert.equal(stackSent - before, 1, "one request reached the pack");
            assert.deepEqual(second, pristine);
        });

        it("asks again for a stack that differs in one property, and after the configuration changes", async () => {
            await pack.analyzeStack(stack);
            const before = stackSent;
            const changed = stack.map((r) => (r.type === T.replicationGroup ? { ...r, properties: { ...r.properties, description: "another" } } : r));
            await pack.analyzeStack(changed);
            assert.equal(stackSent - before, 1, "the changed stack reached the pack");
            await pack.configure({ "elasticache-encryption-at-rest": { enforcementLevel: "disabled", properties: {} } });
            await pack.analyzeStack(stack);
            assert.equal(stackSent - before, 2, "and so did the first one, under the new configuration");
            await pack.configure({});
        });
    });
});
