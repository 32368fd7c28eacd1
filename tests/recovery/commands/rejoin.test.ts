/** rejoin against the fake control plane, after retarget-primary --mode outage detached us-west-2. */
import * as assert from "node:assert/strict";
import { CreateGlobalReplicationGroupCommand, ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { oldDatastoreRegion } from "../../../recovery/lib/rejoin";
import { UpResult } from "../../../recovery/lib/stack-driver";
import { Topology } from "../../../recovery/lib/topology";
import { Harness, harness, key, refreshReadsFakeAws, ssmWriter } from "./harness";

const OUTAGE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--mode", "outage", "--detach", "--force", "--yes"];
const REJOIN = ["rejoin", "--stack", "prod"];
const SERVING = "prod-us-west-2";
const MINUTE = 60_000;

/** Every string value anywhere in a call input, to find calls that name a resource. */
function mentions(input: Record<string, unknown>, id: string): boolean {
    return JSON.stringify(input).includes(`"${id}"`);
}

describe("rejoin after an outage detach", function () {
    this.timeout(60_000);
    let h: Harness;
    let detachedAt: number;
    afterEach(() => h?.cleanup());

    /** The outage, the detach, then us-east-1 back for ten minutes (CloudWatch has its metrics again). */
    async function detachedThenBack(): Promise<void> {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
        assert.equal(await h.run(...OUTAGE), 0, h.stderr.text);
        detachedAt = h.aws.log.calls({ command: "DisassociateGlobalReplicationGroup" })[0].at;
        h.aws.faults.regionUp("us-east-1");
        h.aws.clock.advance(10 * MINUTE);
    }

    const callsSince = (n: number) => h.aws.mutatingCalls().slice(n).filter((c) => c.outcome === "ok").map((c) => `${c.region} ${c.command}`);

    it("refuses while the old region still does not answer, changing nothing", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.aws.clock.advance(5 * MINUTE);
        assert.equal(await h.run(...OUTAGE), 0, h.stderr.text);
        const before = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /not every old region answers yet \(us-east-1: us-east-1 did not answer .*Run it again once they answer/);
        assert.equal(h.aws.mutatingCalls().length, before);
    });

    it("dry run changes nothing; the real run moves every writer first, then retires the old datastore and rebuilds around the untouched serving cluster", async () => {
        await detachedThenBack();
        const outageCalls = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--dry-run"), 0, h.stderr.text);
        assert.equal(h.aws.mutatingCalls().length, outageCalls);
        assert.match(h.stdout.text, /prod-us-west-2 in us-west-2 serves writes and will found the new datastore \(the only standalone, available group/);
        assert.match(h.stdout.text, /DeleteGlobalReplicationGroup \{"GlobalReplicationGroupId":"ldgnf-prod","RetainPrimaryReplicationGroup":true\} in us-east-1/);

        const ups: UpResult[] = [];
        const up = h.driver.up.bind(h.driver);
        h.driver.up = async (options) => {
            const result = await up(options);
            ups.push(result);
            return result;
        };
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        assert.deepEqual(callsSince(outageCalls), [
            "us-east-1 PutParameter", "us-west-2 PutParameter", "eu-west-1 PutParameter",
            "eu-west-1 DisassociateGlobalReplicationGroup", "us-east-1 DeleteGlobalReplicationGroup",
            "us-east-1 DeleteReplicationGroup", "eu-west-1 DeleteReplicationGroup",
        ]);
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(ssmWriter(h.aws, region).replicationGroupId, SERVING, `writer in ${region}`);
        }
        assert.match(h.stdout.text, /prod-us-east-1 took no writes from .* to .* \(CloudWatch AWS\/ElastiCache SetTypeCmds/);
        const calls = h.aws.mutatingCalls().slice(outageCalls).filter((c) => c.service === "elasticache");
        assert.ok(calls.every((c) => !mentions(c.input, SERVING)), "nothing may be sent about the serving cluster");
        assert.equal(h.aws.model.datastores.size, 0);

        const config = await h.driver.getConfig();
        assert.deepEqual([config[key("primaryRegion")].value, config[key("foundingRegion")].value, config[key("secondaryRegions")].value],
            ["us-west-2", "us-west-2", JSON.stringify(["eu-west-1", "us-east-1"])]);
        const serving = ups[0].steps.filter((s) => s.urn.endsWith("::cache-us-west-2"));
        assert.deepEqual(serving.map((s) => s.op).filter((op) => op !== "same" && op !== "update"), [], "the serving cluster must not be replaced or deleted");

        const snapshots = ["us-east-1", "eu-west-1"].flatMap((r) => h.aws.snapshotsIn(r));
        assert.deepEqual(snapshots.map((s) => s.status), ["available", "available"], "success only once the final snapshots are available");
        const next = h.lastReport().nextSteps.join("\n");
        for (const s of snapshots) {
            assert.ok(next.includes(`${s.name} (${s.region}, available)`), `${s.name} in the next steps: ${next}`);
        }
    });

    it("refuses when the old primary took writes after the detach (writers already moved, nothing deleted); --accept-lost-writes goes on", async () => {
        await detachedThenBack();
        h.aws.setWrites("us-east-1", "prod-us-east-1", (minute, node) => (minute >= detachedAt && node.endsWith("-001") ? 7 : 0));
        const before = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /refusing to retire the old clusters: prod-us-east-1 took \d+ write commands from .* \(the detach\) to .*survive only in its final snapshot \(prod-us-east-1-final-rejoin-\.\.\.\).*--accept-lost-writes/);
        assert.deepEqual(callsSince(before), ["us-east-1 PutParameter", "us-west-2 PutParameter", "eu-west-1 PutParameter"]);
        assert.equal(h.aws.model.datastores.size, 1, "nothing retired");

        assert.equal(await h.run(...REJOIN, "--accept-lost-writes", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /going on because of --accept-lost-writes/);
        assert.equal(h.aws.model.datastores.size, 0);
    });

    it("refuses when the detach time is unknown, and takes it from --detached-at", async () => {
        await detachedThenBack();
        h.aws.model.events.length = 0;
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /the detach time of prod-us-west-2 is unknown: .*--detached-at <ISO time>/);
        assert.equal(await h.run(...REJOIN, "--detached-at", "soon", "--yes"), 2);
        assert.match(h.stderr.text, /--detached-at "soon" is not valid\. Accepted: an ISO 8601 time in the past/);
        assert.equal(await h.run(...REJOIN, "--detached-at", new Date(detachedAt).toISOString(), "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /detached at .* \(from --detached-at\)/);
    });

    it("a rerun after an interruption reports the snapshot names the first run gave, not names of its own", async () => {
        await detachedThenBack();
        const first = h.run(...REJOIN, "--yes");
        while (h.aws.log.calls({ command: "DeleteReplicationGroup" }).length < 2) {
            await new Promise((resolve) => setImmediate(resolve));
        }
        h.abort.abort(new Error("interrupted (test)"));
        assert.equal(await first, 1);
        const named = h.aws.log.calls({ command: "DeleteReplicationGroup" }).map((c) => String(c.input.FinalSnapshotIdentifier));
        h.aws.clock.advance(2 * MINUTE);
        h.abort = new AbortController();
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        assert.equal(h.aws.log.calls({ command: "DeleteReplicationGroup" }).length, 2, "no second deletion");
        const next = h.lastReport().nextSteps.join("\n");
        named.forEach((name) => assert.ok(next.includes(name), `${name} in ${next}`));
    });

    it("while the rebuilt datastore's secondaries are joining, says to wait for them and then reconcile, not to reconcile now", async () => {
        await detachedThenBack();
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        // What the program's up starts: a new datastore around the serving cluster, secondaries to follow.
        await new ElastiCacheClient({ region: "us-west-2", credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" } })
            .send(new CreateGlobalReplicationGroupCommand({ GlobalReplicationGroupIdSuffix: "prod-b", PrimaryReplicationGroupId: SERVING }));
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /prod-us-west-2 in us-west-2 is already PRIMARY of sgaui-prod-b, whose secondaries are still joining .*wait until every secondary is associated .*then run retarget-primary --stack prod --to us-west-2 --mode planned --reconcile-only/);
    });
});

describe("rejoin: where the old datastore is deleted from", () => {
    const old = (roles: Record<string, "PRIMARY" | "SECONDARY" | "UNKNOWN">, failed: string[] = []): Topology => ({
        globalDatastoreId: "ldgnf-prod", status: "primary-only", source: "config", regionsAsked: ["us-east-1", "eu-west-1"],
        failures: failed.map((region) => ({ region, error: "no answer" })),
        members: Object.entries(roles).map(([region, role]) => ({ region, replicationGroupId: `prod-${region}`, role, memberStatus: "associated" })),
    });

    it("asks the old primary's region, or else any member region that answered (no member PRIMARY any more)", () => {
        assert.equal(oldDatastoreRegion(old({ "us-east-1": "PRIMARY", "eu-west-1": "SECONDARY" }), "us-west-2"), "us-east-1");
        assert.equal(oldDatastoreRegion(old({ "us-east-1": "UNKNOWN", "eu-west-1": "SECONDARY" }), "us-west-2"), "us-east-1");
        assert.equal(oldDatastoreRegion(old({ "us-east-1": "PRIMARY", "eu-west-1": "SECONDARY" }, ["us-east-1"]), "us-west-2"), "eu-west-1");
        assert.equal(oldDatastoreRegion(old({ "us-east-1": "PRIMARY" }, ["us-east-1", "eu-west-1"]), "us-west-2"), undefined, "none answered: planning refuses");
    });
});
