import * as assert from "node:assert/strict";
import {
    CommandError, ConcurrentUpdateError, DiffKind, EngineEvent, Stack, StackNotFoundError as AutomationStackNotFoundError,
} from "@pulumi/pulumi/automation";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { LocalWorkspaceStackDriver, classifyAutomationError, stepFromEngineEvent, stepsFromEngineEvents } from "../../recovery/lib/local-workspace";
import {
    BackendUnreachableError, PlannedStep, PreviewFailedError, PulumiCliMissingError, StackDriverError, StackLockedError, StackNotFoundError,
    StackUnavailableError,
} from "../../recovery/lib/stack-driver";
import { PROJECT_DIR } from "../../offline/run";
import { stackPolicyPack } from "../../recovery/lib/policy-pack";
import { FakeStackDriver, changedProperties, planSteps, withIgnoredChanges } from "./fake/stack-driver";
import { RecordedResource } from "../../offline/run";
import { T } from "../helpers/program";

const NS = "elasticache-global";
const RG_URN = `urn:pulumi:prod::${NS}::${NS}:index:GlobalCache$${NS}:index:GlobalDatastore$${T.replicationGroup}::cache-us-east-1`;

/** A resource pre-event as the engine sends it during a preview (shape from the Automation API's EngineEvent). */
function preEvent(sequence: number, metadata: Partial<NonNullable<EngineEvent["resourcePreEvent"]>["metadata"]>): EngineEvent {
    return {
        sequence, timestamp: 1760000000 + sequence,
        resourcePreEvent: {
            planning: true,
            metadata: { op: "same", urn: RG_URN, type: T.replicationGroup, provider: "urn:pulumi:prod::x::pulumi:providers:aws::default_7_0_0::id", ...metadata },
        },
    };
}

describe("recovery/lib/local-workspace: engine events to planned steps", () => {
    it("maps a replace pre-event with keys and a detailed diff, replacing paths included", () => {
        const step = stepFromEngineEvent(preEvent(7, {
            op: "replace", keys: ["port"], diffs: ["port", "tags"],
            detailedDiff: {
                "port": { diffKind: DiffKind.updateReplace, inputDiff: true },
                "tags.team": { diffKind: DiffKind.update, inputDiff: true },
                "kmsKeyId": { diffKind: DiffKind.addReplace, inputDiff: true },
            },
        }));
        assert.deepEqual(step, { op: "replace", urn: RG_URN, type: T.replicationGroup, diffs: ["port", "tags"], replaceKeys: ["port", "kmsKeyId"] });
    });

    it("derives top-level diffs from the detailed diff when the engine sends no diffs list", () => {
        const step = stepFromEngineEvent(preEvent(1, {
            op: "update",
            detailedDiff: { "tags.team": { diffKind: DiffKind.update, inputDiff: true }, "logDeliveryConfigurations[0].destination": { diffKind: DiffKind.update, inputDiff: true } },
        }));
        assert.deepEqual(step?.diffs, ["tags", "logDeliveryConfigurations"]);
        assert.deepEqual(step?.replaceKeys, []);
    });

    it("ignores events that announce no step and keeps each (op, urn) once, in order", () => {
        const events: EngineEvent[] = [
            { sequence: 0, timestamp: 1, preludeEvent: { config: {} } },
            preEvent(1, { op: "create-replacement", keys: ["port"] }),
            preEvent(2, { op: "replace", keys: ["port"] }),
            preEvent(3, { op: "replace", keys: ["port"] }),
            { sequence: 4, timestamp: 5, diagnosticEvent: { message: "x", color: "never", severity: "info" } },
            preEvent(5, { op: "delete-replaced", keys: ["port"] }),
        ];
        assert.deepEqual(stepsFromEngineEvents(events).map((s) => s.op), ["create-replacement", "replace", "delete-replaced"]);
    });
});

describe("recovery/lib/local-workspace: CLI failures to typed errors", () => {
    // The message the Automation API's errors carry: its (internal) CommandResult.toString() of the CLI run.
    const cli = (stderr: string) => `code: 255\n stdout: Previewing update (prod):\n\n stderr: ${stderr}\n err?: \n`;
    const stderr = (text: string) => new CommandError(cli(text));

    it("turns a concurrent update into StackLockedError naming the stack and how to unlock", () => {
        const e = classifyAutomationError("prod", "up", new ConcurrentUpdateError(cli("error: [409] Conflict: Another update is currently in progress.")));
        assert.ok(e instanceof StackLockedError);
        assert.match(e.message, /stack prod is locked by another update, so up cannot run.*pulumi cancel --stack prod/s);
    });

    it("turns a missing stack into StackNotFoundError that says no stack is created", () => {
        const e = classifyAutomationError("prdo", "select", new AutomationStackNotFoundError(cli("error: no stack named 'prdo' found")));
        assert.ok(e instanceof StackNotFoundError);
        assert.match(e.message, /stack prdo does not exist.*never creates stacks: check --stack/s);
    });

    for (const text of [
        "error: problem logging in: dial tcp: lookup api.example.invalid: no such host",
        "error: could not query backend for stacks: [503] Service Unavailable",
        "error: read \".pulumi/meta.yaml\": blob (key \".pulumi/meta.yaml\") (code=Unknown): RequestError: send request failed",
    ]) {
        it(`reports the backend as unreachable for: ${text.slice(0, 40)}...`, () => {
            const e = classifyAutomationError("prod", "preview", stderr(text));
            assert.ok(e instanceof BackendUnreachableError, e.message);
            assert.match(e.message, /state backend of stack prod is unreachable, so preview cannot run/);
            assert.equal((e as BackendUnreachableError).detail, text);
        });
    }

    it("does not blame the backend for a network failure of the provider once the engine has started", () => {
        const text = "error: update failed\n  aws:elasticache:ReplicationGroup (cache-us-east-1): error: dial tcp: i/o timeout";
        const e = classifyAutomationError("prod", "up", stderr(text), true);
        assert.equal(e.constructor, StackDriverError);
        assert.match(e.message, /pulumi up failed for stack prod: error: update failed/);
    });

    it("blames the backend for a failed checkpoint write even after the engine started", () => {
        const e = classifyAutomationError("prod", "up", stderr("error: failed to save checkpoint: [502] Bad Gateway"), true);
        assert.ok(e instanceof BackendUnreachableError);
    });
});

describe("recovery/lib/local-workspace: a missing Pulumi CLI", () => {
    /**
     * What the Automation API throws when execa cannot start the CLI (its exec(): a CommandResult of
     * ("", spawn error message, -2, spawn error) wrapped in a CommandError), here for `pulumi version`,
     * the first command LocalWorkspace runs.
     */
    function spawnFailure(command: string): Error {
        const spawn = Object.assign(new Error(`Command failed with ENOENT: ${command} version\nspawn ${command} ENOENT`),
            { code: "ENOENT", errno: -2, syscall: `spawn ${command}`, path: command });
        const result = { stdout: "", stderr: spawn.message, code: -2, err: spawn,
            toString: () => `code: -2\n stdout: \n stderr: ${spawn.message}\n err?: ${spawn}\n` };
        return new CommandError(result as unknown as string);
    }

    it("turns ENOENT on pulumi into PulumiCliMissingError, a StackUnavailableError that says how to fix it and nothing a command may not do", () => {
        const e = classifyAutomationError("prod", "select", spawnFailure("pulumi"));
        assert.ok(e instanceof PulumiCliMissingError && e instanceof StackUnavailableError, `${e.name}: ${e.message}`);
        assert.equal(e.detail, "Command failed with ENOENT: pulumi version");
        assert.match(e.message, /^the Pulumi CLI is not installed or not on PATH, so select cannot run for stack prod \(Command failed with ENOENT: pulumi version\)\. Install it/);
        assert.match(e.message, /put the directory that holds `pulumi` on PATH, or run this from a machine that has it\.$/);
        // rejoin and restore quote this message when they refuse: it must not speak of a promotion or detach they never make.
        assert.doesNotMatch(e.message, /promotion|detach/);
    });

    it("recognises a CLI given by path, and the spawn error alone when the message says nothing", () => {
        assert.ok(classifyAutomationError("prod", "preview", spawnFailure("/opt/tools/bin/pulumi")) instanceof PulumiCliMissingError);
        const bare = new CommandError("code: -2");
        Object.assign(bare, { commandResult: { err: { code: "ENOENT", path: "pulumi" } } });
        const e = classifyAutomationError("prod", "getConfig", bare);
        assert.ok(e instanceof PulumiCliMissingError);
        assert.equal((e as PulumiCliMissingError).detail, "spawn pulumi ENOENT");
    });

    it("does not blame the CLI for other missing things: a language plugin, a file the CLI reads", () => {
        for (const error of [spawnFailure("pulumi-language-nodejs"), new CommandError("code: 255\n stdout: \n stderr: error: open Pulumi.prod.yaml: ENOENT: no such file or directory\n err?: \n")]) {
            const e = classifyAutomationError("prod", "preview", error);
            assert.ok(!(e instanceof StackUnavailableError), `${e.name}: ${e.message}`);
        }
    });

    it("selecting a stack without the CLI on PATH fails with PulumiCliMissingError, not a generic failure", async () => {
        const emptyBin = fs.mkdtempSync(path.join(os.tmpdir(), "no-pulumi-"));
        const pathBefore = process.env.PATH;
        process.env.PATH = emptyBin;
        try {
            await assert.rejects(LocalWorkspaceStackDriver.select("prod", PROJECT_DIR), (e: unknown) =>
                e instanceof PulumiCliMissingError && /Command failed with ENOENT: pulumi version/.test(e.detail));
        } finally {
            process.env.PATH = pathBefore;
            fs.rmSync(emptyBin, { recursive: true, force: true });
        }
    });
});

describe("recovery/lib/local-workspace: the environment of the Pulumi commands", function () {
    this.timeout(30000);
    let bin: string;
    let pathBefore: string | undefined;
    let transpileBefore: string | undefined;

    /**
     * A stand-in `pulumi` on PATH: it answers `version` as a CLI of @pulumi/pulumi's own version (the
     * Automation API checks it first, automation/cmd.js) and logs every other command with the value of
     * PULUMI_NODEJS_TRANSPILE_ONLY it was given, which the Node language host it starts would read.
     */
    beforeEach(() => {
        bin = fs.mkdtempSync(path.join(os.tmpdir(), "pulumi-stand-in-"));
        const script = [
            "#!/bin/sh",
            `if [ "$1" = version ]; then echo v${require("@pulumi/pulumi/package.json").version}; exit 0; fi`,
            `echo "$* PULUMI_NODEJS_TRANSPILE_ONLY=\${PULUMI_NODEJS_TRANSPILE_ONLY-unset}" >> "${path.join(bin, "calls.log")}"`,
        ].join("\n");
        fs.writeFileSync(path.join(bin, "pulumi"), `${script}\n`, { mode: 0o755 });
        pathBefore = process.env.PATH;
        transpileBefore = process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
        process.env.PATH = `${bin}${path.delimiter}${pathBefore}`;
    });

    afterEach(() => {
        process.env.PATH = pathBefore;
        if (transpileBefore === undefined) {
            delete process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
        } else {
            process.env.PULUMI_NODEJS_TRANSPILE_ONLY = transpileBefore;
        }
        fs.rmSync(bin, { recursive: true, force: true });
    });

    const calls = () => fs.readFileSync(path.join(bin, "calls.log"), "utf8").trim().split("\n");

    it("runs the program without ts-node's type check: every command gets PULUMI_NODEJS_TRANSPILE_ONLY=true", async () => {
        delete process.env.PULUMI_NODEJS_TRANSPILE_ONLY;
        await LocalWorkspaceStackDriver.select("prod", PROJECT_DIR);
        const log = calls();
        assert.ok(log.some((c) => /^stack select .*--stack prod/.test(c)), log.join("\n"));
        assert.deepEqual(log.filter((c) => !c.endsWith(" PULUMI_NODEJS_TRANSPILE_ONLY=true")), [], "every command");
    });

    it("leaves the choice to an operator who set PULUMI_NODEJS_TRANSPILE_ONLY", async () => {
        process.env.PULUMI_NODEJS_TRANSPILE_ONLY = "false";
        await LocalWorkspaceStackDriver.select("prod", PROJECT_DIR);
        assert.deepEqual(calls().filter((c) => !c.endsWith(" PULUMI_NODEJS_TRANSPILE_ONLY=false")), []);
    });
});

describe("recovery/lib/local-workspace: configuration writes", () => {
    /** A selected stack that records the config writes it is asked for, or fails them. */
    function recordingStack(fail?: Error): { stack: Stack; writes: unknown[] } {
        const writes: unknown[] = [];
        const stack = { name: "prod", setAllConfig: async (config: unknown) => {
            writes.push(config);
            if (fail) {
                throw fail;
            }
        } };
        return { stack: stack as unknown as Stack, writes };
    }

    it("writes every key with one `pulumi config set-all` (setAllConfig), secrets flagged", async () => {
        const { stack, writes } = recordingStack();
        await LocalWorkspaceStackDriver.wrap(stack, stackPolicyPack(PROJECT_DIR, "prod")).setConfigs({
            [`${NS}:primaryRegion`]: { value: "us-west-2", secret: false },
            [`${NS}:secondaryRegions`]: { value: "[\"eu-west-1\",\"us-east-1\"]", secret: false },
            [`${NS}:authToken`]: { value: "t".repeat(20), secret: true },
        });
        assert.deepEqual(writes, [{
            [`${NS}:primaryRegion`]: { value: "us-west-2", secret: false },
            [`${NS}:secondaryRegions`]: { value: "[\"eu-west-1\",\"us-east-1\"]", secret: false },
            [`${NS}:authToken`]: { value: "t".repeat(20), secret: true },
        }]);
    });

    it("reports a backend that fails the write as BackendUnreachableError on setConfig", async () => {
        const { stack } = recordingStack(new CommandError("code: 255\n stdout: \n stderr: error: could not query backend for stacks: [503] Service Unavailable\n err?: \n"));
        await assert.rejects(LocalWorkspaceStackDriver.wrap(stack, stackPolicyPack(PROJECT_DIR, "prod")).setConfigs({ [`${NS}:primaryRegion`]: { value: "us-west-2", secret: false } }),
            (e: unknown) => e instanceof BackendUnreachableError && e.operation === "setConfig");
    });
});

function recorded(urn: string, type: string, inputs: Record<string, unknown>, extra: Partial<RecordedResource> = {}): RecordedResource {
    return { urn, type, name: urn.slice(urn.lastIndexOf("::") + 2), custom: true, parent: "", inputs, state: inputs, protect: false, ignoreChanges: [], dependencies: [], ...extra };
}

describe("tests/recovery/fake/stack-driver: the engine's diff", () => {
    const grgUrn = `urn:pulumi:prod::${NS}::${T.globalDatastore}::cache-datastore`;
    const deployed = [{ urn: grgUrn, type: T.globalDatastore, name: "cache-datastore", custom: true, protect: true, inputs: { primaryReplicationGroupId: "prod-us-west-2", region: "us-east-1" } }];

    it("replaces the datastore when primaryReplicationGroupId drifted and nothing ignores it", () => {
        const steps = planSteps(deployed, [recorded(grgUrn, T.globalDatastore, { primaryReplicationGroupId: "prod-us-east-1", region: "us-east-1" })]);
        assert.deepEqual(steps.map((s) => s.op), ["create-replacement", "replace", "delete-replaced"]);
        assert.deepEqual(steps[1].replaceKeys, ["primaryReplicationGroupId"]);
    });

    it("honours ignoreChanges: the same drift leaves the datastore alone", () => {
        const steps = planSteps(deployed, [recorded(grgUrn, T.globalDatastore, { primaryReplicationGroupId: "prod-us-east-1", region: "us-east-1" }, { ignoreChanges: ["primaryReplicationGroupId"] })]);
        assert.deepEqual(steps.map((s) => s.op), ["same"]);
    });

    it("honours nested ignoreChanges paths and compares secrets by value", () => {
        const old = { tags: { team: "a", env: "prod" }, token: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: "x" } };
        const next = withIgnoredChanges(old, { tags: { team: "b", env: "prod" }, token: { value: "x", "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270" } }, ["tags.team"]);
        assert.deepEqual(changedProperties(old, next), []);
        assert.deepEqual(changedProperties(old, { ...next, tags: { team: "a", env: "dev" } }), ["tags"]);
    });

    it("creates what is new and deletes what disappeared, deletions last", () => {
        const kept = recorded(`urn:a::p`, T.parameter, { value: "1" });
        const steps = planSteps(
            [{ urn: "urn:a::p", type: T.parameter, name: "p", custom: true, protect: false, inputs: { value: "0" } },
                { urn: "urn:a::k", type: T.kmsKey, name: "k", custom: true, protect: true, inputs: {} }],
            [recorded("urn:a::n", T.alarm, { name: "n" }), kept]);
        assert.deepEqual(steps.map((s: PlannedStep) => `${s.op} ${s.urn}`), ["create urn:a::n", "update urn:a::p", "delete urn:a::k"]);
    });
});

describe("tests/recovery/fake/stack-driver: FakeStackDriver on the prod stack", function () {
    this.timeout(60000);

    it("starts deployed as Pulumi.prod.yaml declares it: a preview plans no change", async () => {
        const driver = await FakeStackDriver.create("prod");
        const steps = await driver.preview();
        assert.ok(steps.length > 100, `expected every resource of the program, got ${steps.length}`);
        assert.deepEqual([...new Set(steps.map((s) => s.op))], ["same"]);
        assert.deepEqual(driver.operations, ["preview"]);
    });

    it("plans a config change that moves the port as a replacement of the founding replication group, and the engine refuses it", async () => {
        const driver = await FakeStackDriver.create("prod");
        await driver.setConfig(`${NS}:port`, { value: "6380", secret: false });
        const failure = await driver.preview().then(() => undefined, (e: unknown) => e);
        assert.ok(failure instanceof PreviewFailedError, String(failure));
        const replaced = failure.steps.filter((s) => s.op === "replace");
        assert.deepEqual(replaced.map((s) => s.urn.split("::").pop()), ["cache-us-east-1"]);
        assert.deepEqual(replaced[0].replaceKeys, ["port"]);
        assert.match(failure.message, /unable to replace resource .*cache-us-east-1" as it is currently marked for protection/);
    });

    it("pulls real-world drift in at refresh, and up applies the new configuration", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.driftRealWorld(T.globalDatastore, "cache-datastore", { primaryReplicationGroupId: "prod-us-west-2" });
        assert.equal(driver.resource(T.globalDatastore, "cache-datastore").inputs.primaryReplicationGroupId, "prod-us-east-1");
        await driver.refresh();
        assert.equal(driver.resource(T.globalDatastore, "cache-datastore").inputs.primaryReplicationGroupId, "prod-us-west-2");

        await driver.setConfig(`${NS}:alarms`, { value: JSON.stringify({ cpuPercent: 70 }), secret: false });
        const result = await driver.up();
        assert.ok(result.steps.some((s) => s.op === "update" && s.type === T.alarm && s.diffs.includes("threshold")));
        // The ignored drift stays in the state; the next preview is clean.
        assert.equal(driver.resource(T.globalDatastore, "cache-datastore").inputs.primaryReplicationGroupId, "prod-us-west-2");
        assert.deepEqual([...new Set((await driver.preview()).map((s) => s.op))], ["same"]);
        assert.deepEqual(driver.operations, ["refresh", "setConfig", "up", "preview"]);
    });

    it("fails with the injected faults as typed errors, and records the failed calls", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.injectFault("stack-locked", { times: 1 });
        await assert.rejects(driver.up(), StackLockedError);
        await driver.getConfig(); // a lock does not stop reading the configuration
        driver.injectFault("backend-unreachable");
        await assert.rejects(driver.outputs(), BackendUnreachableError);
        await assert.rejects(driver.getConfig(), BackendUnreachableError);
        driver.clearFaults();
        assert.equal((await driver.outputs()).globalDatastoreId.value, "uvxag-prod");
        assert.deepEqual(driver.operations, ["up", "getConfig", "outputs", "getConfig", "outputs"]);
    });

    it("puts a config key without a namespace in the project's namespace, as the CLI does", async () => {
        const driver = await FakeStackDriver.create("prod");
        await driver.setConfig("replicasPerShard", { value: "3", secret: false });
        assert.deepEqual((await driver.getConfig())[`${NS}:replicasPerShard`], { value: "3", secret: false });
        assert.deepEqual(driver.calls[0], { op: "setConfig", key: "replicasPerShard", value: { value: "3", secret: false } });
    });

    it("writes setConfigs all at once: a failure leaves every key as it was, and a fault can start after some calls", async () => {
        const driver = await FakeStackDriver.create("prod");
        const move = {
            [`${NS}:primaryRegion`]: { value: "us-west-2", secret: false },
            [`${NS}:secondaryRegions`]: { value: JSON.stringify(["eu-west-1", "us-east-1"]), secret: false },
        };
        driver.injectFault("backend-unreachable", { ops: ["setConfig"], after: 1, times: 1 });
        await driver.setConfigs({ [`${NS}:replicasPerShard`]: { value: "3", secret: false } });
        await assert.rejects(driver.setConfigs(move), BackendUnreachableError);
        const failed = await driver.getConfig();
        assert.deepEqual([failed[`${NS}:replicasPerShard`].value, failed[`${NS}:primaryRegion`].value, failed[`${NS}:secondaryRegions`].value],
            ["3", "us-east-1", JSON.stringify(["us-west-2", "eu-west-1"])]);
        await driver.setConfigs(move);
        const config = await driver.getConfig();
        assert.deepEqual([config[`${NS}:primaryRegion`].value, config[`${NS}:secondaryRegions`].value], ["us-west-2", JSON.stringify(["eu-west-1", "us-east-1"])]);
        assert.deepEqual(driver.calls.map((c) => c.op), ["setConfig", "setConfig", "getConfig", "setConfig", "getConfig"]);
        assert.deepEqual(driver.calls[3].values, move);
    });

    it("rejects a drift on a resource the stack does not hold, naming what it holds", async () => {
        const driver = await FakeStackDriver.create("prod");
        assert.throws(() => driver.driftRealWorld(T.globalDatastore, "datastore", {}), /holds 0 resources .* named datastore; names of that type: cache-datastore/);
    });
});
