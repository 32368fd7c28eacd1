import * as assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { RecordedResource, runProgram, runStack } from "../offline/run";
import { stackConfigWith } from "./helpers/program";

/** Runs index.ts on prod's config with overrides and returns the error and whatever got declared. */
async function failing(overrides: Record<string, unknown>): Promise<{ message: string; declared: RecordedResource[] }> {
    const { config, secretKeys } = stackConfigWith(overrides);
    const declared: RecordedResource[] = [];
    try {
        await runProgram("prod", config, secretKeys, declared);
    } catch (e) {
        assert.ok(e instanceof pulumi.RunError, `expected a RunError (printed without a stack trace), got ${e}`);
        return { message: e.message, declared };
    }
    assert.fail("the program accepted a bad configuration");
}

describe("index.ts: the program as Pulumi runs it", () => {
    // The list of bad inputs: each stops the program with its message before anything is declared.
    const BAD: Array<[string, Record<string, unknown>, RegExp]> = [
        ["unknown engine", { engine: "memcached" }, /elasticache-global:engine is "memcached"\. Accepted: valkey or redis\./],
        ["shards 0", { shards: 0 }, /elasticache-global:shards is 0\. Accepted: a whole number from 1 to 500\./],
        ["replicas 0", { replicasPerShard: 0 }, /elasticache-global:replicasPerShard is 0: Multi-AZ with automatic failover needs at least one replica per shard\./],
        ["retention 40", { backupRetentionDays: 40 }, /elasticache-global:backupRetentionDays is 40\. Accepted: a whole number from 1 to 35\./],
        ["three secondaries", { secondaryRegions: ["us-west-2", "eu-west-1", "ap-southeast-2"] }, /elasticache-global:secondaryRegions is .*: it lists 3 regions\. Accepted: 1 or 2 regions/],
        ["a secondary equal to the primary", { secondaryRegions: ["us-east-1"], networks: undefined }, /elasticache-global:secondaryRegions\[0\] is "us-east-1": it is the primary region/],
        ["a t-family node type", { nodeType: "cache.t4g.medium" }, /elasticache-global:nodeType is "cache\.t4g\.medium": is a burstable t-family node type/],
        ["an engine version too old", { engine: "redis", engineVersion: "5.0.5", authToken: "a-token-of-20-chars!", users: undefined }, /elasticache-global:engineVersion is "5\.0\.5": redis 5\.0\.5 cannot join a Global Datastore\. Accepted: redis 5\.0\.6 or later\./],
        ["a malformed window", { maintenanceWindow: "sunday 06:00" }, /elasticache-global:maintenanceWindow is "sunday 06:00": is not a weekly window/],
        ["a foundingRegion outside the regions", { foundingRegion: "ap-south-1" }, /elasticache-global:foundingRegion is "ap-south-1": it is not one of the datastore's regions/],
    ];
    for (const [what, overrides, message] of BAD) {
        it(`stops on ${what} with one clear message and declares nothing`, async () => {
            const { message: text, declared } = await failing(overrides);
            assert.match(text, message);
            assert.match(text, /^Invalid stack configuration \(1 problem\):/);
            assert.deepEqual(declared, [], "no resource may be declared before the configuration is valid");
        });
    }

    it("reports every problem of a config at once", async () => {
        const { message, declared } = await failing({ shards: 0, replicasPerShard: 0, backupRetentionDays: 40, engine: "memcached" });
        assert.match(message, /^Invalid stack configuration \(4 problems\):/);
        assert.equal(declared.length, 0);
    });

    for (const stack of ["prod", "staging"]) {
        it(`runs the ${stack} stack of this repository`, async () => {
            const run = await runStack(stack);
            const types = new Set(run.resources.map((r) => r.type));
            for (const type of ["aws:elasticache/replicationGroup:ReplicationGroup", "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
                "aws:kms/key:Key", "aws:ssm/parameter:Parameter", "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:sns/topic:Topic"]) {
                assert.ok(types.has(type), `${stack} declares no ${type}`);
            }
            const regions = Object.keys(run.outputs.regions as object);
            assert.equal(regions.length, stack === "prod" ? 3 : 2);
            const components = run.resources.filter((r) => !r.custom).map((r) => r.type);
            assert.ok(components.includes("elasticache-global:index:GlobalCache"));
            // Every custom resource hangs under a component: nothing is declared at the root by accident.
            assert.ok(run.resources.filter((r) => r.custom).every((r) => r.parent !== ""));
        });
    }
});
