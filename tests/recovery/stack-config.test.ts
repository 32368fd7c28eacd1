import * as assert from "node:assert/strict";
import { ConfigError } from "../../components/config/validate";
import { checkNoDataHoldingReplacement } from "../../recovery/lib/guard";
import {
    applyConfigChanges, configChangesForPrimary, programStackName, readStackConfig,
} from "../../recovery/lib/stack-config";
import { FakeStackDriver } from "./fake/stack-driver";

const NS = "elasticache-global";

describe("recovery/lib/stack-config", function () {
    this.timeout(60000);

    it("reads the stack's configuration through the driver and validates it as the program does", async () => {
        const driver = await FakeStackDriver.create("prod");
        const { raw, config } = await readStackConfig(driver);
        assert.equal(config.primaryRegion, "us-east-1");
        assert.deepEqual(config.secondaryRegions, ["us-west-2", "eu-west-1"]);
        assert.equal(config.namePrefix, "prod");
        assert.equal(config.replicasPerShard, 2);
        assert.equal(raw.nodeType, "cache.r7g.xlarge");
        assert.ok(!("aws:region" in raw) && !("region" in raw), "other namespaces are not the program's keys");
        assert.deepEqual(driver.operations, ["getConfig"]);
    });

    it("fails with the program's own message when the configuration is invalid", async () => {
        const driver = await FakeStackDriver.create("prod");
        await driver.setConfig(`${NS}:secondaryRegions`, { value: JSON.stringify(["us-east-1"]), secret: false });
        await assert.rejects(readStackConfig(driver), (e: unknown) => e instanceof ConfigError &&
            /elasticache-global:secondaryRegions\[0\] is "us-east-1": it is the primary region/.test(e.message));
    });

    it("uses the last segment of a fully qualified stack name, as the program's namePrefix default does", () => {
        assert.equal(programStackName("acme/elasticache-global/prod"), "prod");
        assert.equal(programStackName("prod"), "prod");
    });

    it("moves the primary: primaryRegion to the target, the others sorted as secondaries, the pinned founder untouched", async () => {
        const { raw, config } = await readStackConfig(await FakeStackDriver.create("prod"));
        assert.deepEqual(configChangesForPrimary(raw, config, "us-west-2"), [
            { key: `${NS}:primaryRegion`, from: "us-east-1", to: "us-west-2" },
            { key: `${NS}:secondaryRegions`, from: JSON.stringify(["us-west-2", "eu-west-1"]), to: JSON.stringify(["eu-west-1", "us-east-1"]) },
        ]);
    });

    it("pins a defaulted foundingRegion to the region that founded the datastore before moving the primary", async () => {
        const driver = await FakeStackDriver.create("prod", { overrides: { [`${NS}:foundingRegion`]: undefined } });
        const { raw, config } = await readStackConfig(driver);
        const changes = configChangesForPrimary(raw, config, "eu-west-1");
        assert.deepEqual(changes[0], { key: `${NS}:foundingRegion`, from: undefined, to: "us-east-1" });
        assert.deepEqual(changes.map((c) => c.key), [`${NS}:foundingRegion`, `${NS}:primaryRegion`, `${NS}:secondaryRegions`]);

        // The computed changes keep every cache and the datastore where they are.
        await applyConfigChanges(driver, changes);
        const after = await readStackConfig(driver);
        assert.equal(after.config.primaryRegion, "eu-west-1");
        assert.equal(after.config.foundingRegion, "us-east-1");
        assert.deepEqual(after.config.secondaryRegions, ["us-east-1", "us-west-2"]);
        const verdict = await checkNoDataHoldingReplacement(driver);
        assert.ok(verdict.allowed, verdict.message);
    });

    it("changes nothing when the target already is the primary and the configuration is pinned and sorted", async () => {
        const driver = await FakeStackDriver.create("prod", { overrides: { [`${NS}:secondaryRegions`]: JSON.stringify(["eu-west-1", "us-west-2"]) } });
        const { raw, config } = await readStackConfig(driver);
        assert.deepEqual(configChangesForPrimary(raw, config, "us-east-1"), []);
    });

    it("rejects a target that is not a member, naming it and the accepted regions", async () => {
        const { raw, config } = await readStackConfig(await FakeStackDriver.create("prod"));
        assert.throws(() => configChangesForPrimary(raw, config, "us-west-1"),
            /target region is "us-west-1", which is not a member of the datastore of stack prod. Accepted: one of us-east-1, us-west-2, eu-west-1\./);
    });
});
