/** The stack reconcile's configuration write: never left half-written, and a half-written one is finished by a rerun. */
import * as assert from "node:assert/strict";
import { DATA_HOLDING_TYPES, checkPlannedSteps } from "../../../recovery/lib/guard";
import { readStackConfig } from "../../../recovery/lib/stack-config";
import { Harness, harness, key, writerDocument } from "./harness";

const PROMOTE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2"];
const OLD = { primaryRegion: "us-east-1", secondaryRegions: ["us-west-2", "eu-west-1"] };
const NEW = { primaryRegion: "us-west-2", secondaryRegions: ["eu-west-1", "us-east-1"] };

describe("reconcile: interrupted configuration writes", function () {
    this.timeout(120_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    for (const after of [0, 1]) {
        it(`a backend failure on config write #${after + 1} leaves the configuration whole, and a --reconcile-only rerun finishes`, async () => {
            h = await harness();
            h.driver.injectFault("backend-unreachable", { ops: ["setConfig"], after, times: 1 });
            const code = await h.run(...PROMOTE, "--yes");
            assert.ok(code === 0 || code === 3, `exit ${code}: ${h.stderr.text}`);
            assert.equal(h.aws.datastore().members.find((m) => m.region === "us-west-2")?.role, "PRIMARY");

            const { config, interrupted } = await readStackConfig(h.driver);
            assert.equal(interrupted, undefined, "the stored configuration must never be half-written");
            assert.ok([JSON.stringify(OLD), JSON.stringify(NEW)].includes(JSON.stringify({ primaryRegion: config.primaryRegion, secondaryRegions: config.secondaryRegions })),
                `all keys old or all new, got ${config.primaryRegion} / ${config.secondaryRegions.join(", ")}`);

            assert.equal(await h.run(...PROMOTE, "--reconcile-only", "--yes"), 0, h.stderr.text);
            const done = await readStackConfig(h.driver);
            assert.deepEqual({ primaryRegion: done.config.primaryRegion, secondaryRegions: done.config.secondaryRegions }, NEW);
            assert.equal(writerDocument(h.driver, "eu-west-1").replicationGroupId, "prod-us-west-2");
        });
    }

    it("a configuration an older run left half-written (primaryRegion set, secondaryRegions not) is recognised and finished by --reconcile-only", async () => {
        h = await harness({ overrides: { [key("primaryRegion")]: "us-west-2" }, deployedWith: { [key("primaryRegion")]: "us-east-1" } });
        h.aws.promoteByHand("us-west-2");
        assert.equal(await h.run(...PROMOTE, "--reconcile-only", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /the stored configuration is invalid only because an earlier retarget to us-west-2 was interrupted between its keys/);
        assert.match(h.stdout.text, /secondaryRegions\[0\] is "us-west-2": it is the primary region/);
        assert.match(h.stdout.text, /set elasticache-global:secondaryRegions: \["us-west-2","eu-west-1"\] -> \["eu-west-1","us-east-1"\]/);
        assert.deepEqual(JSON.parse((await h.driver.getConfig())[key("secondaryRegions")].value), NEW.secondaryRegions);
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(writerDocument(h.driver, region).replicationGroupId, "prod-us-west-2", `writer parameter in ${region}`);
        }
        const after = await h.driver.preview();
        assert.ok(checkPlannedSteps(after, DATA_HOLDING_TYPES).allowed);
        assert.deepEqual(after.filter((s) => s.op !== "same"), []);
    });
});
