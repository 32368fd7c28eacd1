import * as assert from "node:assert/strict";
import {
    GuardRefusedError, checkNoDataHoldingReplacement, checkPlannedSteps, previewThenUp,
} from "../../recovery/lib/guard";
import { RecoveryEvent } from "../../recovery/lib/events";
import { Progress } from "../../recovery/lib/progress";
import { PlannedStep, StackLockedError } from "../../recovery/lib/stack-driver";
import { FakeStackDriver } from "./fake/stack-driver";
import { T } from "../helpers/program";

const NS = "elasticache-global";
const urn = (type: string, name: string) => `urn:pulumi:prod::${NS}::${NS}:index:GlobalCache$${type}::${name}`;
const step = (op: PlannedStep["op"], type: string, name: string, replaceKeys: string[] = []): PlannedStep =>
    ({ op, urn: urn(type, name), type, diffs: replaceKeys, replaceKeys });
const set = (driver: FakeStackDriver, key: string, value: unknown) =>
    driver.setConfig(`${NS}:${key}`, { value: typeof value === "string" ? value : JSON.stringify(value), secret: false });

describe("recovery/lib/guard: judging planned steps", () => {
    it("refuses a replacement of the datastore forced by primaryReplicationGroupId, naming urn, type, ops and property", () => {
        const verdict = checkPlannedSteps([
            step("same", T.replicationGroup, "cache-us-east-1"),
            step("create-replacement", T.globalDatastore, "cache-datastore", ["primaryReplicationGroupId"]),
            step("replace", T.globalDatastore, "cache-datastore", ["primaryReplicationGroupId"]),
            step("delete-replaced", T.globalDatastore, "cache-datastore", ["primaryReplicationGroupId"]),
        ]);
        assert.equal(verdict.allowed, false);
        assert.ok(!verdict.allowed);
        assert.deepEqual(verdict.blocked, [{
            urn: urn(T.globalDatastore, "cache-datastore"), type: T.globalDatastore, name: "cache-datastore",
            ops: ["create-replacement", "replace", "delete-replaced"], forcedBy: ["primaryReplicationGroupId"],
        }]);
        assert.match(verdict.message, /would replace or delete 1 protected resource:\n {2}- aws:elasticache\/globalReplicationGroup:GlobalReplicationGroup cache-datastore \(urn:pulumi:.*\): create-replacement, replace, delete-replaced, forced by a change to primaryReplicationGroupId/);
    });

    for (const [op, type, name] of [
        ["delete", T.kmsKey, "cache-eu-west-1-key"],
        ["delete", T.user, "cache-us-east-1-user-app"],
        ["replace", T.subnetGroup, "cache-us-west-2-subnets"],
        ["discard", T.replicationGroup, "cache-us-west-2"],
    ] as const) {
        it(`refuses ${op} of ${type}`, () => {
            const verdict = checkPlannedSteps([step(op, type, name)]);
            assert.ok(!verdict.allowed);
            assert.deepEqual(verdict.blocked.map((b) => [b.name, b.ops]), [[name, [op]]]);
        });
    }

    it("allows creating and updating caches, and replacing or deleting what holds no data", () => {
        const verdict = checkPlannedSteps([
            step("update", T.replicationGroup, "cache-us-east-1", []),
            step("create", T.replicationGroup, "cache-ap-south-1"),
            step("replace", T.parameter, "cache-writer-us-east-1", ["name"]),
            step("delete", T.alarm, "cache-us-east-1-0001-cpu"),
            step("same", T.kmsKey, "cache-us-east-1-key"),
        ]);
        assert.ok(verdict.allowed);
        assert.equal(verdict.message, "preview plans 4 changes, none replaces or deletes a protected resource");
    });
});

describe("recovery/lib/guard: previewThenUp and the post-reconcile check on the prod stack", function () {
    this.timeout(60000);

    it("runs up after a clean preview of a planned promotion: only alarms, parameters and DNS change", async () => {
        const driver = await FakeStackDriver.create("prod");
        await set(driver, "primaryRegion", "us-west-2");
        await set(driver, "secondaryRegions", ["eu-west-1", "us-east-1"]);
        const events: RecoveryEvent[] = [];
        const { verdict, result } = await previewThenUp(driver, { emit: (e) => events.push(e), clock: { now: () => 42, sleep: async () => undefined } });
        assert.ok(verdict.allowed);
        const changedTypes = new Set(result.steps.filter((s) => s.op !== "same").map((s) => s.type));
        assert.ok(changedTypes.has(T.parameter) && changedTypes.has(T.record), [...changedTypes].join(", "));
        assert.ok(!changedTypes.has(T.replicationGroup) && !changedTypes.has(T.globalDatastore) && !changedTypes.has(T.kmsKey));
        assert.deepEqual(driver.operations.slice(-2), ["preview", "up"]);
        assert.deepEqual(events.map((e) => `${e.step} ${e.type}`), [
            // Which policy pack (none here) and the verdict.
            "guarded-preview step-started", "guarded-preview found", "guarded-preview found", "guarded-preview next", "guarded-preview step-finished",
            "stack-update step-started", "stack-update step-finished",
        ]);
        assert.ok((await checkNoDataHoldingReplacement(driver)).allowed);
    });

    it("opens the stack-update step only for up, and finishes it as failed when up throws", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.injectFault("backend-unreachable", { ops: ["up"] });
        const progress = new Progress({ clock: { now: () => 42, sleep: async () => undefined } });
        await assert.rejects(previewThenUp(driver, { emit: progress.emit, clock: progress.clock }), /state backend of stack prod is unreachable/);
        assert.deepEqual(progress.steps.map((s) => [s.name, s.result, s.summary]), [
            ["guarded-preview", "ok", "the guard allows the update"],
            // The step line gives the first sentence; the whole message is the run's error, printed once at its end.
            ["stack-update", "failed", "the state backend of stack prod is unreachable, so up cannot run (injected: the backend did not answer)."],
        ]);
    });

    it("a preview that fails leaves no stack-update step: up never started", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.injectFault("backend-unreachable", { ops: ["preview"] });
        const progress = new Progress({ clock: { now: () => 42, sleep: async () => undefined } });
        await assert.rejects(previewThenUp(driver, { emit: progress.emit, clock: progress.clock }));
        assert.deepEqual(progress.steps.map((s) => [s.name, s.result]), [["guarded-preview", "failed"]]);
        assert.ok(!driver.operations.includes("up"));
    });

    it("never runs up when the preview would replace the founding replication group (port change)", async () => {
        const driver = await FakeStackDriver.create("prod");
        await set(driver, "port", "6390");
        const refused = await previewThenUp(driver).then(() => undefined, (e: unknown) => e);
        assert.ok(refused instanceof GuardRefusedError, String(refused));
        assert.deepEqual(refused.verdict.blocked.map((b) => [b.name, b.forcedBy]), [["cache-us-east-1", ["port"]]]);
        // The guard only knows that up did not run; its callers may have written config or refreshed before.
        assert.match(refused.message, /pulumi up was not run\./);
        assert.doesNotMatch(refused.message, /Nothing was changed/);
        assert.ok(!driver.operations.includes("up"));
    });

    it("never runs up when dropping a region would delete its KMS key, cache and users", async () => {
        const driver = await FakeStackDriver.create("prod");
        const networks = JSON.parse((await driver.getConfig())[`${NS}:networks`].value) as Record<string, unknown>;
        delete networks["eu-west-1"];
        await set(driver, "secondaryRegions", ["us-west-2"]);
        await set(driver, "networks", networks);
        const refused = await previewThenUp(driver).then(() => undefined, (e: unknown) => e);
        assert.ok(refused instanceof GuardRefusedError, String(refused));
        const blocked = new Map(refused.verdict.blocked.map((b) => [b.name, b.ops]));
        assert.deepEqual(blocked.get("cache-eu-west-1-key"), ["delete"]);
        assert.deepEqual(blocked.get("cache-eu-west-1"), ["delete"]);
        assert.ok(blocked.has("cache-eu-west-1-user-app"));
        assert.ok(!driver.operations.includes("up"));
    });

    it("refuses to move an unpinned founding region: the datastore would be replaced", async () => {
        const driver = await FakeStackDriver.create("prod", { overrides: { [`${NS}:foundingRegion`]: undefined } });
        await set(driver, "primaryRegion", "us-west-2");
        await set(driver, "secondaryRegions", ["eu-west-1", "us-east-1"]);
        const verdict = await checkNoDataHoldingReplacement(driver);
        assert.ok(!verdict.allowed);
        const datastore = verdict.blocked.find((b) => b.type === T.globalDatastore);
        assert.ok(datastore, verdict.message);
        assert.deepEqual(datastore.forcedBy, ["region"]);
        await assert.rejects(previewThenUp(driver), GuardRefusedError);
        assert.ok(!driver.operations.includes("up"));
    });

    it("lets the program's ignoreChanges absorb a refreshed failover drift of primaryReplicationGroupId", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.driftRealWorld(T.globalDatastore, "cache-datastore", { primaryReplicationGroupId: "prod-us-west-2" });
        await driver.refresh();
        assert.ok((await checkNoDataHoldingReplacement(driver)).allowed);
    });

    it("passes a locked stack through as StackLockedError without calling up", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.injectFault("stack-locked");
        await assert.rejects(previewThenUp(driver), StackLockedError);
        assert.deepEqual(driver.operations, ["preview"]);
    });
});
