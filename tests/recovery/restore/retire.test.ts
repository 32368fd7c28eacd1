import * as assert from "node:assert/strict";
import { checkPlannedSteps } from "../../../recovery/lib/guard";
import { Harness, harness, writerDocument } from "../commands/harness";

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const KEY = (k: string) => `elasticache-global:${k}`;
/** After a restore: generation 2 active, generation 1 kept for investigation. */
const AFTER_RESTORE = {
    [KEY("generation")]: "2",
    [KEY("seedSnapshot")]: "automatic.prod-us-east-1-2025-01-15-03-00",
    [KEY("inactiveGenerations")]: JSON.stringify({ 1: { foundingRegion: "us-east-1" } }),
};

describe("retire-generation: remove an inactive generation after a final snapshot", function () {
    this.timeout(60_000);
    let h: Harness;
    beforeEach(async () => {
        h = await harness({ overrides: AFTER_RESTORE });
    });
    afterEach(() => h.cleanup());

    const groups = () => h.driver.deployedResources.filter((r) => r.type === RG).map((r) => String(r.inputs.replicationGroupId)).sort();

    it("snapshots generation 1's founder, then deletes exactly generation 1's ElastiCache resources", async () => {
        const foundations = h.driver.deployedResources.filter((r) => ["aws:kms/key:Key", "aws:ec2/vpc:Vpc", "aws:ssm/parameter:Parameter"].includes(r.type)).map((r) => r.urn);
        assert.ok(foundations.length >= 9);
        const code = await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes");
        assert.equal(code, 0, h.stdout.text + h.stderr.text);
        const final = h.aws.snapshotsIn("us-east-1").filter((s) => s.replicationGroupId === "prod-us-east-1" && s.source === "manual");
        assert.equal(final.length, 1);
        assert.equal(final[0].status, "available");
        assert.deepEqual(groups(), ["prod-g2-eu-west-1", "prod-g2-us-east-1", "prod-g2-us-west-2"]);
        const generationTypes = [RG, "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup"];
        const left = h.driver.deployedResources.filter((r) => generationTypes.includes(r.type));
        assert.ok(left.length > 0 && left.every((r) => r.name.startsWith("cache-g2-")), `only generation 2 is left: ${left.map((r) => r.name).join(", ")}`);
        // Users and user groups are shared by every generation: retiring one leaves them to the other.
        const users = h.driver.deployedResources.filter((r) => r.type === "aws:elasticache/userGroup:UserGroup").map((r) => r.name).sort();
        assert.deepEqual(users, ["cache-eu-west-1-users", "cache-us-east-1-users", "cache-us-west-2-users"]);
        assert.ok(h.driver.deployedResources.some((r) => r.type === "aws:elasticache/subnetGroup:SubnetGroup" && r.name.startsWith("cache-us-east-1")), "the region's subnet group stays");
        const kept = h.driver.deployedResources.map((r) => r.urn);
        assert.deepEqual(foundations.filter((urn) => !kept.includes(urn)), [], "keys, networks and the endpoint parameters stay");
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, "prod-g2-us-east-1");
        const config = await h.driver.getConfig();
        assert.equal(config[KEY("inactiveGenerations")].value, "{}");
        assert.match(h.stdout.text, new RegExp(`${final[0].name} is available`));
    });

    it("refuses the active generation and changes nothing", async () => {
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "2", "--yes"), 1);
        assert.match(h.stderr.text, /generation 2 is the active generation of stack prod/);
        assert.deepEqual(h.changes(), []);
    });

    it("refuses a generation that does not exist, naming the ones that do", async () => {
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "3", "--yes"), 1);
        assert.match(h.stderr.text, /declares no generation 3\. Accepted: one of the inactive generations 1/);
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "x1", "--yes"), 2);
        assert.match(h.stderr.text, /--generation "x1" is not valid/);
        assert.deepEqual(h.changes(), []);
    });

    it("dry run shows the plan and changes nothing", async () => {
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /take a final manual snapshot of prod-us-east-1/);
        assert.deepEqual(h.changes(), []);
    });

    it("a dry run after an interrupted removal changes nothing; the real rerun finishes it", async () => {
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1, after: 1 });
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1);
        const ups = h.driver.calls.filter((c) => c.op === "up").length;
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /finish removing generation 1/);
        assert.equal(h.driver.calls.filter((c) => c.op === "up").length, ups, "no update in a dry run");
        assert.ok(groups().includes("prod-us-east-1"));
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 0, h.stderr.text);
        assert.ok(!groups().includes("prod-us-east-1"));
    });

    it("unprotects again on a rerun when the update after the retiring mark failed", async () => {
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1 });
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1);
        assert.match((await h.driver.getConfig())[KEY("inactiveGenerations")].value, /"retiring":true/);
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.ok(!groups().includes("prod-us-east-1"));
    });

    it("refuses, before changing anything, a generation whose primary a failover moved away from its founder", async () => {
        h.aws.promoteByHand("us-west-2");
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1);
        assert.match(h.stderr.text, /has its primary in us-west-2, not in its founding region us-east-1: a failover moved it\. .*Nothing was changed/s);
        assert.deepEqual(h.changes(), []);
    });

    it("resumes after an interruption between unprotecting and deleting", async () => {
        h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1, after: 1 });
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 1);
        assert.ok(groups().includes("prod-us-east-1"), "generation 1 is still there");
        assert.equal(await h.run("retire-generation", "--stack", "prod", "--generation", "1", "--yes"), 0, h.stdout.text + h.stderr.text);
        assert.ok(!groups().includes("prod-us-east-1"));
    });
});

describe("the guard's allowance for deletions a command means to make", () => {
    const urn = (name: string) => `urn:pulumi:prod::elasticache-global::x$${RG}::${name}`;
    const allow = (u: string) => u.endsWith("::cache-us-east-1");

    it("lets only plain deletes of allowed resources through; a replacement of the same resource is still refused", () => {
        assert.equal(checkPlannedSteps([{ op: "delete", urn: urn("cache-us-east-1"), type: RG, diffs: [], replaceKeys: [] }], undefined, allow).allowed, true);
        assert.equal(checkPlannedSteps([{ op: "replace", urn: urn("cache-us-east-1"), type: RG, diffs: [], replaceKeys: ["port"] }], undefined, allow).allowed, false);
        const verdict = checkPlannedSteps([{ op: "delete", urn: urn("cache-g2-us-east-1"), type: RG, diffs: [], replaceKeys: [] }], undefined, allow);
        assert.equal(verdict.allowed, false);
    });
});
