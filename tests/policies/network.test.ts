import * as assert from "node:assert/strict";
import { TYPES } from "../../policies/lib/types";
import { noDefaultSubnetGroup, noLegacySecurityGroup, nonDefaultPort, portNotPublic, securityGroupDescription } from "../../policies/network";
import { checkResource, checkStack, StackInput, UNKNOWN, urnOf } from "./helpers";
import { compliantCluster, compliantPrimary, compliantSecondary } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });
const vpcRule = (props: Record<string, unknown>): StackInput => ({ type: TYPES.vpcIngressRule, name: "from-cidr-1", props: { region: "us-east-1", ipProtocol: "tcp", fromPort: 6379, toPort: 6379, ...props } });

describe("policies/network", () => {
    describe("elasticache-no-default-subnet-group", () => {
        it("passes a custom subnet group, known or computed", async () => {
            assert.deepEqual((await checkResource(noDefaultSubnetGroup, group(compliantPrimary()))).violations, []);
            assert.deepEqual((await checkResource(noDefaultSubnetGroup, group(compliantPrimary({ subnetGroupName: UNKNOWN })))).violations, []);
        });

        it("fails the default subnet group, named or implied", async () => {
            assert.match((await checkResource(noDefaultSubnetGroup, group(compliantPrimary({ subnetGroupName: "default" })))).violations.join("\n"),
                /^ElastiCache replication group must use a custom subnet group: .* sets subnetGroupName "default"/);
            assert.match((await checkResource(noDefaultSubnetGroup, { type: TYPES.cluster, props: compliantCluster({ subnetGroupName: undefined }) })).violations.join("\n"),
                /^ElastiCache cluster must use a custom subnet group: .* leaves subnetGroupName unset/);
        });
    });

    describe("elasticache-port-not-public", () => {
        /** A stack with the compliant primary (port 6379) and the given security group resources. */
        const stack = (...ingress: StackInput[]): StackInput[] => [{ type: TYPES.replicationGroup, name: "cache-us-east-1", props: compliantPrimary() }, ...ingress];
        const check = (resources: StackInput[], config: Record<string, unknown> = {}) => checkStack(portNotPublic, resources, config);

        it("passes a rule from a private CIDR", async () => {
            assert.deepEqual((await check(stack(vpcRule({ cidrIpv4: "10.100.0.0/16" })))).violations, []);
        });

        it("fails 0.0.0.0/0 and ::/0 on the cache port, on the rule", async () => {
            const outcome = await check(stack(vpcRule({ cidrIpv4: "0.0.0.0/0" })));
            assert.match(outcome.violations.join("\n"),
                /^Security group ingress rule must not open a cache port to the internet: "from-cidr-1" in us-east-1 admits 0\.0\.0\.0\/0 on port 6379/);
            assert.deepEqual(outcome.urns, [urnOf(TYPES.vpcIngressRule, "from-cidr-1")]);
            assert.equal((await check(stack(vpcRule({ cidrIpv6: "::/0" })))).violations.length, 1);
        });

        it("fails all-protocol rules and port ranges that include the cache port", async () => {
            assert.equal((await check(stack(vpcRule({ ipProtocol: "-1", fromPort: undefined, toPort: undefined, cidrIpv4: "0.0.0.0/0" })))).violations.length, 1);
            assert.equal((await check(stack(vpcRule({ fromPort: 6000, toPort: 7000, cidrIpv4: "0.0.0.0/0" })))).violations.length, 1);
        });

        it("passes the world on another port or protocol", async () => {
            assert.deepEqual((await check(stack(vpcRule({ fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" })))).violations, []);
            assert.deepEqual((await check(stack(vpcRule({ ipProtocol: "udp", cidrIpv4: "0.0.0.0/0" })))).violations, []);
        });

        it("watches the configured ports", async () => {
            const rule = vpcRule({ fromPort: 6380, toPort: 6380, cidrIpv4: "0.0.0.0/0" });
            assert.deepEqual((await check(stack(rule))).violations, []);
            assert.equal((await check(stack(rule), { ports: [6379, 6380] })).violations.length, 1);
        });

        it("watches the port of every replication group and cluster in the stack", async () => {
            const open = vpcRule({ fromPort: 6380, toPort: 6380, cidrIpv4: "0.0.0.0/0" });
            const group6380 = { type: TYPES.replicationGroup, name: "cache-6380", props: compliantPrimary({ port: 6380 }) };
            const cluster6380 = { type: TYPES.cluster, name: "single-6380", props: compliantCluster({ port: 6380 }) };
            assert.match((await check([...stack(open), group6380])).violations.join("\n"), /admits 0\.0\.0\.0\/0 on port 6380/);
            assert.match((await check([...stack(open), cluster6380])).violations.join("\n"), /admits 0\.0\.0\.0\/0 on port 6380/);
        });

        it("takes the engine's default port for a cache that sets none, also when AWS has not reported it yet", async () => {
            const open = (port: number) => vpcRule({ fromPort: port, toPort: port, cidrIpv4: "0.0.0.0/0" });
            const memcached = { type: TYPES.cluster, name: "memo", props: compliantCluster({ engine: "memcached", port: UNKNOWN }) };
            assert.match((await check([memcached, open(11211)])).violations.join("\n"), /on port 11211/);
            const valkey = { type: TYPES.cluster, name: "single", props: compliantCluster({ port: undefined }) };
            assert.match((await check([valkey, open(6379)], { ports: [1] })).violations.join("\n"), /on port 6379/);
        });

        it("reports 'could not verify' for a cache port fed by another resource only when a rule opens something to the world", async () => {
            const fed: StackInput = { type: TYPES.replicationGroup, name: "cache-fed", props: compliantPrimary({ port: UNKNOWN }), feeds: { port: ["from-cidr-1"] } };
            const open = await check([fed, vpcRule({ fromPort: 0, toPort: 1024, cidrIpv4: "0.0.0.0/0" })]);
            assert.match(open.violations.join("\n"), /^could not verify elasticache-port-not-public on Security group ingress rule "from-cidr-1" in us-east-1: port of "cache-fed" is unknown/);
            assert.deepEqual((await check([fed, vpcRule({ cidrIpv4: "10.0.0.0/8" })])).violations, []);
        });

        it("checks inline ingress of an EC2 security group", async () => {
            const sg = { type: TYPES.ec2SecurityGroup, name: "sg", props: { region: "us-east-1", ingress: [
                { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] },
                { protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["10.0.0.0/8"], ipv6CidrBlocks: ["::/0"] },
            ] } };
            assert.match((await check(stack(sg))).violations.join("\n"), /^Security group must not open a cache port to the internet: .* admits ::\/0 on port 6379/);
        });

        it("reads a security group's inline ingress that AWS computes (none declared) as empty", async () => {
            const sg = { type: TYPES.ec2SecurityGroup, name: "sg", props: { region: "us-east-1", ingress: UNKNOWN } };
            assert.deepEqual((await check(stack(sg))).violations, []);
        });

        it("checks SecurityGroupRule resources of type ingress only", async () => {
            const rule = (type: string) => ({ type: TYPES.ec2SecurityGroupRule, name: `rule-${type}`, props: { region: "us-east-1", type, protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["0.0.0.0/0"] } });
            assert.equal((await check(stack(rule("ingress")))).violations.length, 1);
            assert.deepEqual((await check(stack(rule("egress")))).violations, []);
        });

        it("does not need the ports of a rule that is not open to the world", async () => {
            assert.deepEqual((await check(stack(vpcRule({ fromPort: UNKNOWN, toPort: UNKNOWN, cidrIpv4: "10.0.0.0/8" })))).violations, []);
        });

        it("reports 'could not verify' when a world-open rule's ports come from another resource", async () => {
            const rule: StackInput = { ...vpcRule({ fromPort: UNKNOWN, cidrIpv4: "0.0.0.0/0" }), feeds: { fromPort: ["cache-us-east-1"] } };
            const { violations } = await check(stack(rule));
            assert.match(violations.join("\n"), /^could not verify elasticache-port-not-public .*fromPort is unknown/);
        });

        it("rejects a port outside 1..65535, naming the option", async () => {
            await assert.rejects(check(stack(vpcRule({ cidrIpv4: "10.0.0.0/8" })), { ports: [70000] }),
                /policy elasticache-port-not-public: option ports is \[70000\]; expected a list whose items are each an integer of at most 65535/);
        });
    });

    describe("elasticache-no-legacy-security-group", () => {
        it("fails a replication group or cluster that names EC2-Classic cache security groups (securityGroupNames)", async () => {
            const { violations } = await checkResource(noLegacySecurityGroup, group(compliantPrimary({ securityGroupNames: ["default"] })));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /^ElastiCache replication group must not use EC2-Classic cache security groups: "cache-us-east-1" in us-east-1 sets securityGroupNames \["default"\]/);
            const cluster = await checkResource(noLegacySecurityGroup, { type: TYPES.cluster, name: "single", props: compliantCluster({ securityGroupNames: ["legacy"] }) });
            assert.match(cluster.violations.join("\n"), /^ElastiCache cluster must not use EC2-Classic cache security groups/);
        });

        it("passes VPC security groups only (securityGroupIds), with securityGroupNames unset or empty", async () => {
            assert.deepEqual((await checkResource(noLegacySecurityGroup, group(compliantPrimary()))).violations, []);
            assert.deepEqual((await checkResource(noLegacySecurityGroup, group(compliantPrimary({ securityGroupNames: [] })))).violations, []);
        });

        it("reports 'could not verify' for securityGroupNames fed by another resource", async () => {
            const { violations } = await checkResource(noLegacySecurityGroup, group(compliantPrimary({ securityGroupNames: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-no-legacy-security-group .*securityGroupNames is unknown/);
        });

        it("still fails the aws.elasticache.SecurityGroup type of older providers", async () => {
            const { violations } = await checkResource(noLegacySecurityGroup, { type: TYPES.legacySecurityGroup, name: "classic", props: { name: "classic" } });
            assert.match(violations.join("\n"), /^ElastiCache security group must not be used: "classic"/);
        });

        it("is not applicable to VPC security groups", async () => {
            assert.ok((await checkResource(noLegacySecurityGroup, { type: TYPES.ec2SecurityGroup, props: {} })).notApplicable);
        });
    });
    describe("elasticache-non-default-port", () => {
        it("passes a port other than the engine's default", async () => {
            assert.deepEqual((await checkResource(nonDefaultPort, group(compliantPrimary({ port: 6380 })))).violations, []);
            assert.deepEqual((await checkResource(nonDefaultPort, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached", port: 11212 }) })).violations, []);
        });

        it("fails the default port, set or left unset, per engine", async () => {
            const set = await checkResource(nonDefaultPort, group(compliantPrimary({ port: 6379 })));
            assert.equal(set.violations.length, 1);
            assert.match(set.violations[0], /^ElastiCache replication group must listen on a port other than valkey's default 6379: "cache-us-east-1" in us-east-1 sets port 6379\. Fix: set port to another one, for example 6380 \(replaces the cache\)/);
            const unset = await checkResource(nonDefaultPort, { type: TYPES.cluster, props: compliantCluster({ engine: "memcached", port: undefined }) });
            assert.match(unset.violations.join("\n"), /must listen on a port other than memcached's default 11211: .* leaves port unset, so it listens on 11211/);
            const redis = await checkResource(nonDefaultPort, { type: TYPES.cluster, props: compliantCluster({ engine: undefined, port: 6379 }) });
            assert.match(redis.violations.join("\n"), /redis's default 6379/);
        });

        it("is not applicable to a secondary, which takes the primary's port, or to a node of a replication group", async () => {
            assert.match((await checkResource(nonDefaultPort, group(compliantSecondary()))).notApplicable ?? "", /joins a Global Datastore/);
            assert.match((await checkResource(nonDefaultPort, { type: TYPES.cluster, props: compliantCluster({ replicationGroupId: "prod", port: undefined }) })).notApplicable ?? "",
                /node of a replication group/);
        });

        it("reports 'could not verify' for an unknown port", async () => {
            const { violations } = await checkResource(nonDefaultPort, group(compliantPrimary({ port: UNKNOWN })));
            assert.match(violations.join("\n"), /^could not verify elasticache-non-default-port .*port is unknown/);
        });
    });

    describe("elasticache-security-group-description", () => {
        const sg = (props: Record<string, unknown>) => ({ type: TYPES.ec2SecurityGroup, name: "cache-sg", props: { region: "us-east-1", ...props } });

        it("passes groups and rules that describe what they admit, a description computed by another resource included", async () => {
            assert.deepEqual((await checkResource(securityGroupDescription, sg({ description: "Clients of the prod cache on port 6379" }))).violations, []);
            assert.deepEqual((await checkResource(securityGroupDescription, { type: TYPES.vpcIngressRule, props: { description: "cache clients in 10.20.0.0/16" } })).violations, []);
            assert.deepEqual((await checkResource(securityGroupDescription, sg({ description: UNKNOWN }))).violations, []);
        });

        it("fails no description, an empty one, and the provider's default", async () => {
            const none = await checkResource(securityGroupDescription, { type: TYPES.legacySecurityGroup, name: "classic", props: {} });
            assert.match(none.violations.join("\n"), /^ElastiCache security group must say what it admits in its description: "classic" .* has no description\. Fix: set description \(replaces the security group\)/);
            assert.match((await checkResource(securityGroupDescription, { type: TYPES.vpcEgressRule, props: { description: " " } })).violations.join("\n"),
                /^Security group egress rule must say what it admits .* has no description\. Fix: set description$/);
            assert.match((await checkResource(securityGroupDescription, sg({ description: "Managed by Pulumi" }))).violations.join("\n"),
                /keeps the provider's default description "Managed by Pulumi"/);
        });

        it("fails inline rules without a description, by index", async () => {
            const { violations } = await checkResource(securityGroupDescription,
                sg({ description: "cache", ingress: [{ protocol: "tcp", fromPort: 6379, toPort: 6379, description: "app" }, { protocol: "tcp", fromPort: 6379, toPort: 6379 }] }));
            assert.equal(violations.length, 1);
            assert.match(violations[0], /must describe each of its rules: .* has inline ingress rule 1 without a description/);
        });

        it("is not applicable to caches", async () => {
            assert.ok((await checkResource(securityGroupDescription, group(compliantPrimary()))).notApplicable);
        });
    });
});
