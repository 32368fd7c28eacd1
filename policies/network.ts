/**
 * Network exposure: private subnet groups, no world-open cache port, a port other than the engine's
 * default, no EC2-Classic security groups, and security groups that say what they admit.
 */
import { PolicyResource } from "@pulumi/policy";
import { skipReplicationGroupMember, skipSecondary } from "./lib/applicability";
import { integerListOption } from "./lib/config";
import { DEFAULT_CACHE_PORT, DEFAULT_PORT_BY_ENGINE } from "./lib/defaults";
import { engineFrom } from "./lib/inherited";
import { inputSettings, known, knownList, knownValue, read, stateSettings, Unverifiable } from "./lib/props";
import { resourceRule, stackRule } from "./lib/rule";
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
    /** Ports watched besides the port of every replication group and cluster in the stack. Default: [6379]. */
    ports: number[];
}

const INGRESS_TYPES: string[] = [TYPES.ec2SecurityGroup, TYPES.ec2SecurityGroupRule, TYPES.vpcIngressRule];

/** One ingress permission and the keys its resource type uses for protocol and sources. */
interface Ingress {
    rule: Record<string, unknown>;
    protocolKey: "protocol" | "ipProtocol";
    cidrKeys: string[];
}

function ingressOf(resource: PolicyResource): Ingress[] {
    if (resource.type === TYPES.ec2SecurityGroup) {
        // AWS computes the inline list of a group that declares none: unknown at creation, and empty.
        const inline = knownValue(stateSettings(resource)<unknown[]>("ingress"));
        return (inline === undefined ? [] : knownList<Record<string, unknown>>(resource.props, "ingress"))
            .map((rule) => ({ rule, protocolKey: "protocol", cidrKeys: ["cidrBlocks", "ipv6CidrBlocks"] }));
    }
    if (resource.type === TYPES.ec2SecurityGroupRule) {
        return known<string>(resource.props, "type") === "ingress"
            ? [{ rule: resource.props, protocolKey: "protocol", cidrKeys: ["cidrBlocks", "ipv6CidrBlocks"] }]
            : [];
    }
    return [{ rule: resource.props, protocolKey: "ipProtocol", cidrKeys: ["cidrIpv4", "cidrIpv6"] }];
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
 * The ports caches of the stack listen on: each replication group's and cluster's `port`, or its
 * engine's default when unset (AWS reports the default only once the cache exists). Throws
 * Unverifiable for a port another resource feeds.
 */
function cachePorts(resources: PolicyResource[]): number[] {
    const ports: number[] = [];
    for (const cache of resources.filter((r) => r.type === TYPES.replicationGroup || r.type === TYPES.cluster)) {
        const settings = stateSettings(cache);
        if (settings("port").state === "unknown") {
            throw new Unverifiable(`port of "${cache.name}"`, `set port on "${cache.name}" from a literal or stack config`);
        }
        const port = knownValue(settings<number>("port")) ?? DEFAULT_PORT_BY_ENGINE[engineFrom(settings)];
        if (port !== undefined) {
            ports.push(port);
        }
    }
    return ports;
}

/**
 * elasticache-port-not-public: no security group ingress (inline, SecurityGroupRule, or
 * vpc.SecurityGroupIngressRule) opens to 0.0.0.0/0 or ::/0 a port a cache of the stack listens on (its
 * `port`, or the engine default) or one of `ports` (default [6379]). A stack rule, so it sees the
 * caches' ports.
 */
export const portNotPublic = stackRule<PortNotPublicConfig>({
    name: "elasticache-port-not-public",
    severity: "critical",
    summary: "Security groups must not open a cache port (the port of any cache in the stack, or a configured one) to the whole internet (0.0.0.0/0 or ::/0)",
    remediationSteps: "Admit the cache port only from the application's CIDRs or, better, from its security groups " +
        "(referencedSecurityGroupId); reach the cache from outside the VPC through a VPN or peering, never the internet.",
    configSchema: {
        properties: {
            ports: integerListOption(`Ports watched besides the port of every replication group and cluster in the stack. Default: [${DEFAULT_CACHE_PORT}].`,
                [DEFAULT_CACHE_PORT], 1, 65535),
        },
    },
    check: (c) => {
        let watched: number[] | undefined;
        const portsToWatch = () => (watched ??= [...new Set([...c.config.ports, ...cachePorts(c.resources)])].sort((a, b) => a - b));
        c.forEach(c.resources.filter((r) => INGRESS_TYPES.includes(r.type)), (resource) => {
            for (const ingress of ingressOf(resource)) {
                const world = ingress.cidrKeys.flatMap((key) => knownList<string>(ingress.rule, key)).filter(isWorld);
                const ports = world.length > 0 ? portsToWatch().filter((p) => opensPort(ingress, p)) : [];
                if (ports.length > 0) {
                    c.report(resource, "not open a cache port to the internet", `admits ${world.join(" and ")} on port ${ports.join(", ")}`,
                        "admit only the application's security groups or private CIDRs");
                }
            }
        });
    },
});

/**
 * elasticache-no-legacy-security-group: no EC2-Classic cache security groups. @pulumi/aws 7.x no longer
 * has aws.elasticache.SecurityGroup; what remains of EC2-Classic is `securityGroupNames` (cache security
 * group names, as opposed to VPC securityGroupIds) on replication groups, and on clusters in older
 * providers. The old type is still flagged for older providers.
 */
export const noLegacySecurityGroup = resourceRule({
    name: "elasticache-no-legacy-security-group",
    severity: "medium",
    summary: "ElastiCache replication groups and clusters must not use EC2-Classic cache security groups (securityGroupNames, or the aws.elasticache.SecurityGroup of older providers); caches use VPC security groups",
    remediationSteps: "Remove securityGroupNames and put the cache in a VPC with securityGroupIds (this replaces the cache: restore a snapshot " +
        "into the new one); delete any aws.elasticache.SecurityGroup.",
    types: [TYPES.replicationGroup, TYPES.cluster, TYPES.legacySecurityGroup],
    check: (c) => {
        if (c.args.type === TYPES.legacySecurityGroup) {
            c.report("not be used", "is an EC2-Classic cache security group", "use VPC security groups through securityGroupIds on the cache");
            return;
        }
        const names = knownList<string>(c.props, "securityGroupNames");
        if (names.length > 0) {
            c.report("not use EC2-Classic cache security groups", `sets securityGroupNames ${JSON.stringify(names)}`,
                "remove securityGroupNames and set securityGroupIds to VPC security groups (replaces the cache)");
        }
    },
});

/**
 * elasticache-non-default-port: `port` set, and not the engine's default (6379 for Valkey and Redis OSS,
 * 11211 for memcached); unset means the default. A Global Datastore secondary takes the primary's port
 * and is not applicable.
 */
export const nonDefaultPort = resourceRule({
    name: "elasticache-non-default-port",
    severity: "low",
    summary: "ElastiCache replication groups and clusters must listen on a port other than their engine's default (6379, or 11211 for memcached), which scanners of the whole internet try first",
    remediationSteps: "Set port to another port (for example 6380) on the primary replication group or the cluster, and in the security " +
        "group rules that admit clients. The port replaces the cache: restore a snapshot into the new one, and for a Global " +
        "Datastore build a new generation of it.",
    types: [TYPES.replicationGroup, TYPES.cluster],
    check: (c) => {
        skipSecondary(c);
        skipReplicationGroupMember(c);
        const engine = engineFrom(inputSettings(c.props));
        const defaultPort = DEFAULT_PORT_BY_ENGINE[engine];
        if (defaultPort === undefined) {
            c.notApplicable(`"${c.subject.name}" runs ${engine}, whose default port the pack does not know`);
        }
        const port = known<number>(c.props, "port");
        if (port === undefined || port === defaultPort) {
            c.report(`listen on a port other than ${engine}'s default ${defaultPort}`,
                port === undefined ? `leaves port unset, so it listens on ${defaultPort}` : `sets port ${port}`,
                `set port to another one, for example ${defaultPort + 1} (replaces the cache)`);
        }
    },
});

/** Descriptions the provider writes when a program gives none (the Terraform provider's, under Pulumi). */
const PROVIDER_DEFAULT_DESCRIPTIONS = ["Managed by Pulumi", "Managed by Terraform"];

const DESCRIBED_TYPES: string[] = [TYPES.legacySecurityGroup, TYPES.ec2SecurityGroup, TYPES.ec2SecurityGroupRule, TYPES.vpcIngressRule, TYPES.vpcEgressRule];

/** Why a description says nothing, or undefined when it says something (an unknown one is set, and counts). */
function emptyDescription(props: Record<string, unknown>): string | undefined {
    const description = read<string>(props, "description");
    if (description.state === "absent" || (description.state === "known" && description.value.trim() === "")) {
        return "has no description";
    }
    if (description.state === "known" && PROVIDER_DEFAULT_DESCRIPTIONS.includes(description.value.trim())) {
        return `keeps the provider's default description "${description.value}"`;
    }
    return undefined;
}

/**
 * elasticache-security-group-description: every security group and security group rule of the stack
 * (EC2-Classic cache security groups, VPC security groups with their inline rules, SecurityGroupRule,
 * vpc.SecurityGroupIngressRule and EgressRule) has a description other than the provider's default,
 * so an audit can tell what each one admits and why.
 */
export const securityGroupDescription = resourceRule({
    name: "elasticache-security-group-description",
    severity: "low",
    summary: "Security groups and their rules must carry a description of what they admit, other than the provider's default",
    remediationSteps: "Set description on every security group (for example \"Clients of the prod cache on port 6379\"; it replaces the " +
        "group, since AWS cannot update it) and on every rule (\"cache clients in 10.20.0.0/16\"; rules update in place).",
    types: DESCRIBED_TYPES,
    check: (c) => {
        const problem = emptyDescription(c.props);
        if (problem) {
            c.report("say what it admits in its description", problem, c.args.type === TYPES.ec2SecurityGroup || c.args.type === TYPES.legacySecurityGroup
                ? "set description (replaces the security group)" : "set description");
        }
        if (c.args.type !== TYPES.ec2SecurityGroup) {
            return;
        }
        for (const direction of ["ingress", "egress"]) {
            const undescribed = knownList<Record<string, unknown>>(c.props, direction)
                .map((rule, i) => (emptyDescription(rule) ? i : -1)).filter((i) => i >= 0);
            if (undescribed.length > 0) {
                c.report("describe each of its rules", `has inline ${direction} rule${undescribed.length === 1 ? "" : "s"} ${undescribed.join(", ")} without a description`,
                    `set description on each inline ${direction} rule`);
            }
        }
    },
});
