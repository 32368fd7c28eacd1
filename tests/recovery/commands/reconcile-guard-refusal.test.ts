/** When the guard refuses inside the reconcile, the run says what it already changed and does not suggest the same run again. */
import * as assert from "node:assert/strict";
import { Progress } from "../../../recovery/lib/progress";
import { ReconcileRefusedError, reconcileStack } from "../../../recovery/lib/reconcile";
import { FakeStackDriver } from "../fake/stack-driver";
import { T } from "../../helpers/program";
import { Harness, harness, key, refreshReadsFakeAws } from "./harness";

const PROMOTE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--yes"];

describe("reconcile: a guard refusal after the configuration was written", function () {
    this.timeout(120_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    it("names each key it set with the commands that revert it, what the guard refused and why, and never claims nothing changed", async () => {
        h = await harness();
        refreshReadsFakeAws(h.aws, h.driver);
        // Someone moved the founder's port by hand: the refresh brings it in, and the program would replace the founder.
        h.aws.model.requireReplicationGroup("us-east-1", "prod-us-east-1").port = 6380;
        assert.equal(await h.run(...PROMOTE), 3, "partial: the promotion happened, the stack is behind");
        assert.equal(h.aws.datastore().members.find((m) => m.region === "us-west-2")?.role, "PRIMARY", "the promotion itself happened");
        assert.equal(h.lastReport().outcome, "partial");
        const out = h.stdout.text;
        assert.match(out, /stack prod was NOT brought in line with us-west-2 as primary: the guard refused the update, after this run had already changed the stack/);
        assert.match(out, /it set elasticache-global:primaryRegion: us-east-1 -> us-west-2; elasticache-global:secondaryRegions: \["us-west-2","eu-west-1"\] -> \["eu-west-1","us-east-1"\], and it refreshed the state/);
        assert.match(out, /aws:elasticache\/replicationGroup:ReplicationGroup cache-us-east-1 .*forced by a change to port/);
        assert.match(out, /To put the configuration back as it was: pulumi config set --stack prod elasticache-global:primaryRegion us-east-1 && pulumi config set --stack prod elasticache-global:secondaryRegions '\["us-west-2","eu-west-1"\]'/);
        assert.doesNotMatch(`${out}\n${h.stderr.text}`, /Nothing was changed/);
        assert.doesNotMatch(out, /run the same command again/);
        assert.match(out, /Do not run this command again as it is/);
        assert.ok(!h.driver.operations.includes("up"));
        assert.equal((await h.driver.getConfig())[key("primaryRegion")].value, "us-west-2", "the message says the key was set: it was");
    });

    it("hands the runner next steps that do not suggest running the same command again", async () => {
        const driver = await FakeStackDriver.create("prod");
        driver.driftRealWorld(T.replicationGroup, "cache-us-east-1", { port: 6380 });
        const refused = await reconcileStack({ driver, progress: new Progress(), target: "us-west-2", dryRun: false }).then(() => undefined, (e: unknown) => e);
        assert.ok(refused instanceof ReconcileRefusedError, String(refused));
        assert.match(refused.nextSteps.join("\n"), /Do not run this command again as it is/);
        assert.doesNotMatch(refused.nextSteps.join("\n"), /run (the same command|it) again/i);
        assert.match(refused.nextSteps.join("\n"), /The writer endpoint was not moved by this run/);
        assert.deepEqual(refused.verdict?.allowed, false);
    });
});
