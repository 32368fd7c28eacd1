/**
 * rejoin when its stack update does not go through: an update interrupted after the new datastore
 * exists (stale outputs, a rerun that finishes it), secondaries still joining, a guard refusal after
 * the old resources are gone, a final check that fails; and which final snapshots are its own.
 */
import * as assert from "node:assert/strict";
import { CreateReplicationGroupCommand, DeleteReplicationGroupCommand, DisassociateGlobalReplicationGroupCommand, Snapshot } from "@aws-sdk/client-elasticache";
import { resolveFoundingRegion } from "../../../recovery/lib/founding-region";
import { RESOURCE_TYPES } from "../../../recovery/lib/guard";
import { newestFirst } from "../../../recovery/lib/rejoin/snapshots";
import { PlannedStep, StackOutputs } from "../../../recovery/lib/stack-driver";
import { FakeModel } from "../fake/model";
import { Harness, key } from "./harness";
import { MINUTE, REJOIN, createDatastoreAroundServing, detachedThenBack, elastiCache } from "./rejoin-scenario";

const RECONCILE_DRY = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "planned", "--reconcile-only", "--dry-run"];

/** A step that replaces the deployed resource `name` (what a program that disagrees with the deployment would plan). */
function replaceOf(h: Harness, type: string, name: string, property: string): PlannedStep {
    return { op: "replace", urn: h.driver.resource(type, name).urn, type, diffs: [property], replaceKeys: [property] };
}

describe("rejoin: an update that does not go through", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    /**
     * Outputs as a real stack has them: written only when an update completes. (The harness otherwise
     * names whichever fake datastore has the program's suffix, which after a rebuild is the new one.)
     */
    async function outputsOnlyFromCompletedUpdates(): Promise<{ completedUps: () => number }> {
        const before = await h.driver.outputs();
        let frozen: StackOutputs | undefined = before;
        let completed = 0;
        const outputs = h.driver.outputs.bind(h.driver);
        h.driver.outputs = async () => frozen ? structuredClone(frozen) : outputs();
        const up = h.driver.up.bind(h.driver);
        h.driver.up = async (options) => {
            const result = await up(options);
            completed += 1;
            frozen = undefined;
            return result;
        };
        return { completedUps: () => completed };
    }

    /** rejoin's update creates the new datastore around the serving cluster, then is interrupted (once). */
    async function updateInterruptedAfterCreatingTheDatastore(): Promise<void> {
        const up = h.driver.up;
        h.driver.up = async () => {
            h.driver.up = up;
            await createDatastoreAroundServing();
            throw new Error("the update was interrupted (test): the new datastore exists, its secondaries and the outputs do not");
        };
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /the update was interrupted/);
    }

    it("an update interrupted after it created the new datastore: the outputs count as stale, and a rejoin rerun finishes the update itself", async () => {
        ({ h } = await detachedThenBack("published"));
        const { completedUps } = await outputsOnlyFromCompletedUpdates();
        await updateInterruptedAfterCreatingTheDatastore();
        h.aws.clock.advance(6 * MINUTE);
        assert.equal((await h.driver.outputs()).foundingRegion.value, "us-east-1", "the outputs still describe the old deployment");

        assert.equal(await h.run(...RECONCILE_DRY), 0, h.stderr.text);
        assert.match(h.stdout.text, /the stack outputs \(foundingRegion, globalDatastoreId\) are stale and not used: they name datastore ldgnf-prod, the control plane reports sgaui-prod/);
        assert.match(h.stdout.text, /foundingRegion us-west-2, from the stack configuration \(elasticache-global:foundingRegion\), the region code of the datastore id the control plane reports \(sgaui-prod\)/);

        const mutating = h.aws.mutatingCalls().length;
        h.aws.clock.advance(1000); // reports are named by their start: keep this run's apart from the dry run's
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /prod-us-west-2 in us-west-2 is already PRIMARY of sgaui-prod \(secondaries: none; not yet members: eu-west-1, us-east-1\).*only that update remains/);
        assert.equal(completedUps(), 1, "the rerun ran the update");
        assert.equal(h.aws.mutatingCalls().length, mutating, "the rerun only updates the stack");
        assert.equal((await h.driver.outputs()).foundingRegion.value, "us-west-2");
        assert.match(h.stdout.text, /previewing again: no replication group or datastore may be replaced or deleted/);
        assert.match(h.lastReport().nextSteps.join("\n"), /Final snapshots of the retired groups: prod-eu-west-1-final-rejoin-\S+ \(eu-west-1, available\), prod-us-east-1-final-rejoin-\S+ \(us-east-1, available\)/);
    });

    it("says to wait while the rebuilt datastore's secondaries are joining, then finishes the update once they are associated", async () => {
        ({ h } = await detachedThenBack("published"));
        await outputsOnlyFromCompletedUpdates();
        await updateInterruptedAfterCreatingTheDatastore();
        h.aws.clock.advance(6 * MINUTE);
        // The interrupted update had started a secondary (the fake stack does not touch the fake control plane: the test does).
        await elastiCache("eu-west-1").send(new CreateReplicationGroupCommand({
            ReplicationGroupId: "prod-eu-west-1", ReplicationGroupDescription: "joins (test)", GlobalReplicationGroupId: "sgaui-prod",
        }));
        const ups = () => h.driver.calls.filter((c) => c.op === "up").length;
        const upsBefore = ups();
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /is PRIMARY of sgaui-prod, whose secondaries are still joining \(eu-west-1 associating, us-east-1 not a member\)\. Wait until every secondary is associated .*then run rejoin again: it finishes the stack update\. Nothing was changed/);
        assert.equal(ups(), upsBefore);
        h.aws.clock.advance(h.aws.durations.joinSecondary);
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        assert.equal(ups(), upsBefore + 1);
    });

    it("a guard refusal after the old resources are gone says what was retired and set, how to revert, and not to rerun", async () => {
        ({ h } = await detachedThenBack("published"));
        const preview = h.driver.preview.bind(h.driver);
        // The program disagrees with the deployment only once the regions are switched: invisible to the preview before any change.
        h.driver.preview = async (options) => {
            const steps = await preview(options);
            const switched = (await h.driver.getConfig())[key("primaryRegion")].value === "us-west-2";
            return switched ? [...steps, replaceOf(h, RESOURCE_TYPES.replicationGroup, "cache-us-west-2", "subnetGroupName")] : steps;
        };
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /stack prod was NOT rebuilt around prod-us-west-2: the guard refused the update, so pulumi up did not run/);
        assert.match(h.stderr.text, /What this run had already done: detached prod-eu-west-1 \(eu-west-1\) from the old datastore; deleted the old Global Datastore ldgnf-prod \(keeping its primary group\); deleted prod-us-east-1 \(us-east-1\) with final snapshot prod-us-east-1-final-rejoin-\S+; deleted prod-eu-west-1 \(eu-west-1\) with final snapshot \S+; set elasticache-global:foundingRegion: us-east-1 -> us-west-2; .*refreshed the state/);
        assert.match(h.stderr.text, /cache-us-west-2 \(\S+\): replace, forced by a change to subnetGroupName/);
        const next = h.lastReport().nextSteps.join("\n");
        assert.match(next, /Find out why the program would replace or delete cache-us-west-2 \(replace, forced by subnetGroupName\)/);
        assert.match(next, /Do not run rejoin again as it is: the same preview would be refused\. Do NOT run pulumi up on stack prod/);
        assert.match(next, /pulumi config set --stack prod elasticache-global:primaryRegion us-east-1/);
        assert.match(next, /\/elasticache-global\/prod\/writer names prod-us-west-2 in every region/);
        assert.doesNotMatch(next, /run the same command again/i);
        assert.equal(h.driver.calls.filter((c) => c.op === "up").length, 0);
    });

    it("after the update, a fresh preview that still plans to replace data stops the run", async () => {
        ({ h } = await detachedThenBack("published"));
        const preview = h.driver.preview.bind(h.driver);
        h.driver.preview = async (options) => {
            const steps = await preview(options);
            const updated = h.driver.calls.some((c) => c.op === "up");
            return updated ? [...steps, replaceOf(h, RESOURCE_TYPES.replicationGroup, "cache-eu-west-1", "globalReplicationGroupId")] : steps;
        };
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /the update ran, but a fresh preview after it still plans to replace or delete data/);
        assert.match(h.lastReport().nextSteps.join("\n"), /Do NOT run pulumi up on stack prod/);
    });
});

describe("rejoin: which final snapshots are this rejoin's", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("an older final snapshot with the same prefix, taken before the detach, is not reported as this one's", async () => {
        ({ h } = await detachedThenBack("published"));
        // Someone retired eu-west-1's stale group by hand, without a final snapshot; an earlier rejoin's snapshot of it is still there.
        await elastiCache("eu-west-1").send(new DisassociateGlobalReplicationGroupCommand({
            GlobalReplicationGroupId: "ldgnf-prod", ReplicationGroupId: "prod-eu-west-1", ReplicationGroupRegion: "eu-west-1",
        }));
        h.aws.clock.advance(2 * MINUTE);
        await elastiCache("eu-west-1").send(new DeleteReplicationGroupCommand({ ReplicationGroupId: "prod-eu-west-1" }));
        h.aws.clock.advance(7 * MINUTE);
        const earlier = "prod-eu-west-1-final-rejoin-20240901t120000";
        h.aws.model.snapshots.set(FakeModel.key("eu-west-1", earlier), {
            region: "eu-west-1", name: earlier, replicationGroupId: "prod-eu-west-1", status: "available", createdAt: Date.UTC(2024, 8, 1, 12),
        });
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        const next = h.lastReport().nextSteps.join("\n");
        assert.match(next, /Final snapshots of the retired groups: prod-us-east-1-final-rejoin-\S+ \(us-east-1, available\); delete them/);
        assert.doesNotMatch(next, new RegExp(earlier));
    });

    it("orders snapshots the same whatever order AWS lists them in, also two still creating without a create time", () => {
        const creating = (name: string): Snapshot => ({ SnapshotName: name, SnapshotStatus: "creating", NodeSnapshots: [{}] });
        const dated = (name: string, at: number): Snapshot => ({ SnapshotName: name, SnapshotStatus: "available", NodeSnapshots: [{ SnapshotCreateTime: new Date(at) }] });
        const a = creating("prod-us-east-1-final-rejoin-20250115t101500");
        const b = creating("prod-us-east-1-final-rejoin-20250115t111500");
        const c = dated("prod-us-east-1-final-rejoin-20250115t103000", Date.UTC(2025, 0, 15, 10, 30, 5));
        const d = creating("prod-us-east-1-final-rejoin-by-hand");
        const e = creating("prod-us-east-1-final-rejoin-by-hand-2");
        const expected = [b, c, a, d, e].map((s) => s.SnapshotName);
        for (const order of [[a, b, c, d, e], [e, d, c, b, a], [c, e, a, d, b]]) {
            assert.deepEqual([...order].sort(newestFirst).map((s) => s.SnapshotName), expected);
        }
    });
});

describe("founding region with outputs from before a rebuild", () => {
    const outputs = (values: Record<string, unknown>): StackOutputs =>
        Object.fromEntries(Object.entries(values).map(([k, value]) => [k, { value, secret: false }]));

    it("does not use outputs that name another datastore than the control plane, and says so", () => {
        const found = resolveFoundingRegion({ foundingRegion: "us-west-2" }, {
            outputs: outputs({ foundingRegion: "us-east-1", globalDatastoreId: "ldgnf-prod" }), controlPlaneDatastoreId: "sgaui-prod",
        });
        assert.equal(found.region, "us-west-2");
        assert.deepEqual(found.evidence.map((e) => e.region), ["us-west-2", "us-west-2"]);
        assert.match(found.unusable.join(), /stale and not used: they name datastore ldgnf-prod, the control plane reports sgaui-prod/);
    });

    it("still refuses when the current records disagree with each other", () => {
        assert.throws(() => resolveFoundingRegion({ foundingRegion: "eu-west-1" }, {
            outputs: outputs({ foundingRegion: "us-east-1", globalDatastoreId: "ldgnf-prod" }), controlPlaneDatastoreId: "sgaui-prod",
        }), /elasticache-global:foundingRegion\) says eu-west-1; the region code of the datastore id the control plane reports \(sgaui-prod\) says us-west-2/);
    });
});
