/** The harness's refresh reads the fake control plane the way the Terraform AWS provider's read functions do. */
import * as assert from "node:assert/strict";
import { DisassociateGlobalReplicationGroupCommand } from "@aws-sdk/client-elasticache";
import { createRegionClients } from "../../../recovery/lib/clients";
import { DATA_HOLDING_TYPES, checkPlannedSteps } from "../../../recovery/lib/guard";
import { T } from "../../helpers/program";
import { Harness, harness, refreshReadsFakeAws } from "./harness";

describe("reconcile: refresh from the fake control plane", function () {
    this.timeout(120_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("after a failover, records the new primary on the datastore, which the program ignores", async () => {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        h.aws.promoteByHand("us-west-2");
        await h.driver.refresh();
        assert.equal(h.driver.resource(T.globalDatastore, "cache-datastore").inputs.primaryReplicationGroupId, "prod-us-west-2");
        // Members keep the datastore id as the stack knows it: nothing to replace.
        const stackId = h.driver.resource(T.replicationGroup, "cache-eu-west-1").inputs.globalReplicationGroupId;
        assert.equal(typeof stackId, "string");
        assert.equal(h.driver.resource(T.replicationGroup, "cache-us-west-2").inputs.globalReplicationGroupId, stackId);
        const steps = await h.driver.preview();
        assert.ok(checkPlannedSteps(steps, DATA_HOLDING_TYPES).allowed);
        assert.deepEqual(steps.filter((s) => s.op !== "same"), []);
    });

    it("a detached group keeps its old datastore id in state, as the provider only sets it for a member", async () => {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        const before = h.driver.resource(T.replicationGroup, "cache-us-west-2").inputs.globalReplicationGroupId;
        await createRegionClients().elastiCache("us-west-2").send(new DisassociateGlobalReplicationGroupCommand({
            GlobalReplicationGroupId: h.aws.datastore().id, ReplicationGroupId: "prod-us-west-2", ReplicationGroupRegion: "us-west-2",
        }));
        h.aws.clock.advance(30 * 60_000);
        h.aws.model.settle();
        assert.equal(h.aws.model.requireReplicationGroup("us-west-2", "prod-us-west-2").global, undefined, "detached in the control plane");
        await h.driver.refresh();
        assert.equal(h.driver.resource(T.replicationGroup, "cache-us-west-2").inputs.globalReplicationGroupId, before);
    });

    it("a group that is gone or being deleted leaves the state", async () => {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        h.aws.model.requireReplicationGroup("eu-west-1", "prod-eu-west-1").status = "deleting";
        await h.driver.refresh();
        assert.deepEqual(h.driver.deployedResources.filter((r) => r.type === T.replicationGroup).map((r) => r.name).sort(), ["cache-us-east-1", "cache-us-west-2"]);
    });
});
