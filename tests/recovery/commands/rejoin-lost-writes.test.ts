/**
 * rejoin's lost-writes check against the fake: a minute without a datapoint is not "no writes", the
 * newest minutes are waited for, only shard primaries count, and the old primary is counted again
 * right before it is deleted. Every refusal after the writers moved says where they point now.
 */
import * as assert from "node:assert/strict";
import { COVERAGE_WAIT_MS } from "../../../recovery/lib/rejoin/lost-writes";
import { Harness } from "./harness";
import {
    MINUTE, OLD_PRIMARY, REJOIN, SHARDS, ceilMinute, detachedThenBack, floorMinute, iso, literal, oldPrimaryWrites, okCallsSince, withoutOutageReports,
} from "./rejoin-scenario";

const WRITER_MOVED = /Writers were moved: \/elasticache-global\/prod\/writer now names prod-us-west-2 in us-west-2, in us-east-1, us-west-2, eu-west-1 \(this run wrote it\)/;

describe("rejoin: writes the old primary took after the detach", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    const movedAt = () => Math.max(...h.aws.log.calls({ command: "PutParameter" }).map((c) => c.at));

    it("a region that was down published nothing: the count is unknown, the refusal names the uncovered minutes and where the writers point, and nothing is retired", async () => {
        // 50 writes a minute for 30 minutes while us-east-1 was cut off: CloudWatch never saw them.
        const scenario = await detachedThenBack("silent", {}, 25 * MINUTE);
        h = scenario.h;
        const { downAt, upAt } = scenario;
        oldPrimaryWrites(h, 50, (m) => m >= downAt && m < upAt);
        // The window starts at the last replication-lag datapoint the outage run saw, before the region went down.
        const gap = `shards 0001, 0002, 0003 from ${iso(ceilMinute(downAt))} to ${iso(ceilMinute(upAt))}`;

        assert.equal(await h.run(...REJOIN, "--dry-run"), 0, h.stderr.text);
        assert.match(h.lastReport().nextSteps.join("\n"), /The real run would refuse: refusing to retire the old clusters: whether prod-us-east-1 took writes .* is unknown/);
        assert.match(h.stdout.text, literal(gap));

        const before = h.aws.mutatingCalls().length;
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, new RegExp(`whether ${OLD_PRIMARY} took writes from \\S+ to `));
        assert.ok(Date.parse(/took writes from (\S+) to /.exec(h.stderr.text)![1]) < downAt, "the window starts before the outage");
        assert.match(h.stderr.text, literal(`CloudWatch has no datapoint of a shard primary for ${gap}`));
        assert.deepEqual(okCallsSince(h, before), ["us-east-1 PutParameter", "us-west-2 PutParameter", "eu-west-1 PutParameter"], "nothing detached or deleted");
        const next = h.lastReport().nextSteps.join("\n");
        assert.match(next, WRITER_MOVED);
        assert.match(next, /prod-us-east-1 \(us-east-1\) is untouched: still the old datastore's primary/);
        assert.match(next, /--accept-lost-writes --yes/);
        assert.doesNotMatch(`${h.stderr.text}\n${next}`, /Nothing was changed/);

        assert.equal(await h.run(...REJOIN, "--accept-lost-writes", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /going on because of --accept-lost-writes/);
        assert.equal(h.aws.model.datastores.size, 0);
    });

    it("counts from the last replicated moment the outage report recorded, when replication stopped before the detach", async () => {
        // The link between the regions broke three minutes before us-east-1's API failed; us-east-1 kept taking and publishing writes.
        let linkLostAt = 0;
        const scenario = await detachedThenBack("published", {}, 0, (harnessed) => {
            linkLostAt = harnessed.aws.clock.now() - 3 * MINUTE;
            harnessed.aws.setReplicationLag("us-west-2", "prod-us-west-2", (t) => (t >= linkLostAt ? undefined : 0.4));
        });
        h = scenario.h;
        const detachMinute = floorMinute(scenario.detachedAt);
        oldPrimaryWrites(h, 20, (m) => m >= linkLostAt && m < detachMinute);
        const lost = 20 * SHARDS * ((detachMinute - linkLostAt) / MINUTE);

        assert.equal(await h.run(...REJOIN, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /detached at \S+ \(from the outage run's report \S+-retarget-primary\.json: the replication lag's last datapoint, before the detach at /);
        assert.match(h.stdout.text, literal(`${OLD_PRIMARY} took ${lost} write commands from `));
        withoutOutageReports(h);
        assert.equal(await h.run(...REJOIN, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /prod-us-east-1 took no writes from /, "from the detach alone, the writes before it go unseen");
    });

    it("waits for CloudWatch to publish the minute the writers moved in, and counts writes of the last minutes", async () => {
        ({ h } = await detachedThenBack("published"));
        // A client starts writing to the old primary half a minute before rejoin runs: not in CloudWatch yet when it starts.
        const writesFrom = floorMinute(h.aws.clock.now() - 30_000) + MINUTE;
        oldPrimaryWrites(h, 50, (m) => m >= writesFrom);
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        const minutes = (floorMinute(movedAt()) - writesFrom) / MINUTE + 1;
        assert.match(h.stderr.text, literal(`${OLD_PRIMARY} took ${50 * SHARDS * minutes} write commands from `));
        assert.match(h.lastReport().nextSteps.join("\n"), WRITER_MOVED);
        assert.equal(h.aws.log.calls({ command: "DeleteGlobalReplicationGroup" }).length, 0);
        assert.equal(h.aws.log.calls({ command: "DeleteReplicationGroup" }).length, 0);
    });

    it("when CloudWatch is slower than the bounded wait, the minutes it has not published make the count unknown", async () => {
        ({ h } = await detachedThenBack("published", { durations: { metricPublishDelay: COVERAGE_WAIT_MS + 5 * MINUTE } }));
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stdout.text, /CloudWatch had not published every minute up to \S+ after 5 minutes; the minutes still missing count as unknown/);
        assert.match(h.stderr.text, /whether prod-us-east-1 took writes from .* is unknown: CloudWatch has no datapoint of a shard primary for shards 0001, 0002, 0003 from /);
        assert.equal(h.aws.log.calls({ command: "DeleteGlobalReplicationGroup" }).length, 0);
    });

    it("counts only each shard's primary: replicas repeat its writes and run a DEL per expired key", async () => {
        const scenario = await detachedThenBack("published");
        h = scenario.h;
        const from = ceilMinute(scenario.detachedAt) + MINUTE;
        oldPrimaryWrites(h, 7, (m) => m >= from && m < from + 2 * MINUTE);
        h.aws.setExpiries("us-east-1", OLD_PRIMARY, () => 5);
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stderr.text, literal(`${OLD_PRIMARY} took ${7 * SHARDS * 2} write commands from `));
    });

    it("an idle old primary whose replicas only ran expiry DELs took no writes", async () => {
        ({ h } = await detachedThenBack("published"));
        h.aws.setExpiries("us-east-1", OLD_PRIMARY, () => 5);
        assert.equal(await h.run(...REJOIN, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /prod-us-east-1 took no writes from /);
    });

    it("counts again right before deleting the old primary: writes it took once standalone stop the run, which says what it retired", async () => {
        ({ h } = await detachedThenBack("published"));
        const datastoreDeleteCall = () => h.aws.log.calls({ command: "DeleteGlobalReplicationGroup" })[0]?.at ?? Infinity;
        oldPrimaryWrites(h, 9, (m) => m >= ceilMinute(datastoreDeleteCall()));
        assert.equal(await h.run(...REJOIN, "--yes"), 1);
        assert.match(h.stdout.text, /prod-us-east-1 took no writes from /, "the first count, before the old datastore went");
        assert.match(h.stderr.text, /refusing to retire prod-us-east-1 \(us-east-1\): prod-us-east-1 took \d+ write commands from /);
        assert.equal(h.aws.log.calls({ command: "DeleteReplicationGroup" }).length, 0, "the old primary is kept");
        const next = h.lastReport().nextSteps.join("\n");
        assert.match(next, WRITER_MOVED);
        assert.match(next, /This run also detached prod-eu-west-1 \(eu-west-1\) from the old datastore; deleted the old Global Datastore ldgnf-prod \(keeping its primary group\): prod-us-east-1 \(us-east-1\) is now a standalone cluster that accepts writes/);

        assert.equal(await h.run(...REJOIN, "--accept-lost-writes", "--yes"), 0, h.stderr.text);
        assert.deepEqual(h.aws.log.calls({ command: "DeleteReplicationGroup" }).map((c) => c.region).sort(), ["eu-west-1", "us-east-1"]);
    });
});
