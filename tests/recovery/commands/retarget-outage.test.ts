/** retarget-primary --mode outage against the fake control plane, and rejoin once the old region answers again. */
import * as assert from "node:assert/strict";
import { UpResult } from "../../../recovery/lib/stack-driver";
import { Harness, harness, key, refreshReadsFakeAws, writerDocument } from "./harness";

const OUTAGE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "outage"];
const SERVING = "prod-us-west-2";

/** Every string value anywhere in a call input, to find calls that name a resource. */
function mentions(input: Record<string, unknown>, id: string): boolean {
    return JSON.stringify(input).includes(`"${id}"`);
}

describe("retarget-primary --mode outage, then rejoin", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    async function detachDuringOutage(): Promise<void> {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        h.aws.faults.regionDown("us-east-1");
        assert.equal(await h.run(...OUTAGE, "--yes"), 0, h.stderr.text);
    }

    it("talks only to the target region, detaches it when the promotion cannot complete, and says the datastore must be rebuilt", async () => {
        await detachDuringOutage();
        const regions = new Set(h.aws.log.calls().map((c) => c.region));
        assert.deepEqual([...regions], ["us-west-2"], "an outage run must not call any other region");
        assert.deepEqual(h.aws.mutatingCalls().map((c) => c.command), ["FailoverGlobalReplicationGroup", "DisassociateGlobalReplicationGroup"]);
        const group = h.aws.model.requireReplicationGroup("us-west-2", SERVING);
        assert.deepEqual({ global: group.global, status: group.status }, { global: undefined, status: "available" });

        // Only the target region's resources that follow the primary were updated, without a refresh of the failed region.
        assert.ok(!h.driver.operations.includes("refresh"));
        const up = h.driver.calls.find((c) => c.op === "up")!;
        assert.ok(up.targets && up.targets.length > 0 && up.targets.every((urn) => /-us-west-2(-|$)|writer-dns$/.test(urn)), `targets: ${up.targets}`);
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, SERVING);
        assert.equal(writerDocument(h.driver, "eu-west-1").replicationGroupId, "prod-us-east-1", "other regions are not touched in an outage");

        const report = h.lastReport();
        assert.ok(report.recoveryTime !== "not reached", "writes are accepted once the detached group is available");
        assert.match(report.nextSteps.join("\n"), /must be rebuilt.*npm run recovery -- rejoin --stack prod --dry-run/);
        assert.match(report.nextSteps.join("\n"), /Do NOT run a plain pulumi up.*protect/);
        assert.match(h.stdout.text, /rejoin --stack prod/);
    });

    it("an outage dry run reads only the target region and changes nothing", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        assert.equal(await h.run(...OUTAGE, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.changes(), []);
        assert.deepEqual([...new Set(h.aws.log.calls().map((c) => c.region))], ["us-west-2"]);
        assert.match(h.stdout.text, /then a targeted preview and up of the resources in us-west-2 that follow the primary/);
    });

    it("a rerun after the detach continues from there without a second call", async () => {
        await detachDuringOutage();
        const before = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...OUTAGE, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /already detached \(standalone\) and available/);
        assert.equal(h.aws.mutatingCalls().length, before);
    });

    it("rejoin refuses while the old region still does not answer", async () => {
        await detachDuringOutage();
        assert.equal(await h.run("rejoin", "--stack", "prod", "--yes"), 1);
        assert.match(h.stderr.text, /not every old region answers yet \(us-east-1: us-east-1 did not answer .*Run it again once they answer/);
        assert.equal(h.aws.mutatingCalls().length, 2, "rejoin changed something while refusing");
    });

    it("rejoin: the dry run changes nothing; the real run retires the old datastore and rebuilds around the untouched serving cluster", async () => {
        await detachDuringOutage();
        h.aws.faults.regionUp("us-east-1");
        const outageCalls = h.aws.mutatingCalls().length;
        const stackOps = h.driver.operations.length;

        assert.equal(await h.run("rejoin", "--stack", "prod", "--dry-run"), 0, h.stderr.text);
        assert.equal(h.aws.mutatingCalls().length, outageCalls);
        assert.deepEqual(h.driver.operations.slice(stackOps).filter((op) => op !== "getConfig" && op !== "preview"), []);
        assert.match(h.stdout.text, /DeleteGlobalReplicationGroup \{"GlobalReplicationGroupId":"ldgnf-prod","RetainPrimaryReplicationGroup":true\}/);

        const ups: UpResult[] = [];
        const up = h.driver.up.bind(h.driver);
        h.driver.up = async (options) => {
            const result = await up(options);
            ups.push(result);
            return result;
        };
        assert.equal(await h.run("rejoin", "--stack", "prod", "--yes"), 0, h.stderr.text);
        const calls = h.aws.mutatingCalls().slice(outageCalls);
        assert.deepEqual(calls.map((c) => `${c.region} ${c.command}`), [
            "eu-west-1 DisassociateGlobalReplicationGroup", "us-east-1 DeleteGlobalReplicationGroup",
            "us-east-1 DeleteReplicationGroup", "eu-west-1 DeleteReplicationGroup",
        ]);
        assert.ok(calls.every((c) => !mentions(c.input, SERVING)), "nothing may be sent about the serving cluster");
        assert.ok(calls.filter((c) => c.command === "DeleteReplicationGroup").every((c) => /-final-rejoin-/.test(String(c.input.FinalSnapshotIdentifier))));
        assert.equal(h.aws.model.datastores.size, 0);
        assert.deepEqual(h.aws.model.requireReplicationGroup("us-west-2", SERVING).status, "available");

        assert.equal((await h.driver.getConfig())[key("foundingRegion")].value, "us-west-2");
        const serving = ups[0].steps.filter((s) => s.urn.endsWith("::cache-us-west-2"));
        assert.deepEqual(serving.map((s) => s.op).filter((op) => op !== "same" && op !== "update"), [], "the serving cluster must not be replaced or deleted");
        const created = ups[0].steps.filter((s) => s.op === "create" && /ReplicationGroup::cache-|GlobalReplicationGroup::/.test(s.urn)).map((s) => s.urn.split("::").pop());
        assert.deepEqual(created.sort(), ["cache-datastore", "cache-eu-west-1", "cache-us-east-1"]);
        const datastore = h.driver.resource("aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", "cache-datastore");
        assert.equal(datastore.inputs.region, "us-west-2");
    });

    it("rejoin interrupted while deleting is finished by a rerun that repeats no call", async () => {
        await detachDuringOutage();
        h.aws.faults.regionUp("us-east-1");
        const first = h.run("rejoin", "--stack", "prod", "--yes");
        while (h.aws.log.calls({ command: "DeleteReplicationGroup" }).length === 0) {
            await new Promise((resolve) => setImmediate(resolve));
        }
        h.abort.abort(new Error("interrupted (test)"));
        assert.equal(await first, 1);
        h.abort = new AbortController();
        assert.equal(await h.run("rejoin", "--stack", "prod", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /prod-us-east-1 in us-east-1, already deleting/);
        const count = (command: string) => h.aws.log.calls({ command }).filter((c) => c.outcome === "ok").length;
        assert.deepEqual([count("DisassociateGlobalReplicationGroup"), count("DeleteGlobalReplicationGroup"), count("DeleteReplicationGroup")], [2, 1, 2],
            "one detach in the outage and one in rejoin; one datastore deletion; one deletion per stale group");
    });
});
