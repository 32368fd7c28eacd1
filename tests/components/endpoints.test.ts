import * as assert from "node:assert/strict";
import { ProgramRun } from "../../offline/run";
import { T, inRegion, memberIn, ofType, only, runWith } from "../helpers/program";

describe("WriterEndpoint and stack outputs", () => {
    let prod: ProgramRun;
    before(async () => {
        prod = await runWith();
    });

    it("writes the primary's configuration endpoint to the writer parameter in every region", () => {
        const founder = memberIn(prod, "us-east-1");
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const writer = only(inRegion(prod, T.parameter, region).filter((p) => p.inputs.name === "/elasticache-global/test/writer"), "writer parameter");
            assert.equal(writer.inputs.type, "String");
            assert.equal(writer.inputs.value, undefined, "endpoints are not secrets");
            assert.deepEqual(JSON.parse(String(writer.inputs.insecureValue)), {
                role: "writer", region: "us-east-1", replicationGroupId: "test-us-east-1",
                configurationEndpoint: founder.state.configurationEndpointAddress, port: 6379, globalDatastoreId: prod.outputs.globalDatastoreId,
            });
        }
    });

    it("writes each region's own member to its reader parameter", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const reader = only(inRegion(prod, T.parameter, region).filter((p) => p.inputs.name === "/elasticache-global/test/reader"), "reader parameter");
            const doc = JSON.parse(String(reader.inputs.insecureValue));
            assert.equal(doc.region, region);
            assert.equal(doc.configurationEndpoint, memberIn(prod, region).state.configurationEndpointAddress);
        }
    });

    it("points the optional private DNS record at the writer, and declares none without route53 config", async () => {
        const record = only(ofType(prod, T.record), "DNS record");
        assert.equal(record.inputs.zoneId, "Z0123456789EXAMPLE01");
        assert.equal(record.inputs.type, "CNAME");
        assert.deepEqual(record.inputs.records, [memberIn(prod, "us-east-1").state.configurationEndpointAddress]);
        const without = await runWith({ route53: undefined });
        assert.equal(ofType(without, T.record).length, 0);
    });

    it("exports per region the replication group id, endpoint and role, the datastore id, parameter names and topics", () => {
        const o = prod.outputs as Record<string, any>;
        assert.match(o.globalDatastoreId, /^[a-z]{5}-test$/);
        assert.equal(o.primaryRegion, "us-east-1");
        assert.equal(o.foundingRegion, "us-east-1");
        assert.deepEqual(Object.keys(o.regions).sort(), ["eu-west-1", "us-east-1", "us-west-2"]);
        for (const region of Object.keys(o.regions)) {
            assert.equal(o.regions[region].replicationGroupId, `test-${region}`);
            assert.equal(o.regions[region].configurationEndpoint, memberIn(prod, region).state.configurationEndpointAddress);
            assert.equal(o.regions[region].role, region === "us-east-1" ? "primary" : "secondary");
            const topic = (name: string) => only(inRegion(prod, T.topic, region).filter((t) => t.inputs.name === name), name).state.arn;
            assert.equal(o.eventTopicArns[region], topic("test-elasticache-events"));
            assert.equal(o.alarmTopicArns[region], topic("test-elasticache-alarms"));
        }
        assert.equal(o.writerParameterName, "/elasticache-global/test/writer");
        assert.equal(o.readerParameterName, "/elasticache-global/test/reader");
        assert.equal(o.writerEndpoint, o.regions["us-east-1"].configurationEndpoint);
    });
});
