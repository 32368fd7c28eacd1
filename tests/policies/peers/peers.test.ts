/**
 * The pack against the scanners' own test suites. Under each profile in policies/config/profiles/,
 * the real pack (one process over gRPC, reconfigured per profile) must give exactly that scanner's
 * verdict on every case of its suite: a mandatory violation from the rule that answers the case's
 * control when the scanner fails the resource, none when it passes or skips it. Where the scanner is
 * wrong, the case says why and the pack keeps its own verdict.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { reconcilePolicyPackConfig, loadPolicyPackConfigFile, PolicyPackConfig } from "../../../offline/policy/config";
import { PROFILES, PROFILE_NAMES, ProfileName, profileFile } from "../../../offline/policy/compliance";
import { DEFAULT_PACK_DIR, PolicyPackProcess } from "../../../offline/policy/host";
import { sharedPolicyPack } from "../../helpers/shared-pack";
import { checkedInputs } from "../../../offline/policy/provider-schema";
import { AnalyzedResource, defaultAwsProvider } from "../../../offline/policy/wire";
import { ANCHORS } from "../../../policies/lib/anchors";
import { packInfo } from "../pack-config";
import { PeerCase, Verdict } from "./case";
import { ALL_CASES } from "./cases";
import { answeringRuleNames, controlLabel, sameVerdict } from "./verdict";

const PROVIDER = defaultAwsProvider("peers", "elasticache-global", { region: "us-east-1" });

function analyzed(c: PeerCase, index: number): AnalyzedResource {
    const name = `${c.resource.name}-${index}`;
    return {
        urn: `urn:pulumi:peers::elasticache-global::${c.resource.type}::${name}`,
        type: c.resource.type,
        name,
        // What the engine sends Analyze: the inputs after the provider's Check.
        properties: checkedInputs(c.resource.type, c.resource.props),
        options: { protect: false, ignoreChanges: [] },
        provider: PROVIDER,
    };
}

function profileConfig(profile: ProfileName): PolicyPackConfig {
    const file = profileFile(DEFAULT_PACK_DIR, profile);
    return reconcilePolicyPackConfig(packInfo(), loadPolicyPackConfigFile(file), file);
}

function describeCase(c: PeerCase): string {
    return `${controlLabel(c)} [${c.source}]`;
}

describe("the pack against the scanners' own test suites", function () {
    this.timeout(180000);
    let pack: PolicyPackProcess;

    before(async () => {
        pack = await sharedPolicyPack(DEFAULT_PACK_DIR, { stack: { stack: "peers", project: "elasticache-global", dryRun: true } });
    });

    after(async () => {
        await pack?.close();
    });

    /** The pack's mandatory verdict on each case, over gRPC, judged by the rule(s) answering its control. */
    async function verdictsUnder(profile: ProfileName, cases: PeerCase[]): Promise<Verdict[]> {
        const info = await pack.info();
        const file = profileFile(DEFAULT_PACK_DIR, profile);
        await pack.configure(reconcilePolicyPackConfig(info, loadPolicyPackConfigFile(file), file));
        const verdicts: Verdict[] = [];
        for (const [i, c] of cases.entries()) {
            const rules = answeringRuleNames(c);
            const { violations, notApplicable } = await pack.analyzeWithApplicability(analyzed(c, i));
            const mandatory = violations.filter((v) => rules.includes(v.policyName) && v.level === "mandatory");
            const applicable = rules.some((r) => !notApplicable.some((n) => n.policyName === r));
            verdicts.push(mandatory.length > 0 ? "fail" : applicable ? "pass" : "skip");
        }
        return verdicts;
    }

    it("names the source of every case and a control the pack's anchors answer", () => {
        for (const c of ALL_CASES) {
            assert.match(c.source, /^([\w.-]+\/[\w.-]+ \S+|AWS .+)/, `${controlLabel(c)}: source "${c.source}" names no repository path or documentation page`);
            assert.ok(answeringRuleNames(c).length > 0, `${describeCase(c)}: no rule's anchors name this control`);
            if (c.peerWrong) {
                assert.ok(!sameVerdict(c.verdict, c.peerWrong.ours), `${describeCase(c)}: marked as the peer being wrong, yet the verdicts agree`);
            }
        }
    });

    for (const profile of PROFILE_NAMES) {
        const peer = PROFILES[profile];
        const cases = ALL_CASES.filter((c) => c.peer === peer);

        describe(`profile ${profile} (${peer}, ${path.relative(path.resolve(DEFAULT_PACK_DIR, ".."), profileFile(DEFAULT_PACK_DIR, profile))})`, () => {
            it(`makes mandatory exactly the rules that answer ${peer}'s controls, one rule per control`, () => {
                const config = profileConfig(profile);
                const anchored = Object.entries(ANCHORS).filter(([, a]) => a.some((x) => x.framework === peer)).map(([rule]) => rule).sort();
                const mandatory = Object.entries(config).filter(([, c]) => c.enforcementLevel === "mandatory").map(([rule]) => rule).sort();
                assert.deepEqual(mandatory, anchored);
                for (const id of new Set(Object.values(ANCHORS).flat().filter((a) => a.framework === peer).map((a) => a.id))) {
                    assert.equal(answeringRuleNames({ peer, control: id } as PeerCase).length, 1, `${peer} ${id} is answered by more than one rule`);
                }
            });

            it(`gives ${peer}'s verdict on each of its ${cases.filter((c) => !c.peerWrong).length} cases, over gRPC`, async () => {
                assert.ok(cases.length > 0, `no ${peer} cases`);
                const judged = cases.filter((c) => !c.peerWrong);
                const verdicts = await verdictsUnder(profile, judged);
                const differences = judged.map((c, i) => ({ c, ours: verdicts[i] })).filter(({ c, ours }) => !sameVerdict(c.verdict, ours))
                    .map(({ c, ours }) => `${describeCase(c)}: ${peer} says ${c.verdict}, the pack ${ours}`);
                assert.deepEqual(differences, []);
                // Not vacuous: the suite has cases of both verdicts, and the pack failed the failing ones.
                assert.ok(judged.some((c) => c.verdict === "fail") && judged.some((c) => c.verdict !== "fail"));
            });

            const wrong = cases.filter((c) => c.peerWrong);
            if (wrong.length > 0) {
                it(`keeps its own verdict on the ${wrong.length} cases where ${peer} is wrong`, async () => {
                    const verdicts = await verdictsUnder(profile, wrong);
                    const differences = wrong.map((c, i) => ({ c, ours: verdicts[i] })).filter(({ c, ours }) => !sameVerdict(c.peerWrong!.ours, ours))
                        .map(({ c, ours }) => `${describeCase(c)}: the pack says ${ours}, and should say ${c.peerWrong!.ours} (${c.peerWrong!.why})`);
                    assert.deepEqual(differences, []);
                });
            }
        });
    }
});
