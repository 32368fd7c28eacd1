/**
 * The commands that update the deployment stack run the real policy pack with policies/config/prod.json
 * on their previews, as CI does: a configuration a pull request could not deploy (snapshot retention
 * below the 14 days prod.json requires, set by hand; the deployed caches still keep 14, so neither the
 * engine nor the guard's protected-resource check objects) stops each run before `up`, names the
 * violation and is in the run's report.
 */
import * as assert from "node:assert/strict";
import { ReportDocument } from "../../../recovery/lib/report";
import { RealPolicyPack } from "../fake/policy-pack";
import { Harness, harness, key } from "./harness";
import { MINUTE, REJOIN, detachedThenBack } from "./rejoin-scenario";

const LOWERED = { [key("backupRetentionDays")]: "3" };
const DEPLOYED = { [key("backupRetentionDays")]: "14" };
const VIOLATION = /\[mandatory\] elasticache-snapshot-retention on cache-us-east-1 \(urn:pulumi:prod::[^)]*::cache-us-east-1\): \S.*/;
const PACK_LINE = /policy pack policies with policies\/config\/prod\.json/;

/** The report's findings that carry the policy violations (the refusal). */
function policyFindings(report: ReportDocument): string[] {
    return report.steps.flatMap((s) => s.findings.filter((f) => Array.isArray(f.detail?.policyViolations) &&
        (f.detail.policyViolations as { policyName: string }[]).some((v) => v.policyName === "elasticache-snapshot-retention")).map((f) => `${s.name}: ${f.what}`));
}

describe("recovery commands run the policy pack on the stack's previews", function () {
    this.timeout(180_000);
    let pack: RealPolicyPack;
    let h: Harness | undefined;
    before(async () => {
        pack = await RealPolicyPack.start("prod");
    });
    after(async () => {
        await pack?.close();
    });
    afterEach(() => {
        h?.cleanup();
        h = undefined;
    });

    it("reconcile (retarget-primary planned): the promotion happens, the stack update is refused before up, naming the violation", async () => {
        h = await harness({ policy: pack, overrides: LOWERED, deployedWith: DEPLOYED });
        assert.equal(await h.run("retarget-primary", "--stack", "prod", "--to", "us-west-2", "--yes"), 3, h.stdout.text + h.stderr.text);
        assert.equal(h.aws.datastore().members.find((m) => m.region === "us-west-2")?.role, "PRIMARY", "the promotion itself happened");
        assert.ok(!h.driver.operations.includes("up"), "pulumi up never ran");
        const out = h.stdout.text + h.stderr.text;
        assert.match(out, PACK_LINE);
        assert.match(out, VIOLATION);
        assert.match(out, /stack prod was NOT brought in line with us-west-2 as primary/);
        assert.doesNotMatch(out, /Find out why the program would replace or delete/, "nothing would be replaced: the policy refused");
        const report = h.lastReport();
        assert.equal(report.outcome, "partial");
        assert.ok(policyFindings(report).some((f) => f.startsWith("stack-update-preview: ") || f.startsWith("guarded-preview: ")), JSON.stringify(report.steps.map((s) => s.name)));
    });

    it("retire-generation: refused at its first update, before the final snapshot and before any up", async () => {
        h = await harness({
            policy: pack,
            overrides: {
                ...LOWERED, [key("generation")]: "2", [key("seedSnapshot")]: "automatic.prod-us-east-1-2025-01-15-03-00",
                [key("inactiveGenerations")]: JSON.stringify({ 1: { foundingRegion: "us-east-1" } }),
            },
            deployedWith: DEPLOYED,
        });
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1, h.stdout.text);
        assert.ok(!h.driver.operations.includes("up"), "pulumi up never ran");
        assert.equal(h.aws.log.calls({ command: "CreateSnapshot" }).length, 0, "no final snapshot: the run stopped before it");
        assert.match(h.stdout.text + h.stderr.text, VIOLATION);
        assert.match(h.stdout.text, PACK_LINE);
        assert.ok(policyFindings(h.lastReport()).length > 0, "the violation is in the report");
        assert.match(h.lastReport().error ?? "", /elasticache-snapshot-retention/);
    });

    it("rejoin: its first preview runs the pack, so the refusal comes before the writers move or anything is retired", async () => {
        const scene = await detachedThenBack("published", { policy: pack, overrides: LOWERED, deployedWith: DEPLOYED });
        h = scene.h;
        const before = h.aws.mutatingCalls().length;
        h.aws.clock.advance(MINUTE);
        assert.equal(await h.run(...REJOIN, "--yes"), 1, h.stdout.text);
        assert.equal(h.aws.mutatingCalls().length, before, "no writer parameter, no detach, no deletion");
        assert.deepEqual(h.driver.calls.filter((c) => ["setConfig", "refresh", "up"].includes(c.op)), [], "the stack was not touched");
        const out = h.stdout.text + h.stderr.text;
        assert.match(out, VIOLATION);
        assert.match(out, /Nothing was changed/);
        assert.ok(policyFindings(h.lastReport()).length > 0, "the violation is in the report");
    });
});
