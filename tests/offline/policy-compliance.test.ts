/**
 * The compliance matrix: how each control's status follows from what the pack answered, the flag, and
 * the whole matrix for both example stacks through `npm run plan -- --compliance`.
 */
import * as assert from "node:assert/strict";
import { capture } from "./plan-capture";
import { sharePolicyPackProcesses } from "../helpers/shared-pack";
import { ComplianceReport, judgeControls, parseComplianceChoice, PROFILE_NAMES } from "../../offline/policy/compliance";
import { PolicyConfigError, PolicyInfo } from "../../offline/policy/config";
import { Analysis } from "../../offline/policy/host";
import { RecordedResource } from "../../offline/run";
import { controlsOf } from "../../policies/lib/anchors";

const GROUP = "aws:elasticache/replicationGroup:ReplicationGroup";

function resource(name: string): RecordedResource {
    return {
        urn: `urn:pulumi:prod::elasticache-global::${GROUP}::${name}`, type: GROUP, name, custom: true, parent: "",
        inputs: {}, state: {}, protect: true, ignoreChanges: [], dependencies: [],
    } as unknown as RecordedResource;
}

const violation = (policyName: string, urn: string, reported: string) => ({
    policyName, urn, level: "mandatory" as const, message: `${policyName}'s description.\n${reported}`, description: "", packName: "elasticache-global", packVersion: "0.1.0",
});

describe("offline/policy/compliance", () => {
    describe("judgeControls", () => {
        const kinds = new Map<string, PolicyInfo["kind"]>([["elasticache-automatic-failover", "resource"], ["elasticache-encryption-at-rest", "resource"]]);
        const [a, b] = [resource("cache-a"), resource("cache-b")];
        const byControl = (analyses: Analysis[]) =>
            new Map(judgeControls("Security Hub", kinds, [a, b], analyses, { violations: [], notApplicable: [] }).map((c) => [c.control, c]));

        it("reports every control of the framework, each with the rule that answers it", () => {
            const controls = byControl([{ violations: [], notApplicable: [] }, { violations: [], notApplicable: [] }]);
            assert.deepEqual([...controls.keys()].sort(), controlsOf("Security Hub").map((c) => c.id).sort());
            assert.deepEqual(controls.get("ElastiCache.3")!.rules, ["elasticache-automatic-failover"]);
        });

        it("fails a control on the resources its rule failed, passes it where the rule checked and found nothing", () => {
            const controls = byControl([
                { violations: [violation("elasticache-automatic-failover", a.urn, "ElastiCache replication group must fail over automatically to a replica: \"cache-a\" ...")], notApplicable: [] },
                { violations: [], notApplicable: [] },
            ]);
            const failover = controls.get("ElastiCache.3")!;
            assert.equal(failover.status, "fail");
            assert.deepEqual(failover.findings.map((f) => [f.resourceName, f.message]), [["cache-a", "ElastiCache replication group must fail over automatically to a replica: \"cache-a\" ..."]]);
            assert.equal(controls.get("ElastiCache.4")!.status, "pass");
            assert.equal(controls.get("ElastiCache.4")!.checked, 2);
        });

        it("says 'could not verify' when the rule could only report unknowns, and a real failure wins over them", () => {
            const unknown = violation("elasticache-encryption-at-rest", a.urn, "could not verify elasticache-encryption-at-rest on ...");
            assert.equal(byControl([{ violations: [unknown], notApplicable: [] }, { violations: [], notApplicable: [] }]).get("ElastiCache.4")!.status, "could not verify");
            const failed = violation("elasticache-encryption-at-rest", b.urn, "ElastiCache replication group must encrypt data at rest: ...");
            const both = byControl([{ violations: [unknown], notApplicable: [] }, { violations: [failed], notApplicable: [] }]).get("ElastiCache.4")!;
            assert.equal(both.status, "fail");
            assert.deepEqual(both.findings.map((f) => f.resourceName), ["cache-b"]);
        });

        it("says 'not applicable' when the rule applied to no resource", () => {
            const na = { policyName: "elasticache-auth-token", reason: "runs valkey 8.0, which has RBAC" };
            const controls = byControl([{ violations: [], notApplicable: [na] }, { violations: [], notApplicable: [na] }]);
            assert.equal(controls.get("ElastiCache.6")!.status, "not applicable");
            assert.equal(controls.get("ElastiCache.6")!.checked, 0);
        });
    });

    describe("parseComplianceChoice", () => {
        it("takes one profile or all four, and names the accepted values otherwise", () => {
            assert.deepEqual(parseComplianceChoice("checkov"), ["checkov"]);
            assert.deepEqual(parseComplianceChoice("all"), PROFILE_NAMES);
            assert.throws(() => parseComplianceChoice("cis"), (e: Error) => e instanceof PolicyConfigError &&
                /--compliance "cis" is not a profile: use one of security-hub, aws-config, checkov, trivy, all/.test(e.message));
        });
    });

    describe("npm run plan -- --compliance", function () {
        // The plans below start the pack through PolicyPackProcess.start: one shared process per stack.
        sharePolicyPackProcesses();
        this.timeout(300000);

        it("refuses a config file beside the profiles, --markdown alone and an unknown profile, with exit 2", async () => {
            assert.equal((await capture(["--stack", "prod", "--compliance", "all", "--policy-pack-config", "policies/config/prod.json"])).code, 2);
            const markdown = await capture(["--stack", "prod", "--markdown"]);
            assert.equal(markdown.code, 2);
            assert.match(markdown.err, /--markdown formats the compliance matrix: give --compliance/);
            assert.equal((await capture(["--stack", "prod", "--compliance", "nist"])).code, 2);
        });

        it("prints the matrix of every profile for prod, as JSON: the 14-day retention fails AWS Config's 15-day default, all else passes or does not apply", async () => {
            const { code, out, err } = await capture(["--stack", "prod", "--compliance", "all", "--json"]);
            assert.equal(code, 0, err);
            const report = JSON.parse(out) as ComplianceReport;
            assert.deepEqual(report.frameworks.map((f) => f.profile), PROFILE_NAMES);
            const statuses = Object.fromEntries(report.frameworks.flatMap((f) => f.controls.map((c) => [`${f.framework} ${c.control}`, c.status])));
            assert.equal(statuses["AWS Config elasticache-redis-cluster-automatic-backup-check"], "fail");
            assert.equal(statuses["Security Hub ElastiCache.6"], "not applicable", "prod runs Valkey, outside ElastiCache.6");
            const others = Object.entries(statuses).filter(([control]) => !["AWS Config elasticache-redis-cluster-automatic-backup-check", "Security Hub ElastiCache.6",
                "AWS Config elasticache-repl-grp-redis-auth-enabled"].includes(control));
            assert.deepEqual(others.filter(([, status]) => status !== "pass"), []);
            const retention = report.frameworks.find((f) => f.profile === "aws-config")!.controls.find((c) => c.control === "elasticache-redis-cluster-automatic-backup-check")!;
            assert.deepEqual(retention.findings.map((f) => f.resourceName).sort(), ["cache-eu-west-1", "cache-us-east-1", "cache-us-west-2"]);
            assert.match(retention.findings[0].message, /must keep automatic snapshots for at least 15 days: .* sets snapshotRetentionLimit 14/);
        });

        it("prints staging's matrix as Markdown, the table the preview workflow posts", async () => {
            const { code, out, err } = await capture(["--stack", "staging", "--compliance", "trivy", "--markdown"]);
            assert.equal(code, 0, err);
            assert.match(out, /^### Compliance matrix: stack `staging`/);
            assert.match(out, /\n#### trivy\n/);
            assert.match(out, /\| control \| status \| rule \| resources \|\n\|---\|---\|---\|---\|\n/);
            assert.match(out, /\| AVD-AWS-0049 \| pass \| `elasticache-security-group-description` \| \d+ checked \|/);
        });
    });
});
