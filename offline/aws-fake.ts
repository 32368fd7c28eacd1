/**
 * A stand-in for the AWS provider under `pulumi.runtime.setMocks`: it answers resource registrations
 * and invokes with the shape AWS would (ids, ARNs, endpoints), deterministically, so the offline plan
 * and the tests see the values the real provider would compute. Values it makes up are fake and say so
 * where a reader could mistake them (account 123456789012, `.fake` hash parts).
 */
import { createHash } from "crypto";
import * as pulumi from "@pulumi/pulumi";

export const FAKE_ACCOUNT_ID = "123456789012";
export const DEFAULT_REGION = "us-east-1";

function hex(seed: string, length: number): string {
    return createHash("sha256").update(seed).digest("hex").slice(0, length);
}

function letters(seed: string, length: number): string {
    return [...createHash("sha256").update(seed).digest()].slice(0, length).map((b) => String.fromCharCode(97 + (b % 26))).join("");
}

/**
 * The short region code ElastiCache puts in endpoints: us-east-1 -> use1, ap-southeast-2 -> apse2.
 * Assumption: the endpoint form `clustercfg.<id>.<hash>.<code>.cache.amazonaws.com` is taken from
 * endpoints AWS hands out, not from a page that specifies it; the program only passes it on.
 */
export function endpointRegionCode(region: string): string {
    const [area, direction, number] = region.split("-");
    const dir = direction.replace(/^(north|south)(east|west)$/, (_, a: string, b: string) => a[0] + b[0]).replace(/^(north|south|east|west|central)$/, (d: string) => d[0]);
    return `${area}${dir}${number}`;
}

function arn(service: string, region: string, resource: string): string {
    return `arn:aws:${service}:${region}:${FAKE_ACCOUNT_ID}:${resource}`;
}

type State = Record<string, unknown>;

/** Computed outputs per resource type, given the inputs. Types not listed get an id and nothing else. */
const COMPUTED: Record<string, (name: string, inputs: State, region: string) => { id: string; state: State }> = {
    "aws:iam/role:Role": (name, inputs) => {
        const roleName = String(inputs.name ?? name);
        return { id: roleName, state: { arn: `arn:aws:iam::${FAKE_ACCOUNT_ID}:role/${roleName}` } };
    },
    "aws:elasticache/replicationGroup:ReplicationGroup": (name, inputs, region) => {
        const id = String(inputs.replicationGroupId ?? name);
        return {
            id,
            state: {
                arn: arn("elasticache", region, `replicationgroup:${id}`),
                configurationEndpointAddress: `clustercfg.${id}.${hex(id, 6)}.${endpointRegionCode(region)}.cache.amazonaws.com`,
                port: inputs.port ?? 6379,
                engine: inputs.engine ?? "(inherited from the datastore)",
                globalReplicationGroupId: inputs.globalReplicationGroupId,
            },
        };
    },
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": (name, inputs) => {
        // AWS prefixes the suffix with a region-specific code of five letters (terraform-provider-aws
        // global_replication_group.go, GlobalReplicationGroupRegionPrefixFormat "[[:alpha:]]{5}-"); this one is made up.
        const id = `${letters(String(inputs.region ?? DEFAULT_REGION), 5)}-${inputs.globalReplicationGroupIdSuffix}`;
        return { id, state: { globalReplicationGroupId: id, arn: `arn:aws:elasticache::${FAKE_ACCOUNT_ID}:globalreplicationgroup:${id}` } };
    },
    "aws:elasticache/user:User": (name, inputs, region) => ({ id: String(inputs.userId), state: { arn: arn("elasticache", region, `user:${inputs.userId}`) } }),
    "aws:elasticache/userGroup:UserGroup": (name, inputs, region) => ({ id: String(inputs.userGroupId), state: { arn: arn("elasticache", region, `usergroup:${inputs.userGroupId}`) } }),
    "aws:elasticache/subnetGroup:SubnetGroup": (name, inputs, region) => ({ id: String(inputs.name), state: { arn: arn("elasticache", region, `subnetgroup:${inputs.name}`) } }),
    "aws:kms/key:Key": (name, inputs, region) => {
        const keyId = `${hex(name, 8)}-${hex(name + 1, 4)}-${hex(name + 2, 4)}-${hex(name + 3, 4)}-${hex(name + 4, 12)}`;
        return { id: keyId, state: { keyId, arn: arn("kms", region, `key/${keyId}`) } };
    },
    "aws:kms/alias:Alias": (name, inputs, region) => ({ id: String(inputs.name), state: { arn: arn("kms", region, String(inputs.name)) } }),
    "aws:ec2/vpc:Vpc": (name) => ({ id: `vpc-${hex(name, 17)}`, state: {} }),
    "aws:ec2/subnet:Subnet": (name) => ({ id: `subnet-${hex(name, 17)}`, state: {} }),
    "aws:ec2/securityGroup:SecurityGroup": (name) => ({ id: `sg-${hex(name, 17)}`, state: {} }),
    "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule": (name) => ({ id: `sgr-${hex(name, 17)}`, state: {} }),
    "aws:cloudwatch/logGroup:LogGroup": (name, inputs, region) => ({ id: String(inputs.name), state: { arn: arn("logs", region, `log-group:${inputs.name}`) } }),
    "aws:sns/topic:Topic": (name, inputs, region) => ({ id: arn("sns", region, String(inputs.name)), state: { arn: arn("sns", region, String(inputs.name)) } }),
    "aws:ssm/parameter:Parameter": (name, inputs, region) => ({ id: String(inputs.name), state: { arn: arn("ssm", region, `parameter${inputs.name}`) } }),
    "aws:cloudwatch/metricAlarm:MetricAlarm": (name, inputs, region) => ({ id: String(inputs.name), state: { arn: arn("cloudwatch", region, `alarm:${inputs.name}`) } }),
    "aws:cloudwatch/dashboard:Dashboard": (name, inputs) => ({ id: String(inputs.dashboardName), state: {} }),
    "aws:route53/record:Record": (name, inputs) => ({ id: `${inputs.zoneId}_${inputs.name}_${inputs.type}`, state: { fqdn: inputs.name } }),
};

export class AwsFake implements pulumi.runtime.Mocks {
    newResource(args: pulumi.runtime.MockResourceArgs): { id: string | undefined; state: State } {
        if (!args.custom) {
            return { id: undefined, state: {} };
        }
        const region = String(args.inputs.region ?? DEFAULT_REGION);
        const computed = COMPUTED[args.type]?.(args.name, args.inputs, region) ?? { id: `${args.name}-${hex(args.name, 8)}`, state: {} };
        return { id: computed.id, state: { ...args.inputs, region, ...computed.state } };
    }

    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
        switch (args.token) {
            case "aws:index/getCallerIdentity:getCallerIdentity":
                return { accountId: FAKE_ACCOUNT_ID, arn: `arn:aws:iam::${FAKE_ACCOUNT_ID}:user/offline-plan`, userId: "AIDAOFFLINEPLAN", id: FAKE_ACCOUNT_ID };
            case "aws:index/getPartition:getPartition":
                return { partition: "aws", dnsSuffix: "amazonaws.com", reverseDnsPrefix: "com.amazonaws", id: "aws" };
            // Three zones per region, ids `<code>-az<n>`: made up for the plan, real regions differ.
            case "aws:index/getAvailabilityZones:getAvailabilityZones": {
                const region = String(args.inputs.region ?? DEFAULT_REGION);
                const suffixes = ["a", "b", "c"];
                return {
                    names: suffixes.map((s) => `${region}${s}`),
                    zoneIds: suffixes.map((_, i) => `${endpointRegionCode(region)}-az${i + 1}`),
                    id: region,
                };
            }
            default:
                throw new Error(`the offline AWS fake does not answer ${args.token}; add it to offline/aws-fake.ts`);
        }
    }
}
