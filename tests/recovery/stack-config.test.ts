import * as assert from "node:assert/strict";
import { ConfigError } from "../../components/config/validate";
import { checkNoDataHoldingReplacement } from "../../recovery/lib/guard";
import {
    applyConfigChanges, configChangesForPrimary, interruptedRetarget, programStackName, readStackConfig, revertCommands,
} from "../../recovery/lib/stack-config";
import { BackendUnreachableError } from "../../recovery/lib/stack-driver";
import { FakeStackDriver } from "./fake/stack-driver";

const NS = "elasticache-global";
const k = (name: string) => `${NS}:${name}`;

/** The prod stack as an interrupted retarget to us-west-2 leaves it: primaryRegion written, secondaryRegions not. */
function interruptedProd(extra: Record<string, string | undefined> = {}): Promise<FakeStackDriver> {
    return FakeStackDriver.create("prod", {
        overrides: { [k("primaryRegion")]: "us-west-2", ...extra },
        // Deployed as it was before: the extra keys are changes made since.
        deployedWith: { [k("primaryRegion")]: "us-east-1", ...Object.fromEntries(Object.keys(extra).map((key) => [key, undefined])) },
    });
}

describe("recovery/lib/stack-config", function () {
    this.timeout(60000);

    it("reads the stack's configuration through the driver and validates it as the program does", async () => {
        const driver = await FakeStackDriver.create("prod");
        const { raw, config, interrupted } = await readStackConfig(driver);
        assert.equal(config.primaryRegion, "us-east-1");
        assert.deepEqual(config.secondaryRegions, ["us-west-2", "eu-west-1"]);
        assert.equal(config.namePrefix, "prod");
        assert.equal(config.replicasPerShard, 2);
        assert.equal(raw.nodeType, "cache.r7g.xlarge");
        assert.equal(interrupted, undefined);
        assert.ok(!("aws:region" in raw) && !("region" in raw), "other namespaces are not the program's keys");
        assert.deepEqual(driver.operations, ["getConfig"]);
    });

    it("fails with the program's own message when the configuration is invalid for another reason", async () => {
        const driver = await FakeStackDriver.create("prod");
        await driver.setConfig(k("secondaryRegions"), { value: JSON.stringify(["us-east-1"]), secret: false });
        await assert.rejects(readStackConfig(driver), (e: unknown) => e instanceof ConfigError &&
            /elasticache-global:secondaryRegions\[0\] is "us-east-1": it is the primary region/.test(e.message));
    });

    it("uses the last segment of a fully qualified stack name, as the program's namePrefix default does", () => {
        assert.equal(programStackName("acme/elasticache-global/prod"), "prod");
        assert.equal(programStackName("prod"), "prod");
    });

    it("moves the primary: primaryRegion to the target, the others sorted as secondaries, the pinned founder untouched", async () => {
        const { raw, config } = await readStackConfig(await FakeStackDriver.create("prod"));
        assert.deepEqual(configChangesForPrimary(raw, config, "us-west-2", "us-east-1"), [
            { key: k("primaryRegion"), from: "us-east-1", to: "us-west-2" },
            { key: k("secondaryRegions"), from: JSON.stringify(["us-west-2", "eu-west-1"]), to: JSON.stringify(["eu-west-1", "us-east-1"]) },
        ]);
    });

    it("pins a defaulted foundingRegion to the founding region it is given, not to the primary's default", async () => {
        // The hand-promoted case: primaryRegion already says us-west-2, so the default would say us-west-2 too.
        const driver = await FakeStackDriver.create("prod", { overrides: {
            [k("foundingRegion")]: undefined, [k("primaryRegion")]: "us-west-2", [k("secondaryRegions")]: JSON.stringify(["eu-west-1", "us-east-1"]),
        } });
        const { raw, config } = await readStackConfig(driver);
        assert.equal(config.foundingRegion, "us-west-2", "the default the old code pinned");
        assert.deepEqual(configChangesForPrimary(raw, config, "us-west-2", "us-east-1"), [{ key: k("foundingRegion"), from: undefined, to: "us-east-1" }]);
    });

    it("writes every change in one write, and the result keeps every cache and the datastore where they are", async () => {
        const driver = await FakeStackDriver.create("prod", { overrides: { [k("foundingRegion")]: undefined } });
        const { raw, config } = await readStackConfig(driver);
        const changes = configChangesForPrimary(raw, config, "eu-west-1", "us-east-1");
        assert.deepEqual(changes.map((c) => c.key), [k("foundingRegion"), k("primaryRegion"), k("secondaryRegions")]);

        await applyConfigChanges(driver, changes);
        assert.equal(driver.calls.filter((c) => c.op === "setConfig").length, 1, "one write for all keys");
        const after = await readStackConfig(driver);
        assert.equal(after.config.primaryRegion, "eu-west-1");
        assert.equal(after.config.foundingRegion, "us-east-1");
        assert.deepEqual(after.config.secondaryRegions, ["us-east-1", "us-west-2"]);
        const verdict = await checkNoDataHoldingReplacement(driver);
        assert.ok(verdict.allowed, verdict.message);
    });

    it("a write the backend rejects changes no key at all", async () => {
        const driver = await FakeStackDriver.create("prod");
        const { raw, config } = await readStackConfig(driver);
        driver.injectFault("backend-unreachable", { ops: ["setConfig"], times: 1 });
        await assert.rejects(applyConfigChanges(driver, configChangesForPrimary(raw, config, "us-west-2", "us-east-1")), BackendUnreachableError);
        const after = await readStackConfig(driver);
        assert.deepEqual([after.config.primaryRegion, after.config.secondaryRegions], ["us-east-1", ["us-west-2", "eu-west-1"]]);
    });

    it("changes nothing when the target already is the primary and the configuration is pinned and sorted", async () => {
        const driver = await FakeStackDriver.create("prod", { overrides: { [k("secondaryRegions")]: JSON.stringify(["eu-west-1", "us-west-2"]) } });
        const { raw, config } = await readStackConfig(driver);
        assert.deepEqual(configChangesForPrimary(raw, config, "us-east-1", "us-east-1"), []);
    });

    it("rejects a target or a founding region that is not a member, naming it and the accepted regions", async () => {
        const { raw, config } = await readStackConfig(await FakeStackDriver.create("prod"));
        assert.throws(() => configChangesForPrimary(raw, config, "us-west-1", "us-east-1"),
            /target region is "us-west-1", which is not a member of the datastore of stack prod. Accepted: one of us-east-1, us-west-2, eu-west-1\./);
        assert.throws(() => configChangesForPrimary(raw, config, "us-west-2", "ap-south-1"),
            /the founding region is "ap-south-1", which is not a member .* Accepted: one of us-east-1, us-west-2, eu-west-1\./);
    });

    it("says how to put each changed key back, removing the ones that were unset", () => {
        assert.deepEqual(revertCommands("prod", [
            { key: k("foundingRegion"), from: undefined, to: "us-east-1" },
            { key: k("primaryRegion"), from: "us-east-1", to: "us-west-2" },
            { key: k("secondaryRegions"), from: "[\"us-west-2\",\"eu-west-1\"]", to: "[\"eu-west-1\",\"us-east-1\"]" },
        ]), [
            "pulumi config rm --stack prod elasticache-global:foundingRegion",
            "pulumi config set --stack prod elasticache-global:primaryRegion us-east-1",
            "pulumi config set --stack prod elasticache-global:secondaryRegions '[\"us-west-2\",\"eu-west-1\"]'",
        ]);
    });
});

describe("recovery/lib/stack-config: a retarget interrupted between its keys", function () {
    this.timeout(60000);

    it("is recognised: the configuration it was writing is returned, with the members from the stack outputs", async () => {
        const driver = await interruptedProd();
        const { raw, config, interrupted } = await readStackConfig(driver);
        assert.ok(interrupted, "the half-written configuration is recognised");
        assert.equal(interrupted.primaryRegion, "us-west-2");
        assert.deepEqual([...interrupted.members].sort(), ["eu-west-1", "us-east-1", "us-west-2"]);
        assert.equal(interrupted.membersSource, "the stack output regions");
        assert.ok(interrupted.problems.some((p) => /secondaryRegions\[0\] is "us-west-2": it is the primary region/.test(p)), interrupted.problems.join("\n"));
        assert.deepEqual([config.primaryRegion, config.secondaryRegions], ["us-west-2", ["eu-west-1", "us-east-1"]]);
        // What is stored stays visible, so the remaining key is among the changes to write.
        assert.deepEqual(configChangesForPrimary(raw, config, "us-west-2", "us-east-1"),
            [{ key: k("secondaryRegions"), from: JSON.stringify(["us-west-2", "eu-west-1"]), to: JSON.stringify(["eu-west-1", "us-east-1"]) }]);
    });

    it("falls back on a pinned foundingRegion for the lost member when the outputs cannot be read", async () => {
        const driver = await interruptedProd();
        driver.injectFault("backend-unreachable", { ops: ["outputs"] });
        const { interrupted } = await readStackConfig(driver);
        assert.ok(interrupted);
        assert.deepEqual([...interrupted.members].sort(), ["eu-west-1", "us-east-1", "us-west-2"]);
        assert.match(interrupted.membersSource, /foundingRegion/);
    });

    it("is not assumed when the stored keys do not show exactly one member dropped", () => {
        const deployed = { members: ["us-east-1", "us-west-2", "eu-west-1"], source: "outputs" };
        // primaryRegion not among secondaryRegions: some other mistake.
        assert.equal(interruptedRetarget({ primaryRegion: "us-west-2", secondaryRegions: "[\"eu-west-1\"]" }, [], deployed), undefined);
        // A region the deployment never had.
        assert.equal(interruptedRetarget({ primaryRegion: "us-west-2", secondaryRegions: "[\"us-west-2\",\"ap-south-1\"]" }, [], deployed), undefined);
        // Nothing tells which member was lost.
        assert.equal(interruptedRetarget({ primaryRegion: "us-west-2", secondaryRegions: "[\"us-west-2\",\"eu-west-1\"]" }, [], { source: "outputs" }), undefined);
    });

    it("keeps failing with the program's message when finishing the retarget would not make the configuration valid", async () => {
        const driver = await interruptedProd({ [k("shards")]: "0" });
        await assert.rejects(readStackConfig(driver), (e: unknown) => e instanceof ConfigError && /elasticache-global:shards is 0/.test(e.message));
    });
});
