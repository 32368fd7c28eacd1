import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { kmsAliasName, logGroupPrefix } from "../naming";
import { CacheRegionArgs } from "./args";

/**
 * The region's customer-managed key. It encrypts the cache at rest, the log groups and the alarm
 * topic, so its policy lets CloudWatch Logs use it for our log groups only, and lets this account's
 * CloudWatch alarms publish to the encrypted alarm topic. The event topic is not encrypted (ElastiCache
 * cannot publish to an encrypted topic; see events.ts), so ElastiCache gets no use of the key here.
 */
export function createKey(name: string, parent: pulumi.Resource, args: CacheRegionArgs): aws.kms.Key {
    const { region } = args;
    const identity = aws.getCallerIdentityOutput({}, { parent });
    const partition = aws.getPartitionOutput({}, { parent });
    const logGroupArnPattern = pulumi.interpolate`arn:${partition.partition}:logs:${region}:${identity.accountId}:log-group:${logGroupPrefix(args.naming)}*`;
    const policy = pulumi.jsonStringify({
        Version: "2012-10-17",
        Statement: [
            {
                Sid: "AccountAdministersTheKey",
                Effect: "Allow",
                Principal: { AWS: pulumi.interpolate`arn:${partition.partition}:iam::${identity.accountId}:root` },
                Action: "kms:*",
                Resource: "*",
            },
            {
                Sid: "CloudWatchLogsEncryptsTheCacheLogGroups",
                Effect: "Allow",
                Principal: { Service: `logs.${region}.amazonaws.com` },
                Action: ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                Resource: "*",
                Condition: { ArnLike: { "kms:EncryptionContext:aws:logs:arn": logGroupArnPattern } },
            },
            {
                // SNS developer guide, "Key management", "Enable compatibility between event sources from
                // AWS services and encrypted topics": a service publishing to an encrypted topic needs
                // kms:Decrypt and kms:GenerateDataKey* on its key. Without them an alarm's action fails
                // ("CloudWatch Alarms does not have authorization to access the SNS topic encryption key",
                // AWS re:Post knowledge center article "cloudwatch-configure-alarm-sns", which also shows
                // narrowing the statement with a source condition).
                Sid: "CloudWatchAlarmsPublishToTheAlarmTopic",
                Effect: "Allow",
                Principal: { Service: "cloudwatch.amazonaws.com" },
                Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
                Resource: "*",
                Condition: { StringEquals: { "aws:SourceAccount": identity.accountId } },
            },
        ],
    });
    const key = new aws.kms.Key(`${name}-key`, {
        region,
        description: `ElastiCache ${args.naming.namePrefix} in ${region}: data at rest, logs and alarms`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
        policy,
        tags: args.tags,
    }, { parent, protect: true });
    new aws.kms.Alias(`${name}-key-alias`, {
        region,
        name: kmsAliasName(args.naming),
        targetKeyId: key.keyId,
    }, { parent });
    return key;
}
