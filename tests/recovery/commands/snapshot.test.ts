/** `snapshot` against the fake control plane and the fake stack: the snapshot of the current primary, and everything that stops it before a change. */
import * as assert from "node:assert/strict";
import { CreateSnapshotCommand } from "@aws-sdk/client-elasticache";
import { BackendUnreachableError } from "../../../recovery/lib/stack-driver";
import { elastiCacheIn } from "../fake/clients";
import { Harness, harness } from "./harness";

const SNAPSHOT = ["snapshot", "--stack", "prod"];
const REASON = ["--reason", "deploy 1a2b3c: engine version change"];
/** The harness's virtual clock starts at 2025-01-15T10:00:00Z, and nothing before CreateSnapshot takes virtual time. */
const FIRST_NAME = "prod-us-east-1-manual-20250115-100000";

describe("snapshot", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("snapshots the current primary, waits until it is available, reports its name and keeps the reason as a tag", async () => {
        h = await harness();
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--requested-by", "deploy workflow run 77", "--yes"), 0, h.stderr.text);
        const stored = h.aws.snapshot("us-east-1", FIRST_NAME);
        assert.deepEqual([stored.replicationGroupId, stored.status, stored.tags],
            ["prod-us-east-1", "available", { reason: "deploy 1a2b3c: engine version change", "requested-by": "deploy workflow run 77" }]);
        const recoveryPoint = new Date(Math.max(...stored.nodeSnapshots!.map((n) => n.takenAt))).toISOString().replace(".000Z", "Z");
        assert.match(h.stdout.text, new RegExp(`snapshot: SUCCEEDED: snapshot ${FIRST_NAME} of prod-us-east-1 \\(us-east-1\\) is available; it holds the writes up to ${recoveryPoint}`));
        assert.doesNotMatch(h.stdout.text, /recovery time:/, "a snapshot restores nothing");
        assert.deepEqual(h.changes(), ["us-east-1 CreateSnapshot"], "one call, no stack change");
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        assert.equal(report.inputs.reason, "deploy 1a2b3c: engine version change");
        assert.ok(report.steps.some((s) => s.name === "snapshot-available" && s.waits.some((w) => w.state === "creating")));
    });

    it("with --json prints JSON lines only, the snapshot's name in an event's detail and in the summary", async () => {
        h = await harness();
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--yes", "--json"), 0, h.stderr.text);
        const lines = h.stdout.text.trim().split("\n").map((l) => JSON.parse(l));
        assert.ok(lines.some((e) => e.type === "found" && e.detail?.snapshotName === FIRST_NAME && e.detail?.region === "us-east-1"));
        const summary = lines[lines.length - 1];
        assert.deepEqual([summary.type, summary.outcome], ["summary", "succeeded"]);
        assert.match(summary.summary, new RegExp(`^snapshot ${FIRST_NAME} `));
    });

    it("follows the primary: after a failover it snapshots the new primary in its region", async () => {
        h = await harness();
        h.aws.promoteByHand("us-west-2");
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--yes"), 0, h.stderr.text);
        assert.deepEqual(h.changes(), ["us-west-2 CreateSnapshot"]);
        assert.equal(h.aws.snapshot("us-west-2", "prod-us-west-2-manual-20250115-100000").status, "available");
    });

    it("--region snapshots that member, warning that a secondary trails the primary; a region outside the stack is refused", async () => {
        h = await harness();
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--region", "eu-west-1", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /WARNING: prod-eu-west-1 in eu-west-1 is a SECONDARY member: its data trails the primary's by the replication lag/);
        assert.deepEqual(h.changes(), ["eu-west-1 CreateSnapshot"]);
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--region", "ap-south-1", "--yes"), 1);
        assert.match(h.stderr.text, /--region "ap-south-1" is not a region of stack prod\. Accepted: one of us-east-1, us-west-2, eu-west-1\. Nothing was changed\./);
        assert.deepEqual(h.changes(), ["eu-west-1 CreateSnapshot"]);
    });

    it("dry run reads, prints the plan and the command to run, and changes nothing", async () => {
        h = await harness();
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /plan: CreateSnapshot of prod-us-east-1 in us-east-1, named prod-us-east-1-manual-<UTC time of the call> \(now: prod-us-east-1-manual-20250115-100000\), tags \{"reason":"deploy 1a2b3c: engine version change"\}/);
        assert.match(h.stdout.text, /dry run: nothing was changed/);
        assert.equal(h.lastReport().nextSteps.at(-1), "Review the plan above, then run: npm run recovery -- snapshot --stack prod --reason 'deploy 1a2b3c: engine version change' --yes");
        assert.deepEqual(h.changes(), []);
        assert.ok(h.aws.log.calls({ command: "DescribeGlobalReplicationGroups" }).length > 0, "it did read the control plane");
        assert.deepEqual(h.aws.snapshotsIn("us-east-1"), []);
    });

    it("refuses a missing, empty, too long or untaggable --reason before reading anything", async () => {
        h = await harness();
        const cases: [string[], RegExp][] = [
            [[], /--reason is required\. Accepted: why the snapshot is taken, 1 to 256 characters of letters, digits, spaces and _ \. : \/ = \+ - @/],
            [["--reason", " "], /--reason " " is not valid\. Accepted: why the snapshot is taken/],
            [["--reason", "x".repeat(300)], /--reason "x{80}\.\.\." is not valid: it is 300 characters long\. Accepted: 1 to 256 characters/],
            [["--reason", "upgrade; see ticket #42"], /--reason "upgrade; see ticket #42" is not valid: it contains ";", "#", which ElastiCache tags do not accept/],
        ];
        for (const [flags, message] of cases) {
            assert.equal(await h.run(...SNAPSHOT, ...flags, "--yes"), 2, flags.join(" "));
            assert.match(h.stderr.text, message);
            assert.match(h.stderr.text, /Run npm run recovery -- snapshot --help for the accepted flags\./);
        }
        assert.deepEqual(h.aws.log.calls(), [], "nothing was read");
        assert.deepEqual(h.driver.calls, [], "the stack was not opened");
    });

    it("waits for a backup already running on the primary, then takes its own", async () => {
        h = await harness();
        await elastiCacheIn("us-east-1").send(new CreateSnapshotCommand({ ReplicationGroupId: "prod-us-east-1", SnapshotName: "someone-elses" }));
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /plan: .*wait until it is available \(up to 1h 00m 00s in all, first for the backup already running on prod-us-east-1\)/);
        assert.match(h.stdout.text, /WARNING: prod-us-east-1 is already taking a backup \(automated, or someone else's\); waiting for it to finish/);
        assert.match(h.stdout.text, /waiting for the backup running on prod-us-east-1 to finish: snapshotting/);
        const ours = h.aws.log.calls({ command: "CreateSnapshot" })[1];
        assert.equal(ours.outcome, "ok");
        assert.deepEqual(h.aws.snapshotsIn("us-east-1").map((s) => [s.name, s.status]),
            [["someone-elses", "available"], [String(ours.input.SnapshotName), "available"]]);
    });

    it("refuses, with nothing changed, when that backup outlasts --wait-timeout", async () => {
        h = await harness();
        h.aws.faults.neverFinish("CreateSnapshot");
        await elastiCacheIn("us-east-1").send(new CreateSnapshotCommand({ ReplicationGroupId: "prod-us-east-1", SnapshotName: "endless" }));
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--wait-timeout", "5m", "--yes"), 1);
        assert.match(h.stderr.text, /prod-us-east-1 in us-east-1 was still taking another backup when --wait-timeout ran out .*Nothing was changed/);
        assert.deepEqual(h.lastReport().nextSteps, ["Nothing was changed. Fix what the message above says, then run the command again."]);
        assert.equal(h.aws.log.calls({ command: "CreateSnapshot" }).length, 1, "only the backup that was already running");
    });

    it("refuses when the stack's datastore is not found, or the stack does not exist, changing nothing", async () => {
        h = await harness();
        h.aws.model.datastores.clear();
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--yes"), 1);
        assert.match(h.stderr.text, /the datastore of stack prod was not found, so there is nothing to snapshot: no Global Datastore found: looked for .*Nothing was changed\./);
        assert.equal(await h.run("snapshot", "--stack", "nope", ...REASON, "--yes"), 1);
        assert.match(h.stderr.text, /nope/);
        assert.deepEqual(h.changes(), []);
    });

    it("asks for confirmation without --yes: none at a script, the group's id typed at a terminal", async () => {
        h = await harness();
        assert.equal(await h.run(...SNAPSHOT, ...REASON), 1);
        assert.match(h.stderr.text, /refusing to change anything without confirmation: stdin is not a terminal and --yes was not given/);
        assert.deepEqual(h.changes(), []);
        let question = "";
        h.confirmIo = { isTTY: true, ask: async (q) => { question = q; return "prod-us-east-1"; } };
        assert.equal(await h.run(...SNAPSHOT, ...REASON), 0, h.stderr.text);
        assert.match(question, /Type the replication group to snapshot \(prod-us-east-1\) to proceed/);
        assert.deepEqual(h.changes(), ["us-east-1 CreateSnapshot"]);
    });

    it("works from the stack file when the state backend does not answer: a snapshot leaves nothing to reconcile", async () => {
        h = await harness();
        h.openStackFails = new BackendUnreachableError("prod", "select", "connection refused");
        assert.equal(await h.run(...SNAPSHOT, ...REASON, "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /A snapshot does not change the stack, so nothing is left to reconcile/);
        assert.equal(h.aws.snapshot("us-east-1", FIRST_NAME).status, "available");
    });
});
