/**
 * The fakes against their sources: each case here is a behaviour the fake once modelled differently
 * from what the ElastiCache API Reference, the SSM API model or the Pulumi engine say, with the source
 * beside it.
 */
import * as assert from "assert";
import {
    CreateReplicationGroupCommand, DescribeReplicationGroupsCommand, GlobalReplicationGroupNotFoundFault,
} from "@aws-sdk/client-elasticache";
import { GetParameterCommand, SSMClient } from "@aws-sdk/client-ssm";
import { FakeAws, PROD_SEED } from "../fake";
import { elastiCacheIn, rejection } from "./clients";
import { DeployedResource, planSteps, protectionViolations } from "./stack-driver";
import { RecordedResource } from "../../../offline/run";
import { T } from "../../helpers/program";

describe("FakeAws: behaviour as the API reference documents it", () => {
    let aws: FakeAws;
    beforeEach(() => {
        aws = FakeAws.seed(PROD_SEED).install();
    });
    afterEach(() => aws.restore());

    // API Reference, DescribeReplicationGroups: ReplicationGroupId "is not case sensitive".
    it("DescribeReplicationGroups finds a group whatever the case of ReplicationGroupId", async () => {
        const out = await elastiCacheIn("us-east-1").send(new DescribeReplicationGroupsCommand({ ReplicationGroupId: "PROD-us-east-1" }));
        assert.deepStrictEqual(out.ReplicationGroups!.map((rg) => rg.ReplicationGroupId), ["prod-us-east-1"]);
    });

    // API Reference, CreateReplicationGroup: ReplicationGroupId "is stored as a lowercase string".
    it("CreateReplicationGroup stores the id in lowercase", async () => {
        const out = await elastiCacheIn("us-east-1").send(new CreateReplicationGroupCommand({
            ReplicationGroupId: "Scratch-Copy", ReplicationGroupDescription: "scratch", NumNodeGroups: 1, ReplicasPerNodeGroup: 1,
        }));
        assert.strictEqual(out.ReplicationGroup!.ReplicationGroupId, "scratch-copy");
        assert.ok(aws.model.replicationGroup("us-east-1", "scratch-copy"));
    });

    // API Reference, CreateReplicationGroup, Errors: GlobalReplicationGroupNotFoundFault.
    it("CreateReplicationGroup into an unknown Global Datastore answers GlobalReplicationGroupNotFoundFault", async () => {
        const error = await rejection(elastiCacheIn("ap-southeast-2").send(new CreateReplicationGroupCommand({
            ReplicationGroupId: "prod-ap-southeast-2", ReplicationGroupDescription: "joining", GlobalReplicationGroupId: "ldgnf-nope",
        })));
        assert.ok(error instanceof GlobalReplicationGroupNotFoundFault, `got ${error.name}`);
        assert.match(error.message, /ldgnf-nope/);
    });

    // SSM speaks the JSON protocol: its throttling answer is "ThrottlingException: Rate exceeded"
    // (SSM API reference, GetParameter; @aws-sdk/client-ssm models ThrottlingException).
    it("throttles SSM with ThrottlingException, the code SSM answers with", async () => {
        aws.faults.throttle({ service: "ssm", times: 1 });
        const ssm = new SSMClient({ region: "us-east-1", credentials: { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" } });
        const error = await rejection(ssm.send(new GetParameterCommand({ Name: "/prod/elasticache/writer" })));
        assert.strictEqual(error.name, "ThrottlingException");
        assert.strictEqual(error.message, "Rate exceeded");
    });
});

describe("FakeStackDriver: protection as the Pulumi engine decides it", () => {
    const urn = `urn:pulumi:prod::elasticache-global::${T.replicationGroup}::cache-us-east-1`;
    const deployed = (protect: boolean): DeployedResource[] =>
        [{ urn, type: T.replicationGroup, name: "cache-us-east-1", custom: true, protect, inputs: { port: 6379 } }];
    const declared = (protect: boolean): RecordedResource[] =>
        [{ urn, type: T.replicationGroup, name: "cache-us-east-1", custom: true, parent: "", inputs: { port: 6380 }, state: { port: 6380 },
            protect, ignoreChanges: [], dependencies: [] }];
    const violations = (before: boolean, after: boolean) =>
        protectionViolations(deployed(before), declared(after), planSteps(deployed(before), declared(after)));

    // pulumi/pulumi pkg/resource/deploy/step_generator.go: a replacement is refused only when
    // `new.Protect && old.Protect`: the state written by the last update and the program must both say so.
    it("refuses a replacement only when both the state and the program protect the resource", () => {
        assert.deepStrictEqual(violations(true, true).length, 1);
        assert.deepStrictEqual(violations(true, false), [], "unprotecting and replacing in one update is allowed");
        assert.deepStrictEqual(violations(false, true), [], "a flag not yet written to the state does not protect");
    });
});
