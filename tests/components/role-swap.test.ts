import * as assert from "node:assert/strict";
import { ProgramRun } from "../../offline/run";
import { T, inRegion, ofType, only, plain, runWith } from "../helpers/program";

/**
 * After a promotion the recovery programs change primaryRegion (and secondaryRegions) and nothing
 * else. Nothing stateful may change shape, or the next `pulumi up` would replace the datastore or a
 * member; only the writer endpoint moves.
 */
describe("flipping primaryRegion after a promotion", () => {
    let primaryEast: ProgramRun;
    let primaryWest: ProgramRun;
    const STATEFUL = [T.replicationGroup, T.globalDatastore, T.kmsKey, T.userGroup, T.user, T.subnetGroup];

    before(async () => {
        primaryEast = await runWith({ primaryRegion: "us-east-1", foundingRegion: "us-east-1", secondaryRegions: ["us-west-2", "eu-west-1"] });
        primaryWest = await runWith({ primaryRegion: "us-west-2", foundingRegion: "us-east-1", secondaryRegions: ["us-east-1", "eu-west-1"] });
    });

    it("leaves every replication group's and the datastore's inputs and options unchanged", () => {
        for (const type of STATEFUL) {
            const was = new Map(ofType(primaryEast, type).map((r) => [r.urn, r]));
            const now = ofType(primaryWest, type);
            assert.equal(now.length, was.size, `${type} count changed`);
            for (const r of now) {
                const old = was.get(r.urn);
                assert.ok(old, `${r.urn} is new after the flip: it would be created and its old self deleted`);
                assert.deepEqual(plain(r.inputs), plain(old.inputs), `${r.urn} inputs changed`);
                assert.equal(r.protect, old.protect);
                assert.deepEqual(r.ignoreChanges, old.ignoreChanges);
                assert.deepEqual([...r.dependencies].sort(), [...old.dependencies].sort(), `${r.urn} dependencies changed`);
            }
        }
    });

    it("keeps the datastore's primary at the founding member", () => {
        const datastore = only(ofType(primaryWest, T.globalDatastore), "datastore");
        assert.equal(datastore.inputs.primaryReplicationGroupId, "test-us-east-1");
        assert.equal(datastore.inputs.region, "us-east-1");
    });

    it("moves the writer parameter in every region and the DNS record to the new primary", () => {
        const writerEndpoint = (run: ProgramRun) => {
            const docs = ofType(run, T.parameter).filter((p) => String(p.inputs.name).endsWith("/writer"))
                .map((p) => JSON.parse(String(p.inputs.insecureValue)));
            assert.equal(docs.length, 3, "a writer parameter in each of the three regions");
            assert.equal(new Set(docs.map((d) => d.configurationEndpoint)).size, 1, "all regions agree on the writer");
            return docs[0];
        };
        assert.equal(writerEndpoint(primaryEast).region, "us-east-1");
        const moved = writerEndpoint(primaryWest);
        assert.equal(moved.region, "us-west-2");
        assert.equal(moved.replicationGroupId, "test-us-west-2");
        const record = only(ofType(primaryWest, T.record), "DNS record");
        assert.deepEqual(record.inputs.records, [moved.configurationEndpoint]);
        assert.equal(primaryWest.outputs.writerEndpoint, moved.configurationEndpoint);
    });

    it("keeps the Global Datastore replication-lag alarms in every region, so a promotion moves none", () => {
        const lagRegions = (run: ProgramRun) => [...new Set(ofType(run, T.alarm)
            .filter((a) => String(a.inputs.name).endsWith("-global-replication-lag"))
            .map((a) => a.inputs.region as string))].sort();
        assert.deepEqual(lagRegions(primaryEast), ["eu-west-1", "us-east-1", "us-west-2"]);
        assert.deepEqual(lagRegions(primaryWest), ["eu-west-1", "us-east-1", "us-west-2"]);
    });

    it("reports the new roles in the outputs", () => {
        const roles = (run: ProgramRun) => Object.fromEntries(Object.entries(run.outputs.regions as Record<string, { role: string }>)
            .map(([region, r]) => [region, r.role]));
        assert.deepEqual(roles(primaryWest), { "us-west-2": "primary", "us-east-1": "secondary", "eu-west-1": "secondary" });
        assert.equal(primaryWest.outputs.foundingRegion, "us-east-1");
        assert.equal(primaryWest.outputs.primaryRegion, "us-west-2");
    });

    it("changes nothing else in the regions' foundations", () => {
        for (const type of [T.vpc, T.subnet, T.securityGroup, T.ingress, T.logGroup, T.topic]) {
            const was = new Map(ofType(primaryEast, type).map((r) => [r.urn, plain(r.inputs)]));
            for (const r of ofType(primaryWest, type)) {
                assert.deepEqual(plain(r.inputs), was.get(r.urn), `${r.urn} changed`);
            }
            assert.equal(inRegion(primaryWest, type, "us-west-2").length, inRegion(primaryEast, type, "us-west-2").length);
        }
    });
});

describe("flipping primaryRegion with defaulted networks (staging)", () => {
    it("keeps every VPC block and VPC, because defaults depend on the region alone", async () => {
        const east = await runWith({}, "staging");
        const west = await runWith({ primaryRegion: "eu-west-1", secondaryRegions: ["eu-central-1"] }, "staging");
        const vpcs = (run: ProgramRun) => ofType(run, T.vpc).map((v) => [v.urn, v.inputs.cidrBlock]);
        assert.deepEqual(vpcs(west), vpcs(east));
        const subnets = (run: ProgramRun) => ofType(run, T.subnet).map((s) => [s.urn, s.inputs.cidrBlock, s.inputs.availabilityZone]);
        assert.deepEqual(subnets(west), subnets(east));
    });
});
