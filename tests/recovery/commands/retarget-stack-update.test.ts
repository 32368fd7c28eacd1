/**
 * The reconcile's guarded update is two real steps (guarded-preview, then stack-update for up alone),
 * so when the stack fails partway the report and the next steps say how far it got: up never
 * started (the writer certainly did not move), up stopped halfway, or only the check after it failed.
 */
import * as assert from "node:assert/strict";
import { PlannedStep } from "../../../recovery/lib/stack-driver";
import { T } from "../../helpers/program";
import { Harness, harness } from "./harness";

const PROMOTE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--yes"];
const EXIT_PARTIAL = 3;

describe("retarget-primary: how far the stack update got", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    const steps = () => h.lastReport().steps.map((s) => `${s.name} ${s.result}`);
    const nextSteps = () => h.lastReport().nextSteps.join("\n");

    it("up fails: the stack-update step is reported FAILED and the next steps say the update stopped halfway", async () => {
        h = await harness();
        h.driver.injectFault("backend-unreachable", { ops: ["up"] });
        assert.equal(await h.run(...PROMOTE), EXIT_PARTIAL, h.stderr.text);
        assert.ok(steps().includes("guarded-preview ok") && steps().includes("stack-update failed"), steps().join(", "));
        assert.match(h.stdout.text, /\[stack-update\] FAILED: the state backend of stack prod is unreachable, so up cannot run/);
        assert.match(nextSteps(), /The stack update stopped halfway: check the SSM parameter \/elasticache-global\/prod\/writer in each region/);
        assert.doesNotMatch(nextSteps(), /NOT moved/);
    });

    it("the preview after a successful up fails: the writer moved, and the next steps say to check it, not that it did not move", async () => {
        h = await harness();
        // The guarded preview passes; the final check's preview is the second one.
        h.driver.injectFault("backend-unreachable", { ops: ["preview"], after: 1 });
        assert.equal(await h.run(...PROMOTE), EXIT_PARTIAL, h.stderr.text);
        const update = h.lastReport().steps.find((s) => s.name === "stack-update")!;
        assert.equal(update.result, "ok");
        assert.match(update.summary!, /^up applied \d+ changes$/);
        assert.ok(steps().includes("final-check failed"), steps().join(", "));
        assert.match(nextSteps(), /Check that applications write to us-west-2: the SSM parameter \/elasticache-global\/prod\/writer in us-west-2 names it/);
        assert.doesNotMatch(nextSteps(), /NOT moved|stopped halfway/);
    });

    it("the guarded preview fails: up never started, so the next steps say the writer was NOT moved", async () => {
        h = await harness();
        h.driver.injectFault("backend-unreachable", { ops: ["preview"] });
        assert.equal(await h.run(...PROMOTE), EXIT_PARTIAL, h.stderr.text);
        assert.ok(steps().includes("guarded-preview failed") && !steps().some((s) => s.startsWith("stack-update")), steps().join(", "));
        assert.match(nextSteps(), /The writer endpoint follows the stack, so it was NOT moved/);
        assert.ok(!h.driver.operations.includes("up"));
    });

    it("a final check that still plans a replacement: the partial summary names that check, not a guard refusal before up", async () => {
        h = await harness();
        const preview = h.driver.preview.bind(h.driver);
        let previews = 0;
        h.driver.preview = async (options) => {
            const planned = await preview(options);
            const founder = planned.find((s) => s.type === T.replicationGroup && s.urn.endsWith("::cache-us-east-1"))!;
            const replace: PlannedStep = { ...founder, op: "replace", diffs: ["port"], replaceKeys: ["port"] };
            return ++previews === 2 ? [...planned, replace] : planned;
        };
        assert.equal(await h.run(...PROMOTE), EXIT_PARTIAL, h.stderr.text);
        assert.ok(h.driver.operations.includes("up"));
        assert.match(h.stdout.text, /PARTIAL: us-west-2 accepts writes; the stack is behind: stack prod was updated, but a fresh preview after the update still plans to replace or delete data/);
        assert.doesNotMatch(h.stdout.text, /PARTIAL: .*the guard refused the update/);
        assert.match(nextSteps(), /Do NOT run pulumi up on stack prod/);
    });
});
