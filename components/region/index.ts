import * as pulumi from "@pulumi/pulumi";
import { CacheRegionArgs } from "./args";
import { createEventSinks } from "./events";
import { createKey } from "./encryption";
import { createNetwork } from "./network";

export { CacheRegionArgs } from "./args";

/**
 * Everything one region's replication group stands on: private networking, a security group, a
 * customer-managed KMS key, encrypted log groups, a topic for ElastiCache events and an encrypted topic
 * for alarms.
 */
export class CacheRegion extends pulumi.ComponentResource {
    readonly region: string;
    readonly vpcId: pulumi.Output<string>;
    readonly subnetGroupName: pulumi.Output<string>;
    readonly securityGroupId: pulumi.Output<string>;
    readonly kmsKeyArn: pulumi.Output<string>;
    readonly slowLogGroupName: pulumi.Output<string>;
    readonly engineLogGroupName: pulumi.Output<string>;
    /** The topic the region's replication groups send their events to (notificationTopicArn). */
    readonly eventTopicArn: pulumi.Output<string>;
    /** The topic the region's alarms notify. */
    readonly alarmTopicArn: pulumi.Output<string>;

    constructor(name: string, args: CacheRegionArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elasticache-global:index:CacheRegion", name, {}, opts);
        this.region = args.region;
        const network = createNetwork(name, this, args);
        const key = createKey(name, this, args);
        const sinks = createEventSinks(name, this, args, key);

        this.vpcId = network.vpcId;
        this.subnetGroupName = network.subnetGroup.name;
        this.securityGroupId = network.securityGroup.id;
        this.kmsKeyArn = key.arn;
        this.slowLogGroupName = sinks.slowLog.name;
        this.engineLogGroupName = sinks.engineLog.name;
        this.eventTopicArn = sinks.eventTopic.arn;
        this.alarmTopicArn = sinks.alarmTopic.arn;
        this.registerOutputs({
            vpcId: this.vpcId,
            subnetGroupName: this.subnetGroupName,
            securityGroupId: this.securityGroupId,
            kmsKeyArn: this.kmsKeyArn,
            slowLogGroupName: this.slowLogGroupName,
            engineLogGroupName: this.engineLogGroupName,
            eventTopicArn: this.eventTopicArn,
            alarmTopicArn: this.alarmTopicArn,
        });
    }
}
