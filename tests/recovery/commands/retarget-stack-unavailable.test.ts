/**
 * retarget-primary when the stack cannot be used (state backend down, Pulumi CLI missing): the
 * promotion still runs from the configuration in Pulumi.<stack>.yaml, the reconcile is left for a
 * --reconcile-only run. Also which ids the topology is looked up by: the stack outputs when they answer.
 */
import * as assert from "node:assert/strict";
import { BackendUnreachableError, PulumiCliMissingError } from "../../../recovery/lib/stack-driver";
import { Harness, harness, ssmWriter, key, writerDocument } from "./harness";

const PROMOTE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2"];
const OUTAGE = [...PROMOTE, "--mode", "outage"];
const RECONCILE_LATER = "npm run recovery -- retarget-primary --stack prod --to us-west-2 --mode planned --reconcile-only --yes";
const EXIT_PARTIAL = 3;

const backendDown = () => new BackendUnreachableError("prod", "select", "error: problem logging in: dial tcp: lookup api.example.invalid: no such host");
const cliMissing = () => new PulumiCliMissingError("prod", "select", "Command failed with ENOENT: pulumi version");

function roles(h: Harness): Record<string, string> {
    return Object.fromEntries(h.aws.datastore().members.map((m) => [m.region, m.role]));
}

/**
 * The GlobalReplicationGroupId each DescribeGlobalReplicationGroups call of the discovery asked for
 * ("(any)" when it listed them all). The discovery is every call before the first change; the wait
 * for the promotion that follows always names the datastore it found.
 */
function datastoresAskedFor(h: Harness): string[] {
    const calls = h.aws.log.calls();
    const firstChange = calls.findIndex((c) => c.mutating);
    return calls.slice(0, firstChange === -1 ? calls.length : firstChange)
        .filter((c) => c.command === "DescribeGlobalReplicationGroups")
        .map((c) => String(c.input.GlobalReplicationGroupId ?? "(any)"));
}

describe("retarget-primary when the stack is unavailable", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("backend unreachable: promotes from Pulumi.prod.yaml, defers the reconcile, exits 3; --reconcile-only finishes once the backend is back", async () => {
        h = await harness();
        h.openStackFails = backendDown();
        assert.equal(await h.run(...PROMOTE, "--yes"), EXIT_PARTIAL, h.stderr.text);

        assert.deepEqual(roles(h), { "us-east-1": "SECONDARY", "us-west-2": "PRIMARY", "eu-west-1": "SECONDARY" });
        assert.deepEqual(h.aws.mutatingCalls().map((c) => [c.region, c.command, c.input]), [["us-west-2", "FailoverGlobalReplicationGroup",
            { GlobalReplicationGroupId: "ldgnf-prod", PrimaryRegion: "us-west-2", PrimaryReplicationGroupId: "prod-us-west-2" }]]);
        assert.deepEqual(h.driver.calls, [], "the stack was not opened, so nothing may have been asked of it");
        const asked = datastoresAskedFor(h);
        assert.ok(asked.length > 0 && asked.every((id) => id === "(any)"), `without the outputs, the datastore is found by the configuration's naming; asked: ${asked}`);
        assert.match(h.stdout.text, /WARNING: stack prod cannot be opened \(its state backend does not answer: .*no such host\)\. The configuration comes from Pulumi\.prod\.yaml.*NOT reconciled by this run/);
        assert.equal(writerDocument(h.driver, "us-east-1").replicationGroupId, "prod-us-east-1", "the writer follows the stack, which was not touched");

        const report = h.lastReport();
        assert.equal(report.outcome, "partial");
        assert.ok(report.recoveryTime !== "not reached", "the promotion's recovery time is kept");
        assert.equal(report.steps.find((s) => s.name === "reconcile")?.result, "skipped");
        const next = report.nextSteps.join("\n");
        assert.ok(next.includes(RECONCILE_LATER), next);
        assert.match(next, /do NOT deploy stack prod \(no CI deployment, no pulumi up\): the committed Pulumi\.prod\.yaml still names us-east-1/);
        assert.match(next, /SSM parameter \/elasticache-global\/prod\/writer and the Route 53 writer record still name us-east-1/);
        assert.match(h.stdout.text, /retarget-primary: PARTIAL: us-west-2 promoted and accepts writes; stack prod is NOT reconciled/);

        h.openStackFails = undefined;
        assert.equal(await h.run(...RECONCILE_LATER.replace("npm run recovery -- ", "").split(" ")), 0, h.stderr.text);
        assert.equal((await h.driver.getConfig())[key("primaryRegion")].value, "us-west-2");
        assert.equal(writerDocument(h.driver, "eu-west-1").replicationGroupId, "prod-us-west-2");
        assert.equal(h.aws.log.calls({ command: "FailoverGlobalReplicationGroup" }).length, 1, "the reconcile makes no second promotion");
    });

    it("backend fails at the refresh after the promotion: the promotion stands, the report says the reconcile is left for later", async () => {
        h = await harness();
        h.driver.injectFault("backend-unreachable", { ops: ["refresh"] });
        assert.equal(await h.run(...PROMOTE, "--yes"), EXIT_PARTIAL, h.stderr.text);

        assert.equal(roles(h)["us-west-2"], "PRIMARY");
        const report = h.lastReport();
        assert.equal(report.outcome, "partial");
        assert.equal(report.error, undefined, "a deferred reconcile is not an error of the run");
        assert.ok(report.recoveryTime !== "not reached");
        assert.equal(report.steps.find((s) => s.name === "refresh")?.result, "failed");
        assert.match(report.runFindings.map((f) => f.what).join("\n"),
            /the stack became unavailable while it was being reconciled \(its state backend stopped answering \(refresh\)\).*What the control plane did stands/);
        assert.ok(report.nextSteps.join("\n").includes(RECONCILE_LATER));
        assert.match(report.nextSteps.join("\n"), /writer endpoint follows the stack, so it was NOT moved/);

        h.driver.clearFaults();
        assert.equal(await h.run(...PROMOTE, "--reconcile-only", "--yes"), 0, h.stderr.text);
        assert.equal(writerDocument(h.driver, "us-west-2").replicationGroupId, "prod-us-west-2");
    });

    it("a dry run without the Pulumi CLI changes nothing and says the promotion would run and the reconcile wait", async () => {
        h = await harness();
        h.openStackFails = cliMissing();
        assert.equal(await h.run(...PROMOTE, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(h.changes(), []);
        assert.deepEqual(h.driver.calls, []);
        assert.match(h.stdout.text, /plan: call FailoverGlobalReplicationGroup \{"GlobalReplicationGroupId":"ldgnf-prod".*; leave stack prod as it is \(the Pulumi CLI is missing\)/);
        assert.match(h.stdout.text, /\[reconcile\] WARNING: a real run would leave this for later: .*the Pulumi CLI is missing/);
        const report = h.lastReport();
        assert.equal(report.outcome, "succeeded");
        assert.match(report.nextSteps[0], /then run: npm run recovery -- retarget-primary .* --yes\. It will end PARTIAL \(exit code 3\)/);
        assert.match(report.nextSteps[1], /When the Pulumi CLI is installed .*--reconcile-only --dry-run/);
    });

    it("outage with the backend in the failed region: needs only the stack file, detaches, moves the writer parameter, succeeds", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-east-1");
        h.openStackFails = backendDown();
        assert.equal(await h.run(...OUTAGE, "--detach", "--force", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /Outage mode needs only the configuration: it never updates the stack/);
        assert.deepEqual(h.aws.mutatingCalls().filter((c) => c.outcome === "ok").map((c) => `${c.region} ${c.command}`),
            ["us-west-2 DisassociateGlobalReplicationGroup", "us-west-2 PutParameter", "eu-west-1 PutParameter"]);
        assert.deepEqual(h.driver.calls, []);
        assert.equal(ssmWriter(h.aws, "us-west-2").replicationGroupId, "prod-us-west-2");
        assert.equal(h.lastReport().outcome, "succeeded");
        assert.match(h.lastReport().nextSteps.join("\n"), /must be rebuilt.*rejoin --stack prod --dry-run/);
    });

    it("--reconcile-only and rejoin need the stack: they refuse clearly, read nothing and change nothing", async () => {
        h = await harness();
        h.openStackFails = backendDown();
        assert.equal(await h.run(...PROMOTE, "--reconcile-only", "--yes"), 1);
        assert.match(h.stderr.text, /--reconcile-only only updates stack prod, so it needs the stack itself, and it cannot be opened: the state backend of stack prod is unreachable.*Nothing was changed/);
        assert.equal(await h.run("rejoin", "--stack", "prod", "--yes"), 1);
        assert.match(h.stderr.text, /rejoin rebuilds the datastore through an update of stack prod, so it needs the stack itself, and it cannot be opened/);
        assert.match(h.stdout.text, /Nothing was changed\. Fix what the message above says/);
        assert.equal(h.lastReport().outcome, "failed");
        assert.deepEqual(h.aws.log.calls(), []);
        assert.deepEqual(h.driver.calls, []);
    });

    it("an unknown stack with no backend is refused, listing the stack files there are", async () => {
        h = await harness();
        h.openStackFails = backendDown();
        assert.equal(await h.run("retarget-primary", "--stack", "prdo", "--to", "us-west-2", "--yes"), 1);
        assert.match(h.stderr.text, /stack prdo cannot be opened and has no configuration file to fall back on: .*Stacks in this project: prod, staging\. Check --stack/);
        assert.deepEqual(h.aws.log.calls(), []);
        assert.equal(h.lastReport().outcome, "failed");
    });
});

describe("retarget-primary looks the datastore up by the stack outputs when they answer", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    /** Replaces some stack outputs, as a stale or hand-edited state would hold them. */
    function outputsSay(patch: (outputs: Record<string, { value: unknown; secret: boolean }>) => void): void {
        const outputs = h.driver.outputs.bind(h.driver);
        h.driver.outputs = async () => {
            const result = await outputs();
            patch(result);
            return result;
        };
    }

    it("asks for the datastore the outputs name", async () => {
        h = await harness();
        assert.equal(await h.run(...PROMOTE, "--dry-run"), 0, h.stderr.text);
        assert.ok(h.driver.operations.includes("outputs"));
        assert.equal(datastoresAskedFor(h)[0], "ldgnf-prod");
        assert.match(h.stdout.text, /Global Datastore ldgnf-prod is available \(ids from the stack outputs\)/);
        assert.doesNotMatch(h.stdout.text, /WARNING/);
    });

    it("outputs naming a datastore the control plane does not show: warns, and uses what the configuration derives", async () => {
        h = await harness();
        outputsSay((o) => {
            o.globalDatastoreId = { value: "ldgnf-prod-old", secret: false };
        });
        assert.equal(await h.run(...PROMOTE, "--dry-run"), 0, h.stderr.text);
        assert.deepEqual(datastoresAskedFor(h).slice(0, 2), ["ldgnf-prod-old", "ldgnf-prod-old"], "the outputs' id first, in us-west-2 then us-east-1");
        assert.match(h.stdout.text, /WARNING: the stack outputs and the configuration disagree: the outputs name datastore ldgnf-prod-old/);
        assert.match(h.stdout.text, /WARNING: the control plane does not show what the stack outputs name .* it shows ldgnf-prod with the ids the configuration give/);
        assert.match(h.stdout.text, /plan: call FailoverGlobalReplicationGroup \{"GlobalReplicationGroupId":"ldgnf-prod","PrimaryRegion":"us-west-2","PrimaryReplicationGroupId":"prod-us-west-2"\}/);
    });

    it("outputs and configuration disagree on a member: warns, and the member the control plane lists is promoted", async () => {
        h = await harness();
        outputsSay((o) => {
            const regions = o.regions.value as Record<string, { replicationGroupId: string }>;
            regions["us-west-2"] = { ...regions["us-west-2"], replicationGroupId: "prod-us-west-2-old" };
        });
        assert.equal(await h.run(...PROMOTE, "--dry-run"), 0, h.stderr.text);
        assert.match(h.stdout.text, /WARNING: the stack outputs and the configuration disagree: in us-west-2 the outputs name prod-us-west-2-old, the configuration prod-us-west-2/);
        assert.match(h.stdout.text, /Global Datastore ldgnf-prod is available \(ids from the stack outputs\)/);
        assert.match(h.stdout.text, /"PrimaryReplicationGroupId":"prod-us-west-2"\}/);
    });
});
