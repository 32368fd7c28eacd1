/** Every bad input stops retarget-primary with a clear message, a non-zero exit and nothing changed. */
import * as assert from "node:assert/strict";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { SSMClient } from "@aws-sdk/client-ssm";
import { RegionClients } from "../../../recovery/lib/clients";
import { PROD_SEED } from "../fake";
import { Harness, harness } from "./harness";

const PROMOTE = ["retarget-primary", "--stack", "prod", "--to", "us-west-2", "--yes"];

/** Clients whose every call fails the way the SDK does when no credential provider has credentials. */
function clientsWithoutCredentials(): RegionClients {
    const contacted: string[] = [];
    const failing = (region: string) => {
        contacted.push(region);
        return { send: async () => { throw Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" }); } };
    };
    return {
        elastiCache: (region) => failing(region) as unknown as ElastiCacheClient,
        elastiCacheForChanges: (region) => failing(region) as unknown as ElastiCacheClient,
        cloudWatch: (region) => failing(region) as unknown as CloudWatchClient,
        ssm: (region) => failing(region) as unknown as SSMClient,
        ssmForChanges: (region) => failing(region) as unknown as SSMClient,
        contacted: () => ({ elasticache: contacted, cloudwatch: [], ssm: [] }),
    };
}

describe("retarget-primary refuses bad input without changing anything", function () {
    this.timeout(60_000);
    let h: Harness;
    afterEach(() => h?.cleanup());

    async function refused(argv: string[], message: RegExp): Promise<void> {
        const code = await h.run(...argv);
        assert.notEqual(code, 0, `expected a refusal; output:\n${h.stdout.text}`);
        assert.match(h.stderr.text, message);
        assert.deepEqual(h.changes(), []);
        assert.equal(h.lastReport().outcome, "failed", "the report is written for a refused run too");
    }

    it("unknown stack", async () => {
        h = await harness();
        await refused(["retarget-primary", "--stack", "prdo", "--to", "us-west-2", "--yes"], /stack prdo does not exist.*pulumi stack ls/);
    });

    it("target not a region of the stack", async () => {
        h = await harness();
        await refused(["retarget-primary", "--stack", "prod", "--to", "ap-south-1", "--yes"], /--to "ap-south-1" is not a region of stack prod\. Accepted: .*us-west-2, eu-west-1/);
    });

    it("target not a member of the datastore", async () => {
        h = await harness({ seed: { ...PROD_SEED, secondaries: [{ region: "eu-west-1" }] } });
        await refused(PROMOTE, /us-west-2 is not a member of Global Datastore ldgnf-prod \(members: us-east-1 .*eu-west-1/);
    });

    it("target already primary is not refused: a rerun after the config was written goes on to the reconcile, with no control-plane call", async () => {
        h = await harness();
        assert.equal(await h.run("retarget-primary", "--stack", "prod", "--to", "us-east-1", "--yes"), 0, h.stderr.text);
        assert.match(h.stdout.text, /us-east-1 \(prod-us-east-1\) is already the primary and the datastore is available/);
        assert.deepEqual(h.aws.mutatingCalls(), []);
    });

    it("datastore modifying", async () => {
        h = await harness();
        h.aws.modifyOutOfBand(h.aws.clock.now(), 10 * 60_000);
        await refused(PROMOTE, /ldgnf-prod is modifying: someone .* is changing it.*Wait a few minutes/);
    });

    it("lag too high", async () => {
        h = await harness();
        h.aws.setReplicationLag("us-west-2", "prod-us-west-2", () => 30);
        await refused(PROMOTE, /refusing to promote: replication lag 30 s is above --max-lag-seconds 5/);
    });

    it("no credentials", async () => {
        h = await harness({ clients: clientsWithoutCredentials });
        await refused(PROMOTE, /No valid AWS credentials .*log in again/);
    });

    it("target endpoint unreachable", async () => {
        h = await harness();
        h.aws.faults.regionDown("us-west-2", { mode: "refused" });
        await refused(PROMOTE, /us-west-2 did not answer DescribeReplicationGroups \(ECONNREFUSED.*treat the region as unreachable/);
    });

    it("invalid stack configuration, with the program's own message", async () => {
        h = await harness({ overrides: { "elasticache-global:shards": "0" }, deployedWith: { "elasticache-global:shards": "3" } });
        await refused(PROMOTE, /elasticache-global:shards is 0\. Accepted: a whole number from 1 to 500/);
    });
});
