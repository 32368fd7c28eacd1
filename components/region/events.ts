import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { logGroupName, topicName } from "../naming";
import { CacheRegionArgs } from "./args";

export interface RegionEventResources {
    slowLog: aws.cloudwatch.LogGroup;
    engineLog: aws.cloudwatch.LogGroup;
    topic: aws.sns.Topic;
}

/**
 * Where the region's cache reports: encrypted log groups for slow-log and engine-log delivery, and an
 * encrypted SNS topic that receives ElastiCache events and every alarm.
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

    const topic = new aws.sns.Topic(`${name}-events`, {
        region,
        name: topicName(args.naming),
        kmsMasterKeyId: key.arn,
        tags: args.tags,
    }, { parent });
    const identity = aws.getCallerIdentityOutput({}, { parent });
    new aws.sns.TopicPolicy(`${name}-events-policy`, {
        region,
        arn: topic.arn,
        policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{
                Sid: "AlarmsAndCacheEventsFromThisAccount",
                Effect: "Allow",
                Principal: { Service: ["cloudwatch.amazonaws.com", "elasticache.amazonaws.com"] },
                Action: "sns:Publish",
                Resource: topic.arn,
                Condition: { StringEquals: { "aws:SourceAccount": identity.accountId } },
            }],
        }),
    }, { parent: topic });
    (args.notificationEmails ?? []).forEach((endpoint, i) => new aws.sns.TopicSubscription(`${name}-events-email-${i + 1}`, {
        region,
        topic: topic.arn,
        protocol: "email",
        endpoint,
    }, { parent: topic }));
    return { slowLog, engineLog, topic };
}
