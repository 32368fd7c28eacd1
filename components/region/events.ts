import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { alarmTopicName, eventTopicName, logGroupName } from "../naming";
import { CacheRegionArgs } from "./args";

export interface RegionEventResources {
    slowLog: aws.cloudwatch.LogGroup;
    engineLog: aws.cloudwatch.LogGroup;
    /** Where the region's replication groups send their events (notificationTopicArn). Not encrypted. */
    eventTopic: aws.sns.Topic;
    /** Where the region's alarms send their state changes. Encrypted with the region's key. */
    alarmTopic: aws.sns.Topic;
}

/**
 * Where the region's cache reports: encrypted log groups for slow-log and engine-log delivery, a topic
 * for ElastiCache events and an encrypted topic for alarms, each with the configured email addresses.
 *
 * Two topics, because ElastiCache cannot publish to an encrypted topic. The ElastiCache guide ("Event
 * Notifications and Amazon SNS", "Managing ElastiCache Amazon SNS notifications"): the topic must be in
 * the cluster's account and region and must not be encrypted (an encrypted topic shows as inactive,
 * which disassociates it), and its access policy must use the aws:SourceOwner condition key; with
 * aws:SourceAccount, ElastiCache cannot publish and sets the topic inactive, which Global Datastore
 * failovers trigger. Neither failure shows in `pulumi up`. Events carry ids and states, no cache data.
 */
export function createEventSinks(name: string, parent: pulumi.Resource, args: CacheRegionArgs, key: aws.kms.Key): RegionEventResources {
    const { region } = args;
    const logGroup = (logType: "slow-log" | "engine-log") => new aws.cloudwatch.LogGroup(`${name}-${logType}`, {
        region,
        name: logGroupName(args.naming, logType),
        retentionInDays: args.logRetentionDays,
        kmsKeyId: key.arn,
        tags: args.tags,
    }, { parent });
    const slowLog = logGroup("slow-log");
    const engineLog = logGroup("engine-log");

    const identity = aws.getCallerIdentityOutput({}, { parent });
    const partition = aws.getPartitionOutput({}, { parent });

    // Keeps the logical name of the single topic the program had before, so the existing topic and its
    // confirmed subscriptions stay: dropping kmsMasterKeyId is an update in place.
    const eventTopic = new aws.sns.Topic(`${name}-events`, {
        region,
        name: eventTopicName(args.naming),
        tags: args.tags,
    }, { parent });
    new aws.sns.TopicPolicy(`${name}-events-policy`, {
        region,
        arn: eventTopic.arn,
        // The statement "Managing ElastiCache Amazon SNS notifications" gives, as it gives it.
        policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{
                Sid: "AllowElastiCachePublish",
                Effect: "Allow",
                Principal: { AWS: "*" },
                Action: "SNS:Publish",
                Resource: eventTopic.arn,
                Condition: { StringEquals: { "AWS:SourceOwner": identity.accountId } },
            }],
        }),
    }, { parent: eventTopic });

    const alarmTopic = new aws.sns.Topic(`${name}-alarms`, {
        region,
        name: alarmTopicName(args.naming),
        kmsMasterKeyId: key.arn,
        tags: args.tags,
    }, { parent });
    new aws.sns.TopicPolicy(`${name}-alarms-policy`, {
        region,
        arn: alarmTopic.arn,
        // Only this account's alarms in this region (AWS re:Post knowledge center article
        // "cloudwatch-receive-sns-for-alarm-trigger": cloudwatch.amazonaws.com, aws:SourceArn on the alarms).
        policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{
                Sid: "AlarmsOfThisAccountAndRegion",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: "sns:Publish",
                Resource: alarmTopic.arn,
                Condition: {
                    StringEquals: { "aws:SourceAccount": identity.accountId },
                    ArnLike: { "aws:SourceArn": pulumi.interpolate`arn:${partition.partition}:cloudwatch:${region}:${identity.accountId}:alarm:*` },
                },
            }],
        }),
    }, { parent: alarmTopic });

    for (const [topic, role] of [[eventTopic, "events"], [alarmTopic, "alarms"]] as const) {
        (args.notificationEmails ?? []).forEach((endpoint, i) => new aws.sns.TopicSubscription(`${name}-${role}-email-${i + 1}`, {
            region,
            topic: topic.arn,
            protocol: "email",
            endpoint,
        }, { parent: topic }));
    }
    return { slowLog, engineLog, eventTopic, alarmTopic };
}
