import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { privateSubnetCidrs } from "../config/network";
import { CacheRegionArgs, CREATED_SUBNET_COUNT } from "./args";

export interface RegionNetworkResources {
    vpcId: pulumi.Output<string>;
    subnetIds: pulumi.Output<string[]>;
    subnetGroup: aws.elasticache.SubnetGroup;
    securityGroup: aws.ec2.SecurityGroup;
}

/**
 * Private networking for one region's cache: the VPC and subnets (created or existing), a subnet group
 * on those subnets (never the default one), and a security group that admits the cache port only from
 * the configured CIDRs and security groups.
 */
export function createNetwork(name: string, parent: pulumi.Resource, args: CacheRegionArgs): RegionNetworkResources {
    const { region, network } = args;
    const opts = { parent };
    let vpcId: pulumi.Output<string>;
    let subnetIds: pulumi.Output<string[]>;
    if (network.mode === "existing") {
        vpcId = pulumi.output(network.vpcId);
        subnetIds = pulumi.output(network.subnetIds);
    } else {
        const vpc = new aws.ec2.Vpc(`${name}-vpc`, {
            region,
            cidrBlock: network.vpcCidr,
            enableDnsHostnames: true,
            enableDnsSupport: true,
            tags: { ...args.tags, Name: `${args.naming.namePrefix}-cache` },
        }, opts);
        const zones = aws.getAvailabilityZonesOutput({ region, state: "available" }, opts).names.apply((names) => {
            if (names.length < CREATED_SUBNET_COUNT) {
                throw new pulumi.ResourceError(
                    `${region} has ${names.length} available availability zones; a new cache VPC needs ${CREATED_SUBNET_COUNT}. ` +
                    `Set elasticache-global:networks.${region} to existing subnets instead.`, parent);
            }
            return names;
        });
        const cidrs = privateSubnetCidrs(network.vpcCidr, CREATED_SUBNET_COUNT);
        const subnets = cidrs.map((cidrBlock, i) => new aws.ec2.Subnet(`${name}-private-${i + 1}`, {
            region,
            vpcId: vpc.id,
            cidrBlock,
            availabilityZone: zones[i],
            mapPublicIpOnLaunch: false,
            tags: { ...args.tags, Name: `${args.naming.namePrefix}-cache-private-${i + 1}` },
        }, { parent: vpc }));
        vpcId = vpc.id;
        subnetIds = pulumi.all(subnets.map((s) => s.id));
    }

    const subnetGroup = new aws.elasticache.SubnetGroup(`${name}-subnets`, {
        region,
        name: `${args.naming.namePrefix}-cache`,
        description: `Private subnets of the ${args.naming.namePrefix} cache in ${region}`,
        subnetIds,
        tags: args.tags,
    }, opts);

    const securityGroup = new aws.ec2.SecurityGroup(`${name}-sg`, {
        region,
        name: `${args.naming.namePrefix}-cache`,
        description: `Clients of the ${args.naming.namePrefix} cache on port ${args.port}`,
        vpcId,
        tags: args.tags,
    }, opts);
    const ruleOpts = { parent: securityGroup };
    network.allowedCidrs.forEach((cidr, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-from-cidr-${i + 1}`, {
        region,
        securityGroupId: securityGroup.id,
        description: `cache clients in ${cidr}`,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        ...(cidr.includes(":") ? { cidrIpv6: cidr } : { cidrIpv4: cidr }),
        tags: args.tags,
    }, ruleOpts));
    network.allowedSecurityGroupIds.forEach((sg, i) => new aws.vpc.SecurityGroupIngressRule(`${name}-from-sg-${i + 1}`, {
        region,
        securityGroupId: securityGroup.id,
        description: `cache clients in ${sg}`,
        ipProtocol: "tcp",
        fromPort: args.port,
        toPort: args.port,
        referencedSecurityGroupId: sg,
        tags: args.tags,
    }, ruleOpts));

    return { vpcId, subnetIds, subnetGroup, securityGroup };
}
