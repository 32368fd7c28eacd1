/**
 * Test-only: the pack's verdict on a translated case, judged by the rule(s) whose anchors name the
 * case's control, run directly (tests/policies/helpers.ts) under a resolved policy-pack config.
 * The same judgement over gRPC is in peers.test.ts; this direct one is cheap enough to measure the
 * agreement of every case under every config (agreement.ts).
 */
import { Policy } from "@pulumi/policy";
import { PolicyPackConfig } from "../../../offline/policy/config";
import { ANCHORS } from "../../../policies/lib/anchors";
import { ALL_POLICIES } from "../../../policies/rules";
import { checkResource } from "../helpers";
import { PeerCase, Verdict } from "./case";

/** "checkov CKV_AWS_29": how anchors and reports name a control. */
export function controlLabel(c: Pick<PeerCase, "peer" | "control">): string {
    return `${c.peer} ${c.control}`;
}

/** Names of the rules whose anchors name the case's control, from `anchors` (the pack's own by default). */
export function answeringRuleNames(c: PeerCase, anchors: Readonly<Record<string, readonly { framework: string; id: string }[]>> = ANCHORS): string[] {
    return Object.entries(anchors).filter(([, list]) => list.some((a) => a.framework === c.peer && a.id === c.control)).map(([name]) => name);
}

export interface PackVerdict {
    verdict: Verdict;
    /** The rules that judged, and what they said. */
    rules: string[];
    messages: string[];
}

/**
 * Fail when any answering rule reports a violation that counts (every level, or with `mandatoryOnly`
 * only mandatory and remediate, which the engine treats alike); skip when none answers or every one
 * is not applicable; pass otherwise.
 */
export async function packVerdict(c: PeerCase, ruleNames: string[], config: PolicyPackConfig, mandatoryOnly: boolean): Promise<PackVerdict> {
    const rules = ruleNames.map((name) => {
        const policy = ALL_POLICIES.find((p) => p.name === name);
        if (!policy) {
            throw new Error(`anchors name rule ${name}, which the pack does not have`);
        }
        return policy as Policy;
    });
    const messages: string[] = [];
    let applicable = false;
    for (const rule of rules) {
        const level = config[rule.name]?.enforcementLevel ?? rule.enforcementLevel;
        if (level === "disabled") {
            continue;
        }
        const outcome = await checkResource(rule, { type: c.resource.type, name: c.resource.name, props: c.resource.props }, config[rule.name]?.properties ?? {});
        if (outcome.notApplicable !== undefined) {
            continue;
        }
        applicable = true;
        if (!mandatoryOnly || level === "mandatory" || level === "remediate") {
            messages.push(...outcome.violations);
        }
    }
    return { verdict: messages.length > 0 ? "fail" : applicable ? "pass" : "skip", rules: ruleNames, messages };
}

/** A peer's skip and the pack's pass both mean "nothing to report". */
export function sameVerdict(peer: Verdict, pack: Verdict): boolean {
    return (peer === "fail") === (pack === "fail");
}
