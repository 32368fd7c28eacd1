/** Test helpers: run the real program under mocks with a stack file plus overrides, and query what it declared. */
import * as assert from "node:assert/strict";
import { ProgramRun, RecordedResource, isSecret, loadStackFile, runProgram } from "../../offline/run";

export const T = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    globalDatastore: "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    user: "aws:elasticache/user:User",
    userGroup: "aws:elasticache/userGroup:UserGroup",
    subnetGroup: "aws:elasticache/subnetGroup:SubnetGroup",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    kmsKey: "aws:kms/key:Key",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    parameter: "aws:ssm/parameter:Parameter",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    record: "aws:route53/record:Record",
} as const;

/** Stack-file config with overrides: undefined deletes a key, strings stay as they are, the rest becomes JSON. */
export function stackConfigWith(overrides: Record<string, unknown>, baseStack = "prod"): { config: Record<string, string>; secretKeys: string[] } {
    const base = loadStackFile(baseStack);
    const config = { ...base.config };
    for (const [key, value] of Object.entries(overrides)) {
        const full = `elasticache-global:${key}`;
        if (value === undefined) {
            delete config[full];
        } else {
            config[full] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys: base.secretKeys };
}

export async function runWith(overrides: Record<string, unknown> = {}, baseStack = "prod", stack = "test"): Promise<ProgramRun> {
    const { config, secretKeys } = stackConfigWith(overrides, baseStack);
    return runProgram(stack, config, secretKeys);
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

export function inRegion(run: ProgramRun, type: string, region: string): RecordedResource[] {
    return ofType(run, type).filter((r) => r.state.region === region);
}

export function only(resources: RecordedResource[], what: string): RecordedResource {
    assert.equal(resources.length, 1, `expected exactly one ${what}, found ${resources.length}`);
    return resources[0];
}

export function memberIn(run: ProgramRun, region: string): RecordedResource {
    return only(inRegion(run, T.replicationGroup, region), `replication group in ${region}`);
}

/** Secret values as {secret: value}, so comparisons see both the value and that it stayed secret. */
export function plain(value: unknown): unknown {
    if (isSecret(value)) {
        return { secret: plain(value.value) };
    }
    if (Array.isArray(value)) {
        return value.map(plain);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}
