import * as assert from "node:assert/strict";
import { describe as describeResource } from "../../offline/describe";
import { ProgramRun, RecordedResource } from "../../offline/run";
import { T, inRegion, memberIn, ofType, only, runWith } from "../helpers/program";

const TOPIC_POLICY = "aws:sns/topicPolicy:TopicPolicy";

function topicNamed(run: ProgramRun, region: string, name: string): RecordedResource {
    return only(inRegion(run, T.topic, region).filter((t) => t.inputs.name === name), `topic ${name} in ${region}`);
}

/** The access policy text of a topic, from the TopicPolicy attached to it. */
function policyOf(run: ProgramRun, topic: RecordedResource): string {
    return String(only(ofType(run, TOPIC_POLICY).filter((p) => p.inputs.arn === topic.state.arn), `policy of ${topic.inputs.name}`).inputs.policy);
}

describe("CacheRegion: what each region's cache stands on", () => {
    let prod: ProgramRun;
    let staging: ProgramRun;
    before(async () => {
        prod = await runWith();
        staging = await runWith({}, "staging");
    });

    it("creates a private VPC with three subnets in three availability zones when asked to", () => {
        const vpc = only(inRegion(prod, T.vpc, "us-west-2"), "VPC");
        assert.equal(vpc.inputs.cidrBlock, "10.101.0.0/16");
        const subnets = inRegion(prod, T.subnet, "us-west-2");
        assert.equal(subnets.length, 3);
        assert.equal(new Set(subnets.map((s) => s.inputs.availabilityZone)).size, 3);
        for (const s of subnets) {
            assert.equal(s.inputs.vpcId, vpc.id);
            assert.equal(s.inputs.mapPublicIpOnLaunch, false);
        }
        assert.equal(ofType(prod, "aws:ec2/internetGateway:InternetGateway").length, 0, "no route to the internet");
    });

    it("puts the cache on its own subnet group over those private subnets, never the default", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const group = only(inRegion(prod, T.subnetGroup, region), "subnet group");
            assert.notEqual(group.inputs.name, "default");
            assert.deepEqual([...(group.inputs.subnetIds as string[])].sort(), inRegion(prod, T.subnet, region).map((s) => s.id).sort());
            const member = only(inRegion(prod, T.replicationGroup, region), "member");
            assert.equal(member.inputs.subnetGroupName, group.state.name);
        }
    });

    it("uses existing subnets and creates no VPC where the config names them", () => {
        assert.equal(inRegion(staging, T.vpc, "eu-central-1").length, 0);
        const group = only(inRegion(staging, T.subnetGroup, "eu-central-1"), "subnet group");
        assert.deepEqual(group.inputs.subnetIds, ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002", "subnet-0a1b2c3d4e5f60003"]);
        const sg = only(inRegion(staging, T.securityGroup, "eu-central-1"), "security group");
        assert.equal(sg.inputs.vpcId, "vpc-0a1b2c3d4e5f60718");
    });

    it("admits the cache port only from the configured CIDRs and security groups", () => {
        const rules = (run: ProgramRun, region: string) => inRegion(run, T.ingress, region).map((r) => ({
            port: [r.inputs.fromPort, r.inputs.toPort], protocol: r.inputs.ipProtocol,
            from: r.inputs.cidrIpv4 ?? r.inputs.cidrIpv6 ?? r.inputs.referencedSecurityGroupId,
        }));
        assert.deepEqual(rules(prod, "us-east-1"), [
            { port: [6379, 6379], protocol: "tcp", from: "10.100.0.0/16" },
            { port: [6379, 6379], protocol: "tcp", from: "10.20.0.0/16" },
        ]);
        assert.deepEqual(rules(staging, "eu-central-1"), [{ port: [6379, 6379], protocol: "tcp", from: "sg-0a1b2c3d4e5f60999" }]);
        // A new VPC with no clients named admits its own block only.
        assert.deepEqual(rules(staging, "eu-west-1"), [{ port: [6379, 6379], protocol: "tcp", from: "10.111.0.0/16" }]);
        for (const sg of ofType(prod, T.securityGroup)) {
            assert.equal(sg.inputs.ingress, undefined, "no inline rules that could open other ports");
        }
        const member = only(inRegion(prod, T.replicationGroup, "us-east-1"), "member");
        const sg = only(inRegion(prod, T.securityGroup, "us-east-1"), "security group");
        assert.deepEqual(member.inputs.securityGroupIds, [sg.id]);
    });

    it("follows a custom port in the security group rules", async () => {
        const run = await runWith({ port: 6390 });
        for (const rule of ofType(run, T.ingress)) {
            assert.deepEqual([rule.inputs.fromPort, rule.inputs.toPort], [6390, 6390]);
        }
        assert.equal(only(inRegion(run, T.replicationGroup, "us-east-1"), "founder").inputs.port, 6390);
    });

    it("gives each region a rotating customer-managed key whose policy lets logs and alarms use it", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const key = only(inRegion(prod, T.kmsKey, region), "key");
            assert.equal(key.inputs.enableKeyRotation, true);
            assert.equal(key.inputs.deletionWindowInDays, 30);
            const policy = JSON.parse(String(key.inputs.policy));
            const principals = policy.Statement.map((s: any) => JSON.stringify(s.Principal));
            assert.ok(principals.some((p: string) => p.includes(`logs.${region}.amazonaws.com`)), "CloudWatch Logs of the region");
            assert.ok(principals.some((p: string) => p.includes("cloudwatch.amazonaws.com")), "CloudWatch alarms");
            const logs = policy.Statement.find((s: any) => JSON.stringify(s.Principal).includes("logs."));
            assert.match(logs.Condition.ArnLike["kms:EncryptionContext:aws:logs:arn"], new RegExp(`:logs:${region}:123456789012:log-group:/elasticache-global/test/\\*$`));
        }
    });

    it("creates encrypted slow-log and engine-log groups with the configured retention", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const key = only(inRegion(prod, T.kmsKey, region), "key");
            const groups = inRegion(prod, T.logGroup, region);
            assert.deepEqual(groups.map((g) => g.inputs.name).sort(), ["/elasticache-global/test/engine-log", "/elasticache-global/test/slow-log"]);
            for (const g of groups) {
                assert.equal(g.inputs.retentionInDays, 90);
                assert.equal(g.inputs.kmsKeyId, key.state.arn);
            }
        }
    });

    // "Event Notifications and Amazon SNS" / "Managing ElastiCache Amazon SNS notifications" (ElastiCache
    // guide): the topic ElastiCache publishes to cannot be encrypted (an encrypted one shows as inactive,
    // which disassociates it), must be in the cluster's account and region, and its access policy must
    // use aws:SourceOwner, not aws:SourceAccount (with which ElastiCache cannot publish either).
    it("gives ElastiCache its own unencrypted event topic per region, open to publishing under aws:SourceOwner only", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const topic = topicNamed(prod, region, "test-elasticache-events");
            assert.equal(topic.inputs.kmsMasterKeyId, undefined, `${region}: ElastiCache cannot publish to an encrypted topic`);
            assert.equal(memberIn(prod, region).inputs.notificationTopicArn, topic.state.arn, `${region}: the member's events go to it`);
            const text = policyOf(prod, topic);
            assert.doesNotMatch(text, /SourceAccount/i, "aws:SourceAccount makes ElastiCache set the topic inactive");
            const statements = JSON.parse(text).Statement as any[];
            const publish = statements.filter((s) => /^sns:publish$/i.test(String(s.Action)));
            assert.equal(publish.length, 1);
            assert.equal(publish[0].Effect, "Allow");
            assert.equal(publish[0].Resource, topic.state.arn);
            assert.deepEqual(publish[0].Condition, { StringEquals: { "AWS:SourceOwner": "123456789012" } });
        }
    });

    it("sends the alarms to a second topic per region, encrypted with the region's key, which CloudWatch alarms may use", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const topic = topicNamed(prod, region, "test-elasticache-alarms");
            const key = only(inRegion(prod, T.kmsKey, region), "key");
            assert.equal(topic.inputs.kmsMasterKeyId, key.state.arn);
            for (const alarm of inRegion(prod, T.alarm, region)) {
                assert.deepEqual([alarm.inputs.alarmActions, alarm.inputs.okActions], [[topic.state.arn], [topic.state.arn]], String(alarm.inputs.name));
            }
            const publish = (JSON.parse(policyOf(prod, topic)).Statement as any[]).find((s) => /^sns:publish$/i.test(String(s.Action)));
            assert.deepEqual(publish.Principal, { Service: "cloudwatch.amazonaws.com" });
            assert.equal(publish.Resource, topic.state.arn);
            assert.equal(publish.Condition.StringEquals["aws:SourceAccount"], "123456789012");
            assert.equal(publish.Condition.ArnLike["aws:SourceArn"], `arn:aws:cloudwatch:${region}:123456789012:alarm:*`);
            // SNS developer guide, "Key management" (Enable compatibility between event sources from AWS
            // services and encrypted topics): a service that publishes to an encrypted topic needs
            // kms:Decrypt and kms:GenerateDataKey* on the topic's key.
            const statements = JSON.parse(String(key.inputs.policy)).Statement as any[];
            const cloudwatch = statements.filter((s) => JSON.stringify(s.Principal) === JSON.stringify({ Service: "cloudwatch.amazonaws.com" }));
            assert.equal(cloudwatch.length, 1, "one key statement for CloudWatch alarms");
            assert.deepEqual([...cloudwatch[0].Action].sort(), ["kms:Decrypt", "kms:GenerateDataKey*"]);
            assert.ok(!JSON.stringify(statements).includes("elasticache.amazonaws.com"), "the event topic is not encrypted, so ElastiCache needs no key access");
        }
    });

    it("shows in the offline plan which topic is encrypted and who may publish to each", () => {
        const events = topicNamed(prod, "us-east-1", "test-elasticache-events");
        const alarms = topicNamed(prod, "us-east-1", "test-elasticache-alarms");
        const policy = (topic: RecordedResource) => only(ofType(prod, TOPIC_POLICY).filter((p) => p.inputs.arn === topic.state.arn), "policy");
        assert.equal(describeResource(events), "test-elasticache-events, not encrypted");
        assert.match(describeResource(alarms), /^test-elasticache-alarms, KMS \.\.\.\w{12}$/);
        assert.equal(describeResource(policy(events)), "SNS:Publish by AWS * if AWS:SourceOwner=123456789012");
        assert.equal(describeResource(policy(alarms)), "sns:Publish by Service cloudwatch.amazonaws.com if aws:SourceAccount=123456789012 " +
            "and aws:SourceArn=arn:aws:cloudwatch:us-east-1:123456789012:alarm:*");
    });

    it("subscribes the configured email addresses to both topics of every region", () => {
        for (const region of ["us-east-1", "us-west-2", "eu-west-1"]) {
            const topics = ["test-elasticache-events", "test-elasticache-alarms"].map((name) => topicNamed(prod, region, name).state.arn);
            const subs = inRegion(prod, T.subscription, region);
            assert.deepEqual(subs.map((s) => [s.inputs.protocol, s.inputs.endpoint, s.inputs.topic]).sort(),
                topics.map((arn) => ["email", "cache-oncall@example.com", arn]).sort());
        }
        assert.equal(ofType(staging, T.subscription).length, 0);
    });
});
