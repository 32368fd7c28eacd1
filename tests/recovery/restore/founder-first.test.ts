/**
 * restore-from-snapshot moves the writer as soon as the founding group created from the snapshot is
 * verified and its datastore exists, then lets the secondaries join and follows them; a rerun finishes
 * whatever an interruption left. Against the control-plane fake on its virtual clock (25 min to create
 * a group from a snapshot, 5 min for the datastore, 20 min for each secondary to join) and the fake
 * stack, whose `up` creates in the fake what the program declares.
 */
import * as assert from "node:assert/strict";
import { useLocalCluster } from "../../dataplane/local-cluster-fixture";
import { Harness, writerDocument } from "../commands/harness";
import { PASSWORD, addSnapshots, restoreHarness, seedRestoredData, seedingConnection, writeMarkers } from "./restore-scenario";

const BEFORE = "2025-01-15T08:00:00Z";
const RESTORE = ["restore-from-snapshot", "--stack", "prod", "--before", BEFORE, "--redis-user", "app", "--yes"];
const KEY = (k: string) => `elasticache-global:${k}`;
const SECONDARIES = ["prod-g2-us-west-2", "prod-g2-eu-west-1"];

/** What the world looked like right after each `up`: where the writer pointed, which of generation 2's secondaries existed. */
interface AfterUp {
    writer: string;
    secondaries: string[];
}

function recordUps(h: Harness): AfterUp[] {
    const seen: AfterUp[] = [];
    const up = h.driver.up.bind(h.driver);
    h.driver.up = async (options) => {
        const result = await up(options);
        seen.push({
            writer: writerDocument(h.driver, "us-west-2").replicationGroupId,
            secondaries: SECONDARIES.filter((id) => h.aws.model.replicationGroup(id.slice("prod-g2-".length), id)),
        });
        return result;
    };
    return seen;
}

describe("restore-from-snapshot: the writer moves with the founder, the secondaries join after", function () {
    this.timeout(180_000);
    const fixture = useLocalCluster({ acl: { username: "app", password: PASSWORD } });
    let h: Harness;

    beforeEach(async () => {
        h = await restoreHarness(fixture);
        addSnapshots(h);
        const cluster = await seedingConnection(fixture);
        await seedRestoredData(h, cluster);
        await writeMarkers(cluster, "heartbeat", Date.parse("2025-01-15T02:58:00Z"));
    });
    afterEach(() => h.cleanup());

    const config = async () => Object.fromEntries(Object.entries(await h.driver.getConfig()).map(([k, v]) => [k, v.value]));

    it("cuts over once the founder and its datastore exist, then adds the secondaries, and reports both times apart", async () => {
        const ups = recordUps(h);
        assert.equal(await h.run(...RESTORE), 0, h.stdout.text + h.stderr.text);
        const moved = ups.findIndex((u) => u.writer === "prod-g2-us-east-1");
        assert.ok(moved >= 0, JSON.stringify(ups));
        assert.deepEqual(ups[moved].secondaries, [], "the writer moved before any secondary of generation 2 existed");
        assert.deepEqual(ups[ups.length - 1].secondaries, SECONDARIES, "then they joined");

        const report = h.lastReport();
        const order = report.steps.map((s) => s.name);
        for (const [a, b] of [["build-generation", "verify"], ["verify", "cutover-update"], ["cutover-update", "join-secondaries"], ["join-secondaries", "wait-secondaries"]]) {
            assert.ok(order.indexOf(a) >= 0 && order.indexOf(a) < order.indexOf(b), `${a} before ${b}: ${order.join(", ")}`);
        }
        // Simulated: 25 min from the snapshot plus 5 min for the datastore, then 2 x 20 min of joins.
        assert.ok(report.recoveryTime !== "not reached");
        assert.ok(report.recoveryTime.seconds >= 1800 && report.recoveryTime.seconds < 1900, `recovery time ${report.recoveryTime.seconds} s`);
        assert.ok(report.fullRedundancyTime, "the report gives the time to full redundancy");
        assert.ok(report.fullRedundancyTime.seconds >= 4200 && report.fullRedundancyTime.seconds < 4400, `full redundancy ${report.fullRedundancyTime.seconds} s`);
        assert.match(h.stdout.text, /until they have joined, generation 2 runs in us-east-1 alone/);

        const c = await config();
        assert.equal(c[KEY("generation")], "2");
        assert.equal(c[KEY("founderOnly")], "false");
        assert.equal(c[KEY("highestGeneration")], "2");
        assert.equal(h.aws.model.datastores.get("ldgnf-prod-g2")!.members.filter((m) => m.status === "associated").length, 3);
    });

    it("builds every member before the cutover with --wait-for-secondaries, as before", async () => {
        const ups = recordUps(h);
        assert.equal(await h.run(...RESTORE, "--wait-for-secondaries"), 0, h.stdout.text + h.stderr.text);
        const moved = ups.findIndex((u) => u.writer === "prod-g2-us-east-1");
        assert.deepEqual(ups[moved].secondaries, SECONDARIES, "every secondary existed when the writer moved");
        const report = h.lastReport();
        assert.ok(report.recoveryTime !== "not reached" && report.recoveryTime.seconds >= 4200, JSON.stringify(report.recoveryTime));
        assert.equal(report.fullRedundancyTime?.seconds, report.recoveryTime.seconds);
        assert.ok(!report.steps.some((s) => s.name === "join-secondaries"));
        assert.equal((await config())[KEY("founderOnly")], undefined, "never founder-only");
    });

    it("adds the secondaries on a rerun when the run stopped after the cutover, before declaring them", async () => {
        // setConfig calls: declare, cutover, then the secondaries' declaration fails.
        h.driver.injectFault("backend-unreachable", { ops: ["setConfig"], times: 1, after: 2 });
        assert.equal(await h.run(...RESTORE), 1);
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, "prod-g2-us-east-1", "the writer had moved");
        assert.equal((await config())[KEY("founderOnly")], "true");
        assert.ok(h.lastReport().recoveryTime !== "not reached");
        assert.equal(h.lastReport().fullRedundancyTime, undefined);

        assert.equal(await h.run(...RESTORE), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /finish the restore of generation 2: it is active with its founder alone, its secondaries are not declared yet/);
        assert.ok(h.lastReport().fullRedundancyTime);
        assert.ok(SECONDARIES.every((id) => h.aws.model.replicationGroup(id.slice("prod-g2-".length), id)));
        assert.ok(!h.lastReport().steps.some((s) => s.name === "build-generation" || s.name === "verify"), "nothing before the cutover is repeated");
    });

    it("runs the update on a rerun when the secondaries were declared and the update that adds them did not run", async () => {
        // ups: build, cutover, then the one that adds the secondaries fails.
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1, after: 2 });
        assert.equal(await h.run(...RESTORE), 1);
        assert.equal((await config())[KEY("founderOnly")], "false");
        assert.ok(SECONDARIES.every((id) => !h.aws.model.replicationGroup(id.slice("prod-g2-".length), id)));
        const writes = h.driver.calls.filter((c) => c.op === "setConfig").length;

        assert.equal(await h.run(...RESTORE), 0, h.stdout.text + h.stderr.text);
        assert.match(h.stdout.text, /its secondaries have not been added by an update yet/);
        assert.equal(h.driver.calls.filter((c) => c.op === "setConfig").length, writes, "no configuration is written again");
        assert.ok(SECONDARIES.every((id) => h.aws.model.replicationGroup(id.slice("prod-g2-".length), id)));
        assert.equal(await h.run(...RESTORE), 0);
        assert.match(h.stdout.text, /already restored from .* and is active with every member/);
    });
});
