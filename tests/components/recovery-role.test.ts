import * as assert from "node:assert/strict";
import { ProgramRun } from "../../offline/run";
import { RECOVERY_PERMISSIONS } from "../../recovery/lib/permissions";
import { memberIn, ofType, only, runWith } from "../helpers/program";

const ROLE = "aws:iam/role:Role";
const ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy";

function policyOf(run: ProgramRun): { Statement: Array<{ Action: string[]; Resource: string | string[] }> } {
    return JSON.parse(String(only(ofType(run, ROLE_POLICY), "recovery role policy").inputs.policy));
}

function trustOf(run: ProgramRun): { Statement: Array<{ Effect: string; Principal: { AWS: string[] }; Action: string }> } {
    return JSON.parse(String(only(ofType(run, ROLE), "recovery role").inputs.assumeRolePolicy));
}

describe("RecoveryRole: the IAM role the recovery programs assume", () => {
    let prod: ProgramRun;
    before(async () => {
        prod = await runWith();
    });

    it("is declared once for the whole datastore, without a region, named after the prefix, with 1 h sessions", () => {
        const role = only(ofType(prod, ROLE), "recovery role");
        assert.equal(role.inputs.region, undefined, "IAM is global");
        assert.equal(role.inputs.name, "test-elasticache-recovery");
        assert.equal(role.inputs.maxSessionDuration, 3600);
        assert.equal((role.inputs.tags as Record<string, string>)["elasticache-global:stack"], "test");
        const policy = only(ofType(prod, ROLE_POLICY), "recovery role policy");
        assert.equal(policy.inputs.role, "test-elasticache-recovery");
        assert.equal(policy.parent, role.urn);
        assert.ok("recoveryRoleArn" in prod.outputs, "index.ts exports recoveryRoleArn");
    });

    it("carries exactly the actions recovery/lib/permissions.ts grants to the role and the code calls now", () => {
        const actions = policyOf(prod).Statement.flatMap((s) => s.Action).sort();
        assert.deepEqual(actions, RECOVERY_PERMISSIONS.filter((p) => !p.plannedFor && p.grantedTo === "recovery-role").map((p) => p.action).sort());
        assert.ok(!actions.some((a) => /:(Delete|CreateSnapshot)/.test(a)), `rejoin's deletes run with the deployment's credentials: ${actions.join(", ")}`);
    });

    it("scopes changes to this stack's datastore, replication groups and writer parameter", () => {
        const members = ["us-east-1", "us-west-2", "eu-west-1"].map((region) => String(memberIn(prod, region).state.arn)).sort();
        const datastoreArn = `arn:aws:elasticache::123456789012:globalreplicationgroup:${prod.outputs.globalDatastoreId}`;
        const scoped = policyOf(prod).Statement.filter((s) => s.Resource !== "*");
        const failover = scoped.find((s) => s.Action.includes("elasticache:FailoverGlobalReplicationGroup"))!;
        assert.deepEqual(failover.Resource, [datastoreArn, ...members]);
        // failover-shard calls TestFailover without pulumi up, so the role may run it, on this stack's groups only.
        assert.deepEqual(scoped.find((s) => s.Action.includes("elasticache:TestFailover"))!.Resource, members);
        assert.deepEqual(scoped.find((s) => s.Action.includes("elasticache:DisassociateGlobalReplicationGroup"))!.Resource, [datastoreArn, ...members]);
        const writer = scoped.find((s) => s.Action.includes("ssm:PutParameter"))!;
        assert.deepEqual(writer.Action, ["ssm:GetParameter", "ssm:PutParameter"]);
        assert.deepEqual(writer.Resource, members.map((arn) => `arn:aws:ssm:${arn.split(":")[3]}:123456789012:parameter/elasticache-global/test/writer`));
        const unscoped = policyOf(prod).Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action);
        assert.ok(unscoped.every((a) => /:(Describe|Get)/.test(a)), `only reads may apply to "*": ${unscoped.join(", ")}`);
    });

    it("trusts the account root by default, and exactly the configured principals otherwise", async () => {
        assert.deepEqual(trustOf(prod).Statement, [{ Effect: "Allow", Principal: { AWS: ["arn:aws:iam::123456789012:root"] }, Action: "sts:AssumeRole" }]);
        const principals = ["arn:aws:iam::123456789012:role/oncall", "arn:aws:iam::210987654321:role/platform/break-glass"];
        const configured = await runWith({ recoveryRolePrincipals: principals });
        assert.deepEqual(trustOf(configured).Statement, [{ Effect: "Allow", Principal: { AWS: principals }, Action: "sts:AssumeRole" }]);
    });

    it("keeps the same role and policy after a promotion", async () => {
        const promoted = await runWith({ primaryRegion: "us-west-2", foundingRegion: "us-east-1", secondaryRegions: ["us-east-1", "eu-west-1"] });
        for (const type of [ROLE, ROLE_POLICY]) {
            const before = only(ofType(prod, type), type);
            const after = only(ofType(promoted, type), type);
            assert.equal(after.urn, before.urn);
            assert.deepEqual(after.inputs, before.inputs);
        }
    });

    it("rejects bad principals with the key, the value and what is accepted", async () => {
        await assert.rejects(runWith({ recoveryRolePrincipals: ["oncall", "arn:aws:iam::123456789012:root", "arn:aws:iam::123456789012:root"] }), (e: Error) => {
            assert.match(e.message, /elasticache-global:recoveryRolePrincipals\[0\] is "oncall"\. Accepted: IAM principal ARNs such as arn:aws:iam::123456789012:root/);
            assert.match(e.message, /elasticache-global:recoveryRolePrincipals\[2\] is "arn:aws:iam::123456789012:root": it is listed twice\. Accepted: distinct principals/);
            return true;
        });
        await assert.rejects(runWith({ recoveryRolePrincipals: [] }),
            /elasticache-global:recoveryRolePrincipals is \[\]: nobody could assume the recovery role\. Accepted: at least one of IAM principal ARNs/);
    });
});
