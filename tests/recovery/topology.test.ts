import * as assert from "node:assert/strict";
import {
    DescribeGlobalReplicationGroupsCommand, DescribeReplicationGroupsCommand, ElastiCacheClient, GlobalReplicationGroup,
    GlobalReplicationGroupNotFoundFault,
} from "@aws-sdk/client-elasticache";
import { AwsClientStub, mockClient } from "aws-sdk-client-mock";
import { validateConfig } from "../../components/config/validate";
import { loadStackFile } from "../../offline/run";
import { ExpectedIds, TopologyError, discoverTopology, idDisagreements, idsFromConfig, regionsToAsk } from "../../recovery/lib/topology";
import { StackDriver, StackOutputs } from "../../recovery/lib/stack-driver";
import { AwsCallError } from "../../recovery/lib/errors";

const REGIONS = ["us-east-1", "us-west-2", "eu-west-1"];
const DATASTORE_ID = "ldgnf-prod";

/** The validated prod configuration, as recovery would read it from the stack. */
function prodConfig() {
    const file = loadStackFile("prod");
    const raw = Object.fromEntries(Object.entries(file.config).filter(([k]) => k.startsWith("elasticache-global:")).map(([k, v]) => [k.slice(19), v]));
    return validateConfig(raw, "prod");
}

function datastore(overrides: Partial<GlobalReplicationGroup> = {}): GlobalReplicationGroup {
    return {
        GlobalReplicationGroupId: DATASTORE_ID, Status: "available",
        Members: [
            { ReplicationGroupId: "prod-us-east-1", ReplicationGroupRegion: "us-east-1", Role: "PRIMARY", Status: "associated" },
            { ReplicationGroupId: "prod-us-west-2", ReplicationGroupRegion: "us-west-2", Role: "SECONDARY", Status: "associated" },
            { ReplicationGroupId: "prod-eu-west-1", ReplicationGroupRegion: "eu-west-1", Role: "SECONDARY", Status: "associated" },
        ],
        ...overrides,
    };
}

/** A stub driver whose outputs are the ones index.ts exports, or a failure. */
function outputsDriver(outputs: StackOutputs | Error): StackDriver {
    const fail = () => Promise.reject(new Error("not used by topology discovery"));
    return {
        stackName: "prod", getConfig: fail, setConfigs: fail, refresh: fail, preview: fail, up: fail,
        outputs: () => (outputs instanceof Error ? Promise.reject(outputs) : Promise.resolve(outputs)),
    };
}

const unreachable = () => Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" });

describe("recovery/lib/topology", () => {
    let clients: Record<string, ElastiCacheClient>;
    let stubs: Record<string, AwsClientStub<ElastiCacheClient>>;
    const clientsFor = (region: string) => clients[region] ?? assert.fail(`no client for ${region}`);

    beforeEach(() => {
        clients = Object.fromEntries(REGIONS.map((r) => [r, new ElastiCacheClient({ region: r, credentials: { accessKeyId: "x", secretAccessKey: "y" } })]));
        stubs = Object.fromEntries(REGIONS.map((r) => [r, mockClient(clients[r])]));
        for (const region of REGIONS) {
            stubs[region].on(DescribeReplicationGroupsCommand).callsFake((input: { ReplicationGroupId?: string }) =>
                ({ ReplicationGroups: [{ ReplicationGroupId: input.ReplicationGroupId, Status: "available" }] }));
        }
    });
    afterEach(() => Object.values(stubs).forEach((s) => s.restore()));

    it("uses the ids from the stack outputs and reports every member's role and status", async () => {
        stubs["us-east-1"].on(DescribeGlobalReplicationGroupsCommand, { GlobalReplicationGroupId: DATASTORE_ID, ShowMemberInfo: true }).resolves({ GlobalReplicationGroups: [datastore()] });
        const driver = outputsDriver({
            globalDatastoreId: { value: DATASTORE_ID, secret: false },
            regions: { value: Object.fromEntries(REGIONS.map((r) => [r, { replicationGroupId: `prod-${r}`, role: "x" }])), secret: false },
        });
        const topology = await discoverTopology({ driver, clientsFor });
        assert.equal(topology.source, "outputs");
        assert.equal(topology.globalDatastoreId, DATASTORE_ID);
        assert.equal(topology.status, "available");
        assert.deepEqual(topology.members.map((m) => [m.region, m.replicationGroupId, m.role, m.memberStatus, m.replicationGroupStatus]), [
            ["us-east-1", "prod-us-east-1", "PRIMARY", "associated", "available"],
            ["us-west-2", "prod-us-west-2", "SECONDARY", "associated", "available"],
            ["eu-west-1", "prod-eu-west-1", "SECONDARY", "associated", "available"],
        ]);
        assert.deepEqual(topology.failures, []);
        assert.equal(stubs["us-west-2"].commandCalls(DescribeGlobalReplicationGroupsCommand).length, 0, "the first region answered");
    });

    it("derives the ids from the configuration when the outputs are out of reach, and matches the datastore by suffix and members", async () => {
        stubs["us-east-1"].on(DescribeGlobalReplicationGroupsCommand).resolves({
            GlobalReplicationGroups: [
                { GlobalReplicationGroupId: "ldgnf-prod", Status: "available", Members: [{ ReplicationGroupId: "someone-else", ReplicationGroupRegion: "us-east-1", Role: "PRIMARY" }] },
            ],
            Marker: "page-2",
        });
        stubs["us-east-1"].on(DescribeGlobalReplicationGroupsCommand, { Marker: "page-2" }).resolves({ GlobalReplicationGroups: [datastore({ GlobalReplicationGroupId: "xqwre-prod" })] });
        const driver = outputsDriver(new Error("the state backend of stack prod is unreachable"));
        const topology = await discoverTopology({ driver, config: prodConfig(), clientsFor });
        assert.equal(topology.source, "config");
        assert.equal(topology.globalDatastoreId, "xqwre-prod");
        const listCalls = stubs["us-east-1"].commandCalls(DescribeGlobalReplicationGroupsCommand).map((c) => c.args[0].input);
        assert.deepEqual(listCalls.map((i) => [i.GlobalReplicationGroupId, i.ShowMemberInfo, i.Marker]), [[undefined, true, undefined], [undefined, true, "page-2"]]);
    });

    it("discovers an outage by asking only the target region, and never calls the others", async () => {
        stubs["us-west-2"].on(DescribeGlobalReplicationGroupsCommand).resolves({
            GlobalReplicationGroups: [datastore({
                Status: "primary-only",
                Members: [
                    { ReplicationGroupId: "prod-us-east-1", ReplicationGroupRegion: "us-east-1", Role: "PRIMARY", Status: "associated" },
                    { ReplicationGroupId: "prod-us-west-2", ReplicationGroupRegion: "us-west-2", Role: "SECONDARY", Status: "associated" },
                ],
            })],
        });
        for (const region of ["us-east-1", "eu-west-1"]) {
            stubs[region].onAnyCommand().rejects(unreachable());
        }
        const topology = await discoverTopology({ config: prodConfig(), clientsFor, onlyRegions: ["us-west-2"] });
        assert.equal(topology.status, "primary-only");
        assert.deepEqual(topology.regionsAsked, ["us-west-2"]);
        const primary = topology.members.find((m) => m.role === "PRIMARY");
        assert.deepEqual([primary?.region, primary?.replicationGroupStatus], ["us-east-1", undefined], "the failed region's group is not asked");
        assert.equal(topology.members.find((m) => m.region === "us-west-2")?.replicationGroupStatus, "available");
        assert.equal(stubs["us-east-1"].calls().length + stubs["eu-west-1"].calls().length, 0);
    });

    it("moves on to the next region when one does not answer, and reports it", async () => {
        stubs["us-west-2"].onAnyCommand().rejects(unreachable());
        stubs["us-east-1"].on(DescribeGlobalReplicationGroupsCommand).resolves({ GlobalReplicationGroups: [datastore()] });
        const topology = await discoverTopology({ config: prodConfig(), clientsFor, regionOrder: ["us-west-2"] });
        assert.equal(topology.regionsAsked[0], "us-west-2");
        assert.equal(topology.globalDatastoreId, DATASTORE_ID);
        assert.equal(topology.members.find((m) => m.region === "us-west-2")?.replicationGroupStatus, undefined);
        assert.ok(topology.failures.length >= 1 && topology.failures.every((f) => f.region === "us-west-2"));
        assert.match(topology.failures[0].error, /us-west-2 did not answer DescribeGlobalReplicationGroups/);
    });

    it("fails clearly when no region knows the datastore: the ids looked for and the regions asked", async () => {
        stubs["us-west-2"].on(DescribeGlobalReplicationGroupsCommand).rejects(new GlobalReplicationGroupNotFoundFault({ message: "not found", $metadata: {} }));
        stubs["us-east-1"].on(DescribeGlobalReplicationGroupsCommand).rejects(unreachable());
        const driver = outputsDriver({
            globalDatastoreId: { value: DATASTORE_ID, secret: false },
            regions: { value: { "us-east-1": { replicationGroupId: "prod-us-east-1" }, "us-west-2": { replicationGroupId: "prod-us-west-2" } }, secret: false },
        });
        await assert.rejects(discoverTopology({ driver, clientsFor, regionOrder: ["us-west-2"] }), (e: unknown) => {
            assert.ok(e instanceof TopologyError);
            assert.match(e.message, /no Global Datastore found: looked for datastore ldgnf-prod with members prod-us-east-1 \(us-east-1\), prod-us-west-2 \(us-west-2\) \(ids from the stack outputs\); asked us-west-2, us-east-1; no answer from us-east-1/);
            return true;
        });
    });

    it("says the credentials are missing, not that no datastore exists, when no region answers for that reason", async () => {
        const noCredentials = () => Object.assign(new Error("Could not load credentials from any providers"), { name: "CredentialsProviderError" });
        for (const region of REGIONS) {
            stubs[region].onAnyCommand().rejects(noCredentials());
        }
        await assert.rejects(discoverTopology({ config: prodConfig(), clientsFor, regionOrder: ["us-west-2"] }), (e: unknown) => {
            assert.ok(e instanceof AwsCallError, `an AwsCallError, not ${String(e)}`);
            assert.equal(e.kind, "credentials");
            assert.doesNotMatch(e.message, /no Global Datastore found/);
            return true;
        });
    });

    it("says why it cannot look at all when the outputs are unreadable and no configuration was given", async () => {
        await assert.rejects(discoverTopology({ driver: outputsDriver(new Error("backend down")), clientsFor }),
            /cannot tell which datastore to look for: the stack outputs could not be read: backend down/);
    });

    it("says where the stack outputs and the configuration disagree, and nothing when they agree", () => {
        const fromConfig = idsFromConfig(prodConfig());
        const outputs = (overrides: Partial<ExpectedIds> = {}): ExpectedIds => ({
            source: "outputs", globalDatastoreId: DATASTORE_ID, replicationGroupIds: { ...fromConfig.replicationGroupIds }, ...overrides,
        });
        assert.deepEqual(idDisagreements(outputs(), fromConfig), []);
        assert.deepEqual(idDisagreements(outputs({ globalDatastoreId: "ldgnf-prod-old" }), fromConfig),
            ["the outputs name datastore ldgnf-prod-old, the configuration a datastore whose id ends with -prod"]);
        const { "eu-west-1": _dropped, ...twoRegions } = fromConfig.replicationGroupIds;
        assert.deepEqual(idDisagreements(outputs({ replicationGroupIds: { ...twoRegions, "us-west-2": "old-us-west-2" } }), fromConfig), [
            "in us-west-2 the outputs name old-us-west-2, the configuration prod-us-west-2",
            "in eu-west-1 the outputs name no replication group, the configuration prod-eu-west-1",
        ]);
    });

    it("orders regions: preferred first, then the members, limited to onlyRegions", () => {
        assert.deepEqual(regionsToAsk(REGIONS, ["eu-west-1"]), ["eu-west-1", "us-east-1", "us-west-2"]);
        assert.deepEqual(regionsToAsk(REGIONS, ["eu-west-1"], ["us-west-2", "eu-west-1"]), ["eu-west-1", "us-west-2"]);
    });
});
