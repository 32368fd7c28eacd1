/** Network exposure: private subnet groups, no world-open cache port, no EC2-Classic security groups. */
import { skipReplicationGroupMember } from "./lib/applicability";
import { integerListOption } from "./lib/config";
import { DEFAULT_CACHE_PORT } from "./lib/defaults";
import { known, knownList, read } from "./lib/props";
import { resourceRule } from "./lib/rule";
import { TYPES } from "./lib/types";

/**
 * elasticache-no-default-subnet-group: subnetGroupName set and not "default". A value computed by
 * another resource counts as set: it comes from a subnet group the program creates, and AWS does not
 * let anyone create one named "default".
 */
export const noDefaultSubnetGroup = resourceRule({
    name: "elasticache-no-default-subnet-group",
    severity: "high",
    summary: "ElastiCache replication groups and clusters must use a subnet group of private subnets, not the default one",
    remediationSteps: "Create an aws.elasticache.SubnetGroup on private subnets in at least two availability zones and set subnetGroupName " +
        "to it. This replaces the cache: restore a snapshot into the new one.",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipReplicationGroupMember(c);
        const name = read<string>(c.props, "subnetGroupName");
        if (name.state === "absent" || (name.state === "known" && (name.value === "" || name.value === "default"))) {
            c.report("use a custom subnet group", name.state === "known" && name.value
                ? "sets subnetGroupName \"default\", the default VPC's subnets, which are usually public"
                : "leaves subnetGroupName unset, so AWS uses the default subnet group of the default VPC",
            "create a subnet group on private subnets and set subnetGroupName to it (replaces the cache)");
        }
    },
});

export interface PortNotPublicConfig {
    /** Ports the caches listen on. Default: [6379]. */
    ports: number[];
}

/** One ingress permission and the keys its resource type uses for protocol and sources. */
interface Ingress {
    rule: Record<string, unknown>;
    protocolKey: "protocol" | "ipProtocol";
    cidrKeys: string[];
}

function ingressOf(type: string, props: Record<string, unknown>): Ingress[] {
    if (type === TYPES.ec2SecurityGroup) {
        return knownList<Record<string, unknown>>(props, "ingress")
            .map((rule) => ({ rule, protocolKey: "protocol", cidrKeys: ["cidrBlocks", "ipv6CidrBlocks"] }));
    }
    if (type === TYPES.ec2SecurityGroupRule) {
        return known<string>(props, "type") === "ingress" ? [{ rule: props, protocolKey: "protocol", cidrKeys: ["cidrBlocks", "ipv6CidrBlocks"] }] : [];
    }
    return [{ rule: props, protocolKey: "ipProtocol", cidrKeys: ["cidrIpv4", "cidrIpv6"] }];
}

/** A /0 block: 0.0.0.0/0, ::/0 or any address written with a zero-length prefix. */
function isWorld(cidr: string): boolean {
    return /\/0$/.test(cidr.trim());
}

// Ports are read only for rules open to the world, so an unknown port on a private rule is no obstacle.
function opensPort(ingress: Ingress, port: number): boolean {
    const protocol = String(known(ingress.rule, ingress.protocolKey) ?? "").toLowerCase();
    if (protocol === "-1" || protocol === "all") {
        return true;
    }
    if (protocol !== "tcp" && protocol !== "6") {
        return false;
    }
    return (known<number>(ingress.rule, "fromPort") ?? 0) <= port && port <= (known<number>(ingress.rule, "toPort") ?? 65535);
}

/**
 * elasticache-port-not-public: no security group ingress (inline, SecurityGroupRule, or
 * vpc.SecurityGroupIngressRule) opens a cache port (default 6379) to 0.0.0.0/0 or ::/0. Option: ports.
 */
export const portNotPublic = resourceRule<PortNotPublicConfig>({
    name: "elasticache-port-not-public",
    severity: "critical",
    summary: "Security groups must not open a cache port to the whole internet (0.0.0.0/0 or ::/0)",
    remediationSteps: "Admit the cache port only from the application's CIDRs or, better, from its security groups " +
        "(referencedSecurityGroupId); reach the cache from outside the VPC through a VPN or peering, never the internet.",
    configSchema: {
        properties: {
            ports: integerListOption(`Ports the caches listen on. Default: [${DEFAULT_CACHE_PORT}].`, [DEFAULT_CACHE_PORT], 1, 65535),
        },
    },
    types: [TYPES.ec2SecurityGroup, TYPES.ec2SecurityGroupRule, TYPES.vpcIngressRule],
    check: (c) => {
        for (const ingress of ingressOf(c.args.type, c.props)) {
            const world = ingress.cidrKeys.flatMap((key) => knownList<string>(ingress.rule, key)).filter(isWorld);
            const ports = world.length > 0 ? c.config.ports.filter((p) => opensPort(ingress, p)) : [];
            if (ports.length > 0) {
                c.report("not open a cache port to the internet", `admits ${world.join(" and ")} on port ${ports.join(", ")}`,
                    "admit only the application's security groups or private CIDRs");
            }
        }
    },
});

/** elasticache-no-legacy-security-group: no EC2-Classic ElastiCache security groups. */
export const noLegacySecurityGroup = resourceRule({
    name: "elasticache-no-legacy-security-group",
    severity: "medium",
    summary: "Stacks must not declare ElastiCache security groups, which belong to EC2-Classic; caches use VPC security groups",
    remediationSteps: "Delete the aws.elasticache.SecurityGroup and put the cache in a VPC with securityGroupIds.",
    types: [TYPES.legacySecurityGroup],
    check: (c) => {
        c.report("not be used", "is an EC2-Classic cache security group", "use VPC security groups through securityGroupIds on the cache");
    },
});
