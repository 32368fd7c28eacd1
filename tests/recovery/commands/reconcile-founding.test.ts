/** The founding region the reconcile pins comes from the deployment's records, never from primaryRegion's default. */
import * as assert from "node:assert/strict";
import { DATA_HOLDING_TYPES, checkPlannedSteps } from "../../../recovery/lib/guard";
import { Harness, harness, key, writerDocument } from "./harness";

const ADOPT = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "adopt", "--yes"];

describe("reconcile: the founding region from evidence", function () {
    this.timeout(120_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    /** A hand promotion to us-west-2 whose primaryRegion edit was already committed, deployed before it. */
    async function handPromoted(config: Record<string, string | undefined>): Promise<void> {
        h = await harness({
            overrides: { [key("primaryRegion")]: "us-west-2", [key("secondaryRegions")]: JSON.stringify(["eu-west-1", "us-east-1"]), ...config },
            deployedWith: { [key("primaryRegion")]: "us-east-1", [key("secondaryRegions")]: JSON.stringify(["us-west-2", "eu-west-1"]), [key("foundingRegion")]: "us-east-1" },
        });
        h.aws.promoteByHand("us-west-2");
    }

    it("pins the region the stack outputs and the datastore id name, not the primary's default, and replaces nothing", async () => {
        await handPromoted({ [key("foundingRegion")]: undefined });
        assert.equal(await h.run(...ADOPT), 0, h.stderr.text);
        assert.equal((await h.driver.getConfig())[key("foundingRegion")].value, "us-east-1");
        assert.match(h.stdout.text, /foundingRegion us-east-1, from the stack output foundingRegion, the region code of the stack output globalDatastoreId \(ldgnf-prod\)/);
        assert.equal(writerDocument(h.driver, "us-east-1").replicationGroupId, "prod-us-west-2");
        const after = await h.driver.preview();
        assert.ok(checkPlannedSteps(after, DATA_HOLDING_TYPES).allowed);
        assert.deepEqual(after.filter((s) => s.op !== "same"), []);
    });

    it("refuses before writing anything when the records disagree, naming each source and value", async () => {
        await handPromoted({ [key("foundingRegion")]: "eu-west-1" });
        assert.equal(await h.run(...ADOPT), 1);
        assert.match(h.stderr.text, /the stack configuration \(elasticache-global:foundingRegion\) says eu-west-1; the stack output foundingRegion says us-east-1; the region code of the stack output globalDatastoreId \(ldgnf-prod\) says us-east-1/);
        assert.match(h.stderr.text, /stack prod was not changed/);
        assert.deepEqual(h.changes(), [], "no configuration write, refresh or update");
    });

    it("planned: a disagreement stops the run before the failover, so the primary never moves", async () => {
        h = await harness({ overrides: { [key("foundingRegion")]: "eu-west-1" }, deployedWith: { [key("foundingRegion")]: "us-east-1" } });
        assert.equal(await h.run("retarget-primary", "--stack", "prod", "--to", "us-west-2", "--yes"), 1);
        assert.match(h.stderr.text, /the stack configuration \(elasticache-global:foundingRegion\) says eu-west-1/);
        assert.deepEqual(h.aws.mutatingCalls(), [], "no FailoverGlobalReplicationGroup");
        assert.deepEqual(h.changes(), [], "no configuration write, refresh or update");
    });
});
