/**
 * Every preview and up recovery runs on the deployment stack runs the policy pack with the stack's
 * config file, as CI does (`--policy-pack policies --policy-pack-config policies/config/<stack>.json`),
 * and a mandatory violation stops the run before `up`.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { CommandError, EngineEvent, Stack } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../../offline/run";
import { GuardRefusedError, previewThenUp } from "../../recovery/lib/guard";
import { LocalWorkspaceStackDriver, policyViolationsFromEngineEvents } from "../../recovery/lib/local-workspace";
import { describePolicyPack, stackPolicyPack } from "../../recovery/lib/policy-pack";
import { Progress } from "../../recovery/lib/progress";
import { PolicyViolation, PreviewFailedError } from "../../recovery/lib/stack-driver";
import { RealPolicyPack } from "./fake/policy-pack";
import { FakeStackDriver } from "./fake/stack-driver";

const NS = "elasticache-global";
const RG_URN = `urn:pulumi:prod::${NS}::${NS}:index:GlobalCache$${NS}:index:GlobalDatastore$aws:elasticache/replicationGroup:ReplicationGroup::cache-us-east-1`;

/** A PolicyEvent as the Automation API delivers it (@pulumi/pulumi/automation/events.d.ts). */
function policyEvent(sequence: number, enforcementLevel: "warning" | "mandatory", policyName: string, message: string): EngineEvent {
    return {
        sequence, timestamp: 1760000000 + sequence,
        policyEvent: {
            resourceUrn: RG_URN, message, color: "never", policyName, policyPackName: "elasticache-global",
            policyPackVersion: "0.1.0", policyPackVersionTag: "", enforcementLevel,
        },
    };
}

/**
 * A selected stack that records the options of every preview and up and emits `events` through
 * onEvent; `fail` makes the command fail after the events, as the CLI does after a mandatory violation.
 */
function recordingStack(events: EngineEvent[] = [], fail?: Error): { stack: Stack; calls: Array<{ op: string; opts: Record<string, unknown> }> } {
    const calls: Array<{ op: string; opts: Record<string, unknown> }> = [];
    const run = (op: string) => async (opts: { onEvent?: (e: EngineEvent) => void } & Record<string, unknown>) => {
        calls.push({ op, opts });
        events.forEach((e) => opts.onEvent?.(e));
        if (fail) {
            throw fail;
        }
        return { outputs: {}, summary: {}, stdout: "", stderr: "", changeSummary: {} };
    };
    return { stack: { name: "prod", preview: run("preview"), up: run("up") } as unknown as Stack, calls };
}

describe("recovery/lib/policy-pack: which pack and config file a stack runs with", () => {
    it("uses policies/config/<stack>.json when it exists, and says so", () => {
        const run = stackPolicyPack(PROJECT_DIR, "prod");
        assert.deepEqual(run, {
            packDir: path.join(PROJECT_DIR, "policies"),
            lookedFor: path.join(PROJECT_DIR, "policies", "config", "prod.json"),
            configFile: path.join(PROJECT_DIR, "policies", "config", "prod.json"),
        });
        assert.equal(describePolicyPack(run), "policy pack policies with policies/config/prod.json");
    });

    it("runs the pack without a config file for a stack that has none, and says which file it looked for", () => {
        const run = stackPolicyPack(PROJECT_DIR, "dev");
        assert.equal(run.configFile, undefined);
        assert.equal(describePolicyPack(run),
            "policy pack policies without a config file (policies/config/dev.json does not exist: each policy at its own level and defaults)");
    });
});

describe("recovery/lib/local-workspace: the pack on every preview and up (Automation API policyPacks, policyPackConfigs)", () => {
    it("passes the pack and the stack's config file to preview and up", async () => {
        const { stack, calls } = recordingStack();
        const driver = LocalWorkspaceStackDriver.wrap(stack, stackPolicyPack(PROJECT_DIR, "prod"));
        await driver.preview();
        await driver.up({ targets: [RG_URN] });
        assert.deepEqual(calls.map((c) => [c.op, c.opts.policyPacks, c.opts.policyPackConfigs]), [
            ["preview", [path.join(PROJECT_DIR, "policies")], [path.join(PROJECT_DIR, "policies", "config", "prod.json")]],
            ["up", [path.join(PROJECT_DIR, "policies")], [path.join(PROJECT_DIR, "policies", "config", "prod.json")]],
        ]);
        assert.deepEqual(calls[1].opts.target, [RG_URN]);
        assert.equal(driver.policyPack.configFile, path.join(PROJECT_DIR, "policies", "config", "prod.json"));
    });

    it("passes no config file when the stack has none: each policy runs at its own level", async () => {
        const { stack, calls } = recordingStack();
        await LocalWorkspaceStackDriver.wrap(stack, stackPolicyPack(PROJECT_DIR, "dev")).preview();
        assert.deepEqual(calls[0].opts.policyPacks, [path.join(PROJECT_DIR, "policies")]);
        assert.equal(calls[0].opts.policyPackConfigs, undefined);
    });

    it("turns the policy events of a preview the CLI failed into a PreviewFailedError that names each violation", async () => {
        const events = [
            policyEvent(1, "mandatory", "elasticache-snapshot-retention", "ElastiCache replication group must keep snapshots for at least 14 days:\n\"cache-us-east-1\" keeps 3."),
            policyEvent(2, "warning", "elasticache-log-delivery", "ElastiCache replication group should deliver engine-log."),
        ];
        // The CLI's exit after a mandatory violation: the Automation API's CommandError (code 255), events delivered first.
        const { stack } = recordingStack(events, new CommandError("code: 255\n stdout: Previewing update (prod):\n\n stderr: error: preview failed\n err?: \n"));
        const reported: PolicyViolation[] = [];
        const failure = await LocalWorkspaceStackDriver.wrap(stack, stackPolicyPack(PROJECT_DIR, "prod"))
            .preview({ onPolicyViolation: (v) => reported.push(v) }).then(() => undefined, (e: unknown) => e);
        assert.ok(failure instanceof PreviewFailedError, String(failure));
        assert.deepEqual(failure.mandatory.map((v) => [v.policyName, v.urn, v.level, v.policyPack]),
            [["elasticache-snapshot-retention", RG_URN, "mandatory", "elasticache-global@0.1.0"]]);
        assert.match(failure.message, /pulumi preview failed for stack prod: error: preview failed\nmandatory policy violations:\n  - \[mandatory\] elasticache-snapshot-retention on cache-us-east-1 \(urn:pulumi:prod::.*\): ElastiCache replication group must keep snapshots for at least 14 days: "cache-us-east-1" keeps 3\./);
        assert.deepEqual(reported.map((v) => v.level), ["mandatory", "advisory"], "every violation reaches the caller, advisory ones as advisory");
    });

    it("reads PolicyEvents only: other events are not violations", () => {
        assert.deepEqual(policyViolationsFromEngineEvents([{ sequence: 0, timestamp: 1, preludeEvent: { config: {} } }]), []);
    });
});

describe("recovery/lib/guard: the real policy pack through the fake stack driver", function () {
    this.timeout(120_000);
    let pack: RealPolicyPack;
    before(async () => {
        pack = await RealPolicyPack.start("prod");
    });
    after(async () => {
        await pack?.close();
    });

    it("refuses before up when the configuration breaks a mandatory policy, naming policy, resource and message, and which config file ran", async () => {
        // Someone lowered the retention by hand; the deployed caches keep 14 days, so only the policy can object.
        const driver = await FakeStackDriver.create("prod", {
            policy: pack, overrides: { [`${NS}:backupRetentionDays`]: "3" }, deployedWith: { [`${NS}:backupRetentionDays`]: "14" },
        });
        const progress = new Progress({ clock: { now: () => 42, sleep: async () => undefined } });
        const refused = await previewThenUp(driver, { emit: progress.emit, clock: progress.clock }).then(() => undefined, (e: unknown) => e);
        assert.ok(refused instanceof GuardRefusedError, String(refused));
        assert.deepEqual(driver.operations, ["preview"], "up never ran");
        const names = refused.verdict.violations.map((v) => [v.policyName, v.urn?.slice(v.urn.lastIndexOf("::") + 2)]);
        assert.ok(names.some(([policy, resource]) => policy === "elasticache-snapshot-retention" && resource === "cache-us-east-1"), JSON.stringify(names));
        assert.match(refused.message, /^refusing to update: \d+ mandatory policy violations? \(elasticache-snapshot-retention on cache-us-east-1[^)]*\), from policy pack policies with policies\/config\/prod\.json:\n/);
        assert.match(refused.message, /\[mandatory\] elasticache-snapshot-retention on cache-us-east-1 \(urn:pulumi:prod::[^)]*ReplicationGroup::cache-us-east-1\): .*\S/);
        assert.match(refused.message, /pulumi up was not run\./);
        const findings = progress.steps[0].events.flatMap((e) => (e.type === "found" ? [e] : []));
        assert.ok(findings.some((f) => f.what === "the preview and the update run policy pack policies with policies/config/prod.json"));
        const refusal = findings.find((f) => f.level === "error");
        assert.ok(refusal, "the refusal is a finding of the guarded preview, so it reaches the report");
        assert.ok((refusal.detail?.policyViolations as PolicyViolation[]).some((v) => v.policyName === "elasticache-snapshot-retention"));
        assert.deepEqual(progress.steps.map((s) => [s.name, s.result]), [["guarded-preview", "failed"]]);
    });

    it("lets a compliant stack through, the pack judging the preview and the up alike", async () => {
        const driver = await FakeStackDriver.create("prod", { policy: pack });
        const before = pack.evaluations;
        await previewThenUp(driver);
        assert.deepEqual(driver.operations, ["preview", "up"]);
        assert.equal(pack.evaluations - before, 2);
    });
});
