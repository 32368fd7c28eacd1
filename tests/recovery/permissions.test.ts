import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RECOVERY_PERMISSIONS, RecoveryPermission, recoveryPolicyDocument } from "../../recovery/lib/permissions";

const RECOVERY_DIR = path.join(__dirname, "../../recovery");
const SDK_SERVICES: Record<string, string> = {
    "@aws-sdk/client-elasticache": "elasticache",
    "@aws-sdk/client-cloudwatch": "cloudwatch",
    "@aws-sdk/client-ssm": "ssm",
};

function tsFiles(dir: string): string[] {
    return fs.readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
        const full = path.join(dir, entry.name);
        return entry.isDirectory() ? tsFiles(full) : entry.name.endsWith(".ts") ? [full] : [];
    });
}

/**
 * IAM actions the code calls: every `new XCommand(` (or `new ns.XCommand(`) whose name the file
 * imports from an SDK client. The import decides the service, since both clients export commands
 * with the same name (ListTagsForResource, TagResource, ...).
 */
function actionsCalledIn(source: string, file = "source"): Map<string, string[]> {
    const named = new Map<string, string>(); // local name -> "service:Operation"
    const namespaces = new Map<string, string>(); // namespace alias -> service
    for (const m of source.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*["'](@aws-sdk\/client-[a-z]+)["']/g)) {
        const service = SDK_SERVICES[m[2]];
        for (const spec of m[1].split(",").map((s) => s.trim()).filter(Boolean)) {
            const [imported, local = imported] = spec.split(/\s+as\s+/);
            const command = /^(\w+)Command$/.exec(imported);
            if (service && command) {
                named.set(local, `${service}:${command[1]}`);
            }
        }
    }
    for (const m of source.matchAll(/import\s+\*\s+as\s+(\w+)\s+from\s*["'](@aws-sdk\/client-[a-z]+)["']/g)) {
        if (SDK_SERVICES[m[2]]) {
            namespaces.set(m[1], SDK_SERVICES[m[2]]);
        }
    }
    const found = new Map<string, string[]>();
    const add = (action: string) => found.set(action, [...(found.get(action) ?? []), file]);
    for (const m of source.matchAll(/new\s+(?:(\w+)\.)?(\w+)\s*\(/g)) {
        const [, alias, name] = m;
        if (alias && namespaces.has(alias) && name.endsWith("Command")) {
            add(`${namespaces.get(alias)}:${name.replace(/Command$/, "")}`);
        } else if (!alias && named.has(name)) {
            add(named.get(name)!);
        }
    }
    return found;
}

function actionsCalledInRecovery(): Map<string, string[]> {
    const all = new Map<string, string[]>();
    for (const file of tsFiles(RECOVERY_DIR)) {
        for (const [action, files] of actionsCalledIn(fs.readFileSync(file, "utf8"), path.relative(RECOVERY_DIR, file))) {
            all.set(action, [...(all.get(action) ?? []), ...files]);
        }
    }
    return all;
}

const SCOPE = {
    replicationGroupArns: [
        "arn:aws:elasticache:us-west-2:123456789012:replicationgroup:prod-us-west-2",
        "arn:aws:elasticache:us-east-1:123456789012:replicationgroup:prod-us-east-1",
    ],
    globalDatastoreArn: "arn:aws:elasticache::123456789012:globalreplicationgroup:ldgnf-prod",
    writerParameterName: "/elasticache-global/prod/writer",
};

describe("recovery permissions: one list, in step with the code", () => {
    const called = actionsCalledInRecovery();
    const listed = new Map<string, RecoveryPermission>(RECOVERY_PERMISSIONS.map((p) => [p.action, p]));

    it("lists every AWS action the recovery code calls", () => {
        const missing = [...called.keys()].filter((action) => !listed.has(action));
        assert.deepEqual(missing, [], `called but not in recovery/lib/permissions.ts: ${missing.map((a) => `${a} (${called.get(a)!.join(", ")})`).join("; ")}`);
    });

    it("calls every listed action, unless the entry says which command will (plannedFor) or which called action needs it (impliedBy)", () => {
        const unused = RECOVERY_PERMISSIONS.filter((p) => !called.has(p.action) && !p.plannedFor && !p.impliedBy).map((p) => p.action);
        assert.deepEqual(unused, [], "listed, never called and not planned: remove them, or say which command will call them");
        const orphans = RECOVERY_PERMISSIONS.filter((p) => p.impliedBy && !called.has(p.impliedBy)).map((p) => `${p.action} (implied by ${p.impliedBy})`);
        assert.deepEqual(orphans, [], "implied by an action the code no longer calls");
    });

    it("allows what rejoin's final snapshots need: CreateSnapshot with DeleteReplicationGroup, DescribeSnapshots called", () => {
        assert.equal(listed.get("elasticache:CreateSnapshot")?.impliedBy, "elasticache:DeleteReplicationGroup");
        assert.ok(called.has("elasticache:DescribeSnapshots") && !listed.get("elasticache:DescribeSnapshots")!.plannedFor);
    });

    // rejoin runs pulumi up, and snapshot is a routine step of deployments, so both run with the deployment's credentials;
    // everything else may run under the recovery role.
    const runsWithDeploymentCredentials = (file: string) =>
        /^(lib\/rejoin(\.ts|\/)|commands\/rejoin\.ts$|lib\/snapshots\/take\.ts$|commands\/snapshot\.ts$)/.test(file.split(path.sep).join("/"));

    it("grants the recovery role every action code outside rejoin and snapshot calls", () => {
        const notGranted = [...called].filter(([action, files]) => files.some((f) => !runsWithDeploymentCredentials(f)) &&
            listed.get(action)?.grantedTo !== "recovery-role").map(([action, files]) => `${action} (${files.join(", ")})`);
        assert.deepEqual(notGranted, [], "called by code that may run under the recovery role, but not granted to it");
    });

    it("keeps for the deployment's credentials what only rejoin and snapshot call: the deletes, the snapshots and their tags", () => {
        const deploymentOnly = RECOVERY_PERMISSIONS.filter((p) => p.grantedTo === "deployment");
        assert.deepEqual(deploymentOnly.map((p) => p.action).sort(),
            ["elasticache:AddTagsToResource", "elasticache:CreateSnapshot", "elasticache:DeleteGlobalReplicationGroup", "elasticache:DeleteReplicationGroup"]);
        for (const p of deploymentOnly) {
            const callers = [...(called.get(p.action) ?? []), ...(p.impliedBy ? called.get(p.impliedBy) ?? [] : [])];
            assert.ok(callers.length > 0 && callers.every(runsWithDeploymentCredentials), `${p.action} is called by ${callers.join(", ") || "nothing"}`);
        }
    });

    it("marks nothing as planned that the code already calls", () => {
        const stale = RECOVERY_PERMISSIONS.filter((p) => p.plannedFor && called.has(p.action)).map((p) => `${p.action} (${called.get(p.action)!.join(", ")})`);
        assert.deepEqual(stale, [], "called now: remove plannedFor from these entries");
    });

    it("gives every action one entry, a reason and the service:Operation form", () => {
        assert.equal(listed.size, RECOVERY_PERMISSIONS.length, "an action is listed twice");
        for (const p of RECOVERY_PERMISSIONS) {
            assert.match(p.action, /^(elasticache|cloudwatch|ssm):[A-Z][A-Za-z]+$/);
            assert.ok(p.reason.length > 20, `${p.action} needs a reason`);
        }
    });

    it("finds commands by their SDK import, named or namespaced, and ignores look-alikes", () => {
        const source = [
            'import { DescribeEventsCommand, ListTagsForResourceCommand as CwTags } from "@aws-sdk/client-cloudwatch";',
            'import * as ec from "@aws-sdk/client-elasticache";',
            'import { StartCommand } from "./local";',
            "new CwTags({}); new ec.TestFailoverCommand({}); new StartCommand(); new DescribeEventsCommand({});",
        ].join("\n");
        assert.deepEqual([...actionsCalledIn(source).keys()].sort(), ["cloudwatch:DescribeEvents", "cloudwatch:ListTagsForResource", "elasticache:TestFailover"]);
    });
});

describe("recoveryPolicyDocument: least privilege", () => {
    const doc = recoveryPolicyDocument(SCOPE);
    const statementWith = (action: string) => doc.Statement.find((s) => s.Action.includes(action))!;

    it("allows exactly the listed actions granted to the role and called now, each once: nothing planned, nothing only the deployment's credentials need", () => {
        const actions = doc.Statement.flatMap((s) => s.Action);
        assert.deepEqual([...actions].sort(), RECOVERY_PERMISSIONS.filter((p) => !p.plannedFor && p.grantedTo === "recovery-role").map((p) => p.action).sort());
        for (const planned of RECOVERY_PERMISSIONS.filter((p) => p.plannedFor)) {
            assert.ok(!actions.includes(planned.action), `${planned.action} is planned for ${planned.plannedFor}, not granted yet`);
        }
        for (const excess of ["elasticache:DeleteReplicationGroup", "elasticache:DeleteGlobalReplicationGroup", "elasticache:CreateSnapshot"]) {
            assert.ok(!actions.includes(excess), `${excess} is for rejoin, which runs with the deployment's credentials`);
        }
        assert.ok(doc.Statement.every((s) => s.Effect === "Allow"));
    });

    it("reads anywhere: ElastiCache Describe* and GetMetricData cannot be scoped", () => {
        for (const p of RECOVERY_PERMISSIONS.filter((x) => /^(elasticache|cloudwatch):(Describe|Get)/.test(x.action))) {
            assert.equal(statementWith(p.action).Resource, "*", p.action);
        }
    });

    it("scopes promotion and detach to this datastore and its members, and shard failover (once granted) to the members", () => {
        const members = [...SCOPE.replicationGroupArns].sort();
        assert.deepEqual(statementWith("elasticache:FailoverGlobalReplicationGroup").Resource, [SCOPE.globalDatastoreArn, ...members]);
        assert.deepEqual(statementWith("elasticache:DisassociateGlobalReplicationGroup").Resource, [SCOPE.globalDatastoreArn, ...members]);
        // Everything granted, to check the scope each entry would get.
        const granted = recoveryPolicyDocument(SCOPE, RECOVERY_PERMISSIONS.map((p) => ({ ...p, plannedFor: undefined, grantedTo: "recovery-role" as const })));
        const grantedWith = (action: string) => granted.Statement.find((s) => s.Action.includes(action))!;
        assert.deepEqual(grantedWith("elasticache:TestFailover").Resource, members);
        assert.deepEqual(grantedWith("elasticache:DeleteGlobalReplicationGroup").Resource, [SCOPE.globalDatastoreArn, ...members]);
        const retire = [...members,
            "arn:aws:elasticache:us-east-1:123456789012:snapshot:prod-us-east-1-final*",
            "arn:aws:elasticache:us-west-2:123456789012:snapshot:prod-us-west-2-final*"];
        assert.deepEqual(grantedWith("elasticache:DeleteReplicationGroup").Resource, retire);
        const snapshots = [...members,
            "arn:aws:elasticache:us-east-1:123456789012:snapshot:prod-us-east-1-*",
            "arn:aws:elasticache:us-west-2:123456789012:snapshot:prod-us-west-2-*"];
        assert.deepEqual(grantedWith("elasticache:CreateSnapshot").Resource, snapshots, "manual (<id>-manual-...) and final (<id>-final-...) snapshots");
        assert.deepEqual(grantedWith("elasticache:AddTagsToResource").Resource, snapshots, "the tags of those snapshots");
        const mutating = doc.Statement.filter((s) => s.Resource !== "*").flatMap((s) => s.Action).filter((a) => a !== "ssm:GetParameter");
        assert.ok(mutating.every((a) => !/:(Describe|Get)/.test(a)));
        assert.ok(doc.Statement.filter((s) => s.Resource === "*").flatMap((s) => s.Action).every((a) => /:(Describe|Get)/.test(a)),
            "nothing that changes state is allowed on every resource");
    });

    it("scopes the writer parameter's read and write to that parameter, in each member's region and account", () => {
        const parameters = ["arn:aws:ssm:us-east-1:123456789012:parameter/elasticache-global/prod/writer",
            "arn:aws:ssm:us-west-2:123456789012:parameter/elasticache-global/prod/writer"];
        assert.deepEqual(statementWith("ssm:PutParameter").Resource, parameters);
        assert.deepEqual(statementWith("ssm:GetParameter").Resource, parameters);
        assert.deepEqual(statementWith("ssm:PutParameter").Action, ["ssm:GetParameter", "ssm:PutParameter"]);
    });

    it("does not depend on the order of the members, so a promotion leaves the policy unchanged", () => {
        const swapped = recoveryPolicyDocument({ ...SCOPE, replicationGroupArns: [...SCOPE.replicationGroupArns].reverse() });
        assert.deepEqual(swapped, doc);
    });

    it("rejects missing or malformed ARNs with the field, the value and the accepted form", () => {
        assert.throws(() => recoveryPolicyDocument({ ...SCOPE, replicationGroupArns: [] }), /replicationGroupArns is empty/);
        assert.throws(() => recoveryPolicyDocument({ ...SCOPE, replicationGroupArns: ["prod-us-east-1"] }),
            /replicationGroupArns\[0\] is "prod-us-east-1"\. Accepted: arn:<partition>:elasticache:<region>:<account>:replicationgroup:<id>/);
        assert.throws(() => recoveryPolicyDocument({ ...SCOPE, globalDatastoreArn: "arn:aws:elasticache:us-east-1:123456789012:globalreplicationgroup:x" }),
            /globalDatastoreArn is .*\. Accepted: arn:<partition>:elasticache::<account>:globalreplicationgroup:<id>/);
        assert.throws(() => recoveryPolicyDocument({ ...SCOPE, writerParameterName: "elasticache-global/prod/writer" }),
            /writerParameterName is "elasticache-global\/prod\/writer"\. Accepted: an absolute SSM parameter name such as \/elasticache-global\/<stack>\/writer/);
    });
});
