/**
 * Measurement, not a test: how often the pack's verdict equals each peer's on the translated cases.
 *
 *   npx ts-node --transpile-only tests/policies/peers/agreement.ts [--config <policy-pack config file>] [--mandatory] [--anchors <file>]
 *
 * Without --config every rule runs at its own level with its defaults (what `pulumi preview
 * --policy-pack policies` does with no config file) and any violation counts; with a profile, add
 * --mandatory to count only what would fail a preview. A case is judged by the rules whose anchors
 * name its control; --anchors takes a JSON file {"<peer> <control>": ["<rule>", ...]} to judge by
 * another mapping (to measure an older pack whose anchors named fewer controls). Cases where the peer
 * is wrong count as agreement only when the pack gives its own stated verdict.
 */
import * as fs from "fs";
import { parseArgs } from "util";
import { loadPolicyPackConfigFile, reconcilePolicyPackConfig } from "../../../offline/policy/config";
import { packInfo } from "../pack-config";
import { PeerCase } from "./case";
import { ALL_CASES } from "./cases";
import { answeringRuleNames, controlLabel, packVerdict, sameVerdict } from "./verdict";

async function main(): Promise<void> {
    const { values } = parseArgs({ options: { config: { type: "string" }, mandatory: { type: "boolean" }, anchors: { type: "string" } } });
    const config = reconcilePolicyPackConfig(packInfo(), values.config ? loadPolicyPackConfigFile(values.config) : {});
    const mapping = values.anchors ? JSON.parse(fs.readFileSync(values.anchors, "utf8")) as Record<string, string[]> : undefined;
    const rulesOf = (c: PeerCase) => mapping?.[controlLabel(c)] ?? answeringRuleNames(c);
    const byPeer = new Map<string, { agree: number; total: number; wrong: number; misses: string[] }>();
    for (const c of ALL_CASES) {
        const row = byPeer.get(c.peer) ?? { agree: 0, total: 0, wrong: 0, misses: [] };
        byPeer.set(c.peer, row);
        const ours = await packVerdict(c, rulesOf(c), config, values.mandatory === true);
        const agrees = c.peerWrong ? sameVerdict(c.peerWrong.ours, ours.verdict) : sameVerdict(c.verdict, ours.verdict);
        row.total += 1;
        row.wrong += c.peerWrong ? 1 : 0;
        row.agree += agrees ? 1 : 0;
        if (!agrees) {
            row.misses.push(`${controlLabel(c)} [${c.source}]: peer ${c.verdict}, pack ${ours.verdict} by ${ours.rules.join(" + ") || "no rule"}`);
        }
    }
    let agree = 0;
    let total = 0;
    console.log(`config: ${values.config ?? "none (each rule's own level and defaults)"}; counting ${values.mandatory ? "mandatory violations" : "violations at any level"}`);
    for (const [peer, row] of byPeer) {
        agree += row.agree;
        total += row.total;
        console.log(`${peer.padEnd(14)} ${String(row.agree).padStart(3)} of ${String(row.total).padStart(3)}${row.wrong ? ` (${row.wrong} where the peer is wrong, judged by the pack's own verdict)` : ""}`);
        row.misses.forEach((m) => console.log(`    differs: ${m}`));
    }
    console.log(`${"all".padEnd(14)} ${String(agree).padStart(3)} of ${String(total).padStart(3)}`);
}

main().catch((e) => {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
});
