import * as assert from "node:assert/strict";
import { TYPES } from "../../policies/lib/types";
import { noDefaultSubnetGroup, noLegacySecurityGroup, portNotPublic } from "../../policies/network";
import { checkResource, UNKNOWN } from "./helpers";
import { compliantCluster, compliantPrimary } from "./fixtures";

const group = (props: Record<string, unknown>) => ({ type: TYPES.replicationGroup, name: "cache-us-east-1", props });
const vpcRule = (props: Record<string, unknown>) => ({ type: TYPES.vpcIngressRule, name: "from-cidr-1", props: { region: "us-east-1", ipProtocol: "tcp", fromPort: 6379, toPort: 6379, ...props } });

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
        it("passes a rule from a private CIDR", async () => {
            assert.deepEqual((await checkResource(portNotPublic, vpcRule({ cidrIpv4: "10.100.0.0/16" }))).violations, []);
        });

        it("fails 0.0.0.0/0 and ::/0 on the cache port", async () => {
            assert.match((await checkResource(portNotPublic, vpcRule({ cidrIpv4: "0.0.0.0/0" }))).violations.join("\n"),
                /^Security group ingress rule must not open a cache port to the internet: "from-cidr-1" in us-east-1 admits 0\.0\.0\.0\/0 on port 6379/);
            assert.equal((await checkResource(portNotPublic, vpcRule({ cidrIpv6: "::/0" }))).violations.length, 1);
        });

        it("fails all-protocol rules and port ranges that include the cache port", async () => {
            assert.equal((await checkResource(portNotPublic, vpcRule({ ipProtocol: "-1", fromPort: undefined, toPort: undefined, cidrIpv4: "0.0.0.0/0" }))).violations.length, 1);
            assert.equal((await checkResource(portNotPublic, vpcRule({ fromPort: 6000, toPort: 7000, cidrIpv4: "0.0.0.0/0" }))).violations.length, 1);
        });

        it("passes the world on another port or protocol", async () => {
            assert.deepEqual((await checkResource(portNotPublic, vpcRule({ fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" }))).violations, []);
            assert.deepEqual((await checkResource(portNotPublic, vpcRule({ ipProtocol: "udp", cidrIpv4: "0.0.0.0/0" }))).violations, []);
        });

        it("watches the configured ports", async () => {
            const rule = vpcRule({ fromPort: 6380, toPort: 6380, cidrIpv4: "0.0.0.0/0" });
            assert.deepEqual((await checkResource(portNotPublic, rule)).violations, []);
            assert.equal((await checkResource(portNotPublic, rule, { ports: [6379, 6380] })).violations.length, 1);
        });

        it("checks inline ingress of an EC2 security group", async () => {
            const sg = { type: TYPES.ec2SecurityGroup, name: "sg", props: { ingress: [
                { protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] },
                { protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["10.0.0.0/8"], ipv6CidrBlocks: ["::/0"] },
            ] } };
            assert.match((await checkResource(portNotPublic, sg)).violations.join("\n"), /^Security group must not open a cache port to the internet: .* admits ::\/0 on port 6379/);
        });

        it("checks SecurityGroupRule resources of type ingress only", async () => {
            const rule = (type: string) => ({ type: TYPES.ec2SecurityGroupRule, props: { type, protocol: "tcp", fromPort: 6379, toPort: 6379, cidrBlocks: ["0.0.0.0/0"] } });
            assert.equal((await checkResource(portNotPublic, rule("ingress"))).violations.length, 1);
            assert.deepEqual((await checkResource(portNotPublic, rule("egress"))).violations, []);
        });

        it("does not need the ports of a rule that is not open to the world", async () => {
            assert.deepEqual((await checkResource(portNotPublic, vpcRule({ fromPort: UNKNOWN, toPort: UNKNOWN, cidrIpv4: "10.0.0.0/8" }))).violations, []);
        });

        it("reports 'could not verify' when a world-open rule's ports are unknown", async () => {
            const { violations } = await checkResource(portNotPublic, vpcRule({ fromPort: UNKNOWN, cidrIpv4: "0.0.0.0/0" }));
            assert.match(violations.join("\n"), /^could not verify elasticache-port-not-public .*fromPort is unknown/);
        });

        it("rejects a port outside 1..65535, naming the option", async () => {
            await assert.rejects(checkResource(portNotPublic, vpcRule({ cidrIpv4: "10.0.0.0/8" }), { ports: [70000] }),
                /policy elasticache-port-not-public: option ports is \[70000\]; expected a list whose items are each an integer of at most 65535/);
        });
    });

    describe("elasticache-no-legacy-security-group", () => {
        it("fails any ElastiCache security group", async () => {
            const { violations } = await checkResource(noLegacySecurityGroup, { type: TYPES.legacySecurityGroup, name: "classic", props: { name: "classic" } });
            assert.match(violations.join("\n"), /^ElastiCache security group must not be used: "classic"/);
        });

        it("is not applicable to VPC security groups", async () => {
            assert.ok((await checkResource(noLegacySecurityGroup, { type: TYPES.ec2SecurityGroup, props: {} })).notApplicable);
        });
    });
});
