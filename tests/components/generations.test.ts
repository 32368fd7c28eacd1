import * as assert from "node:assert/strict";
import { ProgramRun } from "../../offline/run";
import { ConfigError, validateConfig } from "../../components/config";
import { T, inRegion, ofType, only, runWith, stackConfigWith } from "../helpers/program";

const REGIONS = ["us-east-1", "us-west-2", "eu-west-1"];
const SNAPSHOT = "test-us-east-1-2026-11-20-0300";

function groupIn(run: ProgramRun, region: string, id: string) {
    return only(inRegion(run, T.replicationGroup, region).filter((r) => r.inputs.replicationGroupId === id), `replication group ${id}`);
}

function rawConfig(overrides: Record<string, unknown>): Record<string, string> {
    const { config } = stackConfigWith({ userPasswords: { app: "a-long-enough-password-1" }, ...overrides });
    return Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("elasticache-global:"))
        .map(([k, v]) => [k.slice("elasticache-global:".length), v]));
}

function problems(overrides: Record<string, unknown>): string[] {
    try {
        validateConfig(rawConfig(overrides), "test");
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems;
    }
    return [];
}

describe("Generations: a datastore rebuilt from a snapshot beside the current one", () => {
    describe("a stack with no generation keys", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runWith();
        });

        it("declares generation 1 with the names the program has always given", () => {
            assert.deepEqual(ofType(run, T.replicationGroup).map((r) => r.inputs.replicationGroupId).sort(), REGIONS.map((r) => `test-${r}`).sort());
            assert.deepEqual(ofType(run, T.replicationGroup).map((r) => r.name).sort(), REGIONS.map((r) => `cache-${r}`).sort());
            assert.equal(only(ofType(run, T.globalDatastore), "datastore").inputs.globalReplicationGroupIdSuffix, "test");
            assert.equal(run.outputs.generation, 1);
            assert.deepEqual(Object.keys(run.outputs.generations as object), ["1"]);
        });
    });

    describe("generation 2 being built from a snapshot while generation 1 serves", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runWith({ inactiveGenerations: { 2: { foundingRegion: "us-east-1", seedSnapshot: SNAPSHOT } } });
        });

        it("declares a second datastore with its own members and alarms, sharing the users, and leaves generation 1 as it was", () => {
            for (const region of REGIONS) {
                groupIn(run, region, `test-${region}`);
                const g2 = groupIn(run, region, `test-g2-${region}`);
                assert.equal(g2.name, `cache-g2-${region}`);
                assert.equal(g2.protect, true);
                // One user group per region serves every generation, so applications keep their users at a cutover.
                const groups = inRegion(run, T.userGroup, region).map((u) => u.inputs.userGroupId).sort();
                assert.deepEqual(groups, ["test-users"]);
                assert.deepEqual(g2.inputs.userGroupIds, ["test-users"]);
            }
            const suffixes = ofType(run, T.globalDatastore).map((d) => d.inputs.globalReplicationGroupIdSuffix).sort();
            assert.deepEqual(suffixes, ["test", "test-g2"]);
            const alarms = ofType(run, T.alarm).map((a) => String(a.inputs.name));
            assert.ok(alarms.some((a) => a.startsWith("test-g2-us-east-1-0001-")), "generation 2 has per-shard alarms");
            assert.ok(alarms.some((a) => a.startsWith("test-us-east-1-0001-")), "generation 1 keeps its alarms");
        });

        it("seeds only generation 2's founding member from the snapshot; its secondaries join its own datastore", () => {
            assert.equal(groupIn(run, "us-east-1", "test-g2-us-east-1").inputs.snapshotName, SNAPSHOT);
            assert.equal(groupIn(run, "us-east-1", "test-g2-us-east-1").createTimeout, "120m", "a restore may outlast the provider's default create wait");
            assert.equal(groupIn(run, "us-east-1", "test-us-east-1").createTimeout, undefined);
            assert.equal(groupIn(run, "us-east-1", "test-us-east-1").inputs.snapshotName, undefined);
            const g2Datastore = only(ofType(run, T.globalDatastore).filter((d) => d.inputs.globalReplicationGroupIdSuffix === "test-g2"), "g2 datastore");
            for (const region of ["us-west-2", "eu-west-1"]) {
                assert.equal(groupIn(run, region, `test-g2-${region}`).inputs.globalReplicationGroupId, g2Datastore.state.globalReplicationGroupId);
                assert.equal(groupIn(run, region, `test-g2-${region}`).inputs.snapshotName, undefined);
            }
        });

        it("keeps the writer endpoint and the regions output on the active generation", () => {
            const writer = only(inRegion(run, T.parameter, "us-west-2").filter((p) => p.inputs.name === "/elasticache-global/test/writer"), "writer");
            assert.equal(JSON.parse(String(writer.inputs.insecureValue)).replicationGroupId, "test-us-east-1");
            assert.equal((run.outputs.regions as Record<string, { replicationGroupId: string }>)["us-east-1"].replicationGroupId, "test-us-east-1");
            const gens = run.outputs.generations as Record<string, { active: boolean; seedSnapshot?: string }>;
            assert.deepEqual(Object.keys(gens).sort(), ["1", "2"]);
            assert.equal(gens["1"].active, true);
            assert.equal(gens["2"].active, false);
            assert.equal(gens["2"].seedSnapshot, SNAPSHOT);
        });
    });

    describe("after cutover to generation 2", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, inactiveGenerations: { 1: { foundingRegion: "us-east-1" } } });
        });

        it("points the writer parameter in every region at generation 2's primary", () => {
            for (const region of REGIONS) {
                const writer = only(inRegion(run, T.parameter, region).filter((p) => p.inputs.name === "/elasticache-global/test/writer"), "writer");
                const doc = JSON.parse(String(writer.inputs.insecureValue));
                assert.equal(doc.replicationGroupId, "test-g2-us-east-1");
                assert.equal(doc.configurationEndpoint, groupIn(run, "us-east-1", "test-g2-us-east-1").state.configurationEndpointAddress);
            }
        });

        it("still declares generation 1 unchanged, protected, for investigation", () => {
            for (const region of REGIONS) {
                const g1 = groupIn(run, region, `test-${region}`);
                assert.equal(g1.name, `cache-${region}`);
                assert.equal(g1.protect, true);
            }
            assert.equal(run.outputs.generation, 2);
        });

        it("declares a retiring generation unprotected, so the update that removes it may delete it", async () => {
            const retiring = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, inactiveGenerations: { 1: { foundingRegion: "us-east-1", retiring: true } } });
            for (const region of REGIONS) {
                assert.equal(groupIn(retiring, region, `test-${region}`).protect, false);
                assert.equal(groupIn(retiring, region, `test-g2-${region}`).protect, true);
            }
            assert.equal(only(ofType(retiring, T.globalDatastore).filter((d) => d.inputs.globalReplicationGroupIdSuffix === "test"), "g1").protect, false);
        });
    });

    describe("bad generation configuration", () => {
        it("refuses an inactive generation that is the active one", () => {
            const found = problems({ generation: "2", inactiveGenerations: { 2: { foundingRegion: "us-east-1" } } });
            assert.ok(found.some((p) => p.includes("inactiveGenerations.2") && p.includes("is the active generation")), found.join("\n"));
        });

        it("refuses a generation number out of range, naming the key and the accepted range", () => {
            assert.ok(problems({ generation: "0" }).some((p) => p.includes("elasticache-global:generation is 0") && p.includes("from 1 to 99")));
            assert.ok(problems({ inactiveGenerations: { abc: {} } }).some((p) => p.includes("inactiveGenerations.abc") && p.includes("keys from 1 to 99")));
        });

        it("refuses a founding region outside the datastore's regions and unknown fields", () => {
            const found = problems({ inactiveGenerations: { 2: { foundingRegion: "ap-south-1", snapshot: "x" } } });
            assert.ok(found.some((p) => p.includes("inactiveGenerations.2.foundingRegion is \"ap-south-1\"") && p.includes("us-east-1, us-west-2, eu-west-1")), found.join("\n"));
            assert.ok(found.some((p) => p.includes("inactiveGenerations.2.snapshot") && p.includes("foundingRegion, seedSnapshot, founderOnly, retiring, finalSnapshotSuffix")), found.join("\n"));
        });

        it("refuses a malformed snapshot name, and accepts the names AWS gives automated backups", () => {
            assert.ok(problems({ seedSnapshot: "1-bad_name" }).some((p) => p.includes("seedSnapshot is \"1-bad_name\"") && p.includes("letters, digits and hyphens")));
            assert.deepEqual(problems({ inactiveGenerations: { 2: { foundingRegion: "us-east-1", seedSnapshot: "automatic.prod-us-east-1-2025-01-15-03-00" } } }), []);
            assert.ok(problems({ seedSnapshot: "automatic.2bad" }).length > 0);
        });
    });
});
