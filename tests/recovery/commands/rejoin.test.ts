/** rejoin against the fake control plane, after retarget-primary --mode outage detached us-west-2: the main flow and what refuses before any change. */
import * as assert from "node:assert/strict";
import { oldDatastoreRegion } from "../../../recovery/lib/rejoin";
import { UpResult } from "../../../recovery/lib/stack-driver";
import { DELETE_DATASTORE_MS } from "../fake/delete-ops";
import { Topology } from "../../../recovery/lib/topology";
import { Harness, harness, key, ssmWriter } from "./harness";
import { MINUTE, OUTAGE, REJOIN, SERVING, detachedThenBack, iso, literal, mentions, okCallsSince, withoutOutageReports } from "./rejoin-scenario";

describe("rejoin after an outage detach", function () {
    this.timeout(60_000);
    let h: Harness;
    let detachedAt: number;
    afterEach(() => h?.cleanup());

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

    it("dry run counts the writes so far and previews the serving cluster, changing nothing; the real run moves every writer, counts up to that moment, then retires and rebuilds", async () => {
        ({ h, detachedAt } = await detachedThenBack("published"));
        const outageCalls = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--dry-run"), 0, h.stderr.text);
        assert.equal(h.aws.mutatingCalls().length, outageCalls);
        assert.match(h.stdout.text, /prod-us-west-2 in us-west-2 serves writes and will found the new datastore \(the only standalone, available group/);
        assert.match(h.stdout.text, /DeleteGlobalReplicationGroup \{"GlobalReplicationGroupId":"ldgnf-prod","RetainPrimaryReplicationGroup":true\} in us-east-1/);
        assert.match(h.stdout.text, literal(`detached at ${iso(detachedAt)} (from the events of prod-us-west-2 in us-west-2 (DescribeEvents))`));
        assert.match(h.stdout.text, /prod-us-east-1 took no writes from .* to .*: its shard primaries ran 0 write commands in every minute/);
        assert.match(h.stdout.text, /plans no replacement or deletion of prod-us-west-2 or its KMS key .*it does not show the rebuild's own preview/);
        assert.deepEqual(h.driver.calls.filter((c) => ["setConfig", "refresh", "up"].includes(c.op)), [], "a dry run writes nothing to the stack");

        const ups: UpResult[] = [];
        const up = h.driver.up.bind(h.driver);
        h.driver.up = async (options) => {
            const result = await up(options);
            ups.push(result);
            return result;
        };
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        assert.deepEqual(okCallsSince(h, outageCalls), [
            "us-east-1 PutParameter", "us-west-2 PutParameter", "eu-west-1 PutParameter",
            "eu-west-1 DisassociateGlobalReplicationGroup", "us-east-1 DeleteGlobalReplicationGroup",
            "us-east-1 DeleteReplicationGroup", "eu-west-1 DeleteReplicationGroup",
        ]);
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            assert.equal(ssmWriter(h.aws, region).replicationGroupId, SERVING, `writer in ${region}`);
        }
        // Both counts end at or after the moment they must cover: the writers' move, then the old primary's deletion.
        const movedAt = Math.max(...h.aws.log.calls({ command: "PutParameter" }).map((c) => c.at));
        const standaloneAt = h.aws.log.calls({ command: "DeleteGlobalReplicationGroup" })[0].at + DELETE_DATASTORE_MS;
        const deletedAt = h.aws.log.calls({ command: "DeleteReplicationGroup", region: "us-east-1" })[0].at;
        const windowEnds = [...h.stdout.text.matchAll(/prod-us-east-1 took no writes from \S+ to (\S+):/g)].map((m) => Date.parse(m[1]));
        assert.equal(windowEnds.length, 2, h.stdout.text);
        assert.ok(windowEnds[0] > movedAt && windowEnds[1] > standaloneAt, `windows end ${windowEnds.map(iso)}, moved ${iso(movedAt)}, standalone ${iso(standaloneAt)}`);
        assert.ok(h.aws.log.calls({ command: "GetMetricData" }).every((c) => c.at <= deletedAt), "counted before deleting");

        const calls = h.aws.mutatingCalls().slice(outageCalls).filter((c) => c.service === "elasticache");
        assert.ok(calls.every((c) => !mentions(c.input, SERVING)), "nothing may be sent about the serving cluster");
        assert.equal(h.aws.model.datastores.size, 0);
        const config = await h.driver.getConfig();
        assert.deepEqual([config[key("primaryRegion")].value, config[key("foundingRegion")].value, config[key("secondaryRegions")].value],
            ["us-west-2", "us-west-2", JSON.stringify(["eu-west-1", "us-east-1"])]);
        const serving = ups[0].steps.filter((s) => s.urn.endsWith("::cache-us-west-2"));
        assert.deepEqual(serving.map((s) => s.op).filter((op) => op !== "same" && op !== "update"), [], "the serving cluster must not be replaced or deleted");
        assert.match(h.stdout.text, /previewing again: no replication group or datastore may be replaced or deleted/);

        const snapshots = ["us-east-1", "eu-west-1"].flatMap((r) => h.aws.snapshotsIn(r));
        assert.deepEqual(snapshots.map((s) => s.status), ["available", "available"], "success only once the final snapshots are available");
        const next = h.lastReport().nextSteps.join("\n");
        for (const s of snapshots) {
            assert.ok(next.includes(`${s.name} (${s.region}, available)`), `${s.name} in the next steps: ${next}`);
        }
    });

    it("refuses before any change while nobody confirmed the Route 53 writer record, printing how to check and change it; the dry run says it would", async () => {
        ({ h } = await detachedThenBack("published"));
        const before = h.aws.mutatingCalls().length;
        const unconfirmed = REJOIN.filter((a) => a !== "--dns-checked");
        assert.equal(await h.run(...unconfirmed, "--dry-run"), 0, h.stderr.text);
        assert.match(h.lastReport().nextSteps.join("\n"), /The real run would refuse: stack prod configures the Route 53 writer record/);
        assert.equal(await h.run(...unconfirmed, "--yes"), 1);
        assert.match(h.stderr.text, /configures the Route 53 writer record \S+ \(zone \S+\), which rejoin cannot read/);
        assert.match(h.stderr.text, /aws route53 list-resource-record-sets --hosted-zone-id \S+ --start-record-name \S+ --start-record-type CNAME --max-items 1/);
        assert.match(h.stderr.text, /aws route53 change-resource-record-sets --hosted-zone-id \S+ --change-batch '.*clustercfg\.prod-us-west-2\./);
        assert.match(h.stderr.text, /run rejoin again with --dns-checked\. Nothing was changed\./);
        assert.equal(h.aws.mutatingCalls().length, before, "not even a writer parameter");
        assert.deepEqual(h.driver.calls.filter((c) => ["setConfig", "refresh", "up"].includes(c.op)), []);
    });

    it("refuses when the detach time is unknown before moving any writer, and takes it from --detached-at", async () => {
        ({ h, detachedAt } = await detachedThenBack("published"));
        h.aws.model.events.length = 0;
        withoutOutageReports(h);
        const before = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /the detach time of prod-us-west-2 is unknown: .*--detached-at <ISO time>.*Nothing was changed/);
        assert.equal(h.aws.mutatingCalls().length, before, "the writers stay as they were: nothing was changed");
        assert.equal(await h.run(...REJOIN, "--detached-at", "soon", "--yes"), 2);
        assert.match(h.stderr.text, /--detached-at "soon" is not valid\. Accepted: an ISO 8601 time in the past/);
        assert.equal(await h.run(...REJOIN, "--detached-at", iso(detachedAt), "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, literal(`detached at ${iso(detachedAt)} (from --detached-at)`));
    });

    it("refuses before any change when the current preview would replace the serving cluster's KMS key, naming it and the property", async () => {
        ({ h } = await detachedThenBack("published"));
        // The serving region's key was deployed multi-Region, the program declares a single-Region key: a replacement.
        h.driver.resource("aws:kms/key:Key", "cache-us-west-2-key").inputs.multiRegion = true;
        const before = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /the real run refuses here, before any change/i);
        assert.match(h.lastReport().nextSteps.join("\n"), /The real run would refuse: the current preview would replace or delete prod-us-west-2 or its KMS key/);
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, /the current preview would replace or delete the serving cluster's resources:[\s\S]*cache-us-west-2-key[\s\S]*multiRegion/);
        assert.match(h.stderr.text, /Nothing was changed\./);
        assert.equal(h.aws.mutatingCalls().length, before);
    });

    it("a rerun after an interruption reports the snapshot names the first run gave, not names of its own", async () => {
        ({ h } = await detachedThenBack("published"));
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
