/**
 * Every enum-like string the program gives a resource is one the provider accepts. Mocks accept any
 * string, so a value the provider rejects (authTokenUpdateStrategy "rotate" instead of "ROTATE": its
 * validation is case-sensitive) passes every other test and fails the first real preview.
 *
 * The accepted values are the @pulumi/aws v7 type docs (node_modules/@pulumi/aws/<module>/<resource>.d.ts
 * and types/input.d.ts, which repeat the provider's schema descriptions), copied here as data. The
 * program runs under mocks for every stack file of the project, and once more with an AUTH token
 * (Redis OSS before 6.0 has no RBAC, so only then does the auth-token branch run).
 */
import * as assert from "node:assert/strict";
import { ProgramRun, RecordedResource, isSecret } from "../../offline/run";
import { runWith } from "../helpers/program";
import { validStacks } from "../helpers/stacks";

interface EnumField {
    type: string;
    /** Property path; `[]` steps into every element of a list. */
    path: string;
    accepted: readonly string[];
    /** The type docs say "case insensitive"; every other list is compared exactly. */
    caseInsensitive?: boolean;
    /** The program never sets it today; checked if it ever does. Every other field must be seen at least once. */
    unset?: true;
}

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const ENGINES = ["redis", "valkey"];

const ENUM_FIELDS: readonly EnumField[] = [
    // elasticache/replicationGroup.d.ts
    // "Valid values are `preferred` and `required`."
    { type: RG, path: "transitEncryptionMode", accepted: ["preferred", "required"] },
    // "Valid values are `enabled` or `disabled` or `compatible`"
    { type: RG, path: "clusterMode", accepted: ["enabled", "disabled", "compatible"] },
    // "Valid values are `SET`, `ROTATE`, and `DELETE`." (the provider validates case-sensitively)
    { type: RG, path: "authTokenUpdateStrategy", accepted: ["SET", "ROTATE", "DELETE"] },
    // "Valid values are `ipv4` or `ipv6`."
    { type: RG, path: "ipDiscovery", accepted: ["ipv4", "ipv6"], unset: true },
    // "Valid values are `ipv4`, `ipv6` or `dualStack`."
    { type: RG, path: "networkType", accepted: ["ipv4", "ipv6", "dualStack"], unset: true },
    // "Valid values are `default`, `async`, `sync`, or `disabled`."
    { type: RG, path: "durabilityMode", accepted: ["default", "async", "sync", "disabled"], unset: true },
    // "Valid values are `redis` or `valkey`."
    { type: RG, path: "engine", accepted: ENGINES },
    // types/input.d.ts, ReplicationGroupLogDeliveryConfiguration:
    // "For CloudWatch Logs use `cloudwatch-logs` or for Kinesis Data Firehose use `kinesis-firehose`."
    { type: RG, path: "logDeliveryConfigurations[].destinationType", accepted: ["cloudwatch-logs", "kinesis-firehose"] },
    // "Valid values are `json` or `text`"
    { type: RG, path: "logDeliveryConfigurations[].logFormat", accepted: ["json", "text"] },
    // "Valid values are  `slow-log` or `engine-log`. Max 1 of each."
    { type: RG, path: "logDeliveryConfigurations[].logType", accepted: ["slow-log", "engine-log"] },

    // elasticache/globalReplicationGroup.d.ts, engine: "Valid values are `redis` or `valkey`."
    { type: "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup", path: "engine", accepted: ENGINES },
    // elasticache/user.d.ts, engine: "The current supported values are `redis`, `valkey` (case insensitive)."
    { type: "aws:elasticache/user:User", path: "engine", accepted: ENGINES, caseInsensitive: true },
    // types/input.d.ts, elasticache UserAuthenticationMode.type:
    // "Possible options are: `password`, `no-password-required` or `iam`."
    { type: "aws:elasticache/user:User", path: "authenticationMode.type", accepted: ["password", "no-password-required", "iam"] },
    // elasticache/userGroup.d.ts, engine: "The current supported value are `redis`, `valkey` (case insensitive)."
    { type: "aws:elasticache/userGroup:UserGroup", path: "engine", accepted: ENGINES, caseInsensitive: true },

    // cloudwatch/metricAlarm.d.ts
    // comparisonOperator: "`GreaterThanOrEqualToThreshold`, `GreaterThanThreshold`, `LessThanThreshold`,
    // `LessThanOrEqualToThreshold`", plus three for anomaly detection models only.
    {
        type: "aws:cloudwatch/metricAlarm:MetricAlarm", path: "comparisonOperator",
        accepted: ["GreaterThanOrEqualToThreshold", "GreaterThanThreshold", "LessThanThreshold", "LessThanOrEqualToThreshold",
            "LessThanLowerOrGreaterThanUpperThreshold", "LessThanLowerThreshold", "GreaterThanUpperThreshold"],
    },
    // treatMissingData: "`missing`, `ignore`, `breaching` and `notBreaching`. Defaults to `missing`."
    { type: "aws:cloudwatch/metricAlarm:MetricAlarm", path: "treatMissingData", accepted: ["missing", "ignore", "breaching", "notBreaching"] },
    // statistic: "`SampleCount`, `Average`, `Sum`, `Minimum`, `Maximum`"
    { type: "aws:cloudwatch/metricAlarm:MetricAlarm", path: "statistic", accepted: ["SampleCount", "Average", "Sum", "Minimum", "Maximum"], unset: true },
    // types/input.d.ts, MetricAlarmMetricQueryMetric.stat points to CloudWatch's "Statistics definitions"
    // page; the program only uses the five plain statistics named for `statistic` above.
    { type: "aws:cloudwatch/metricAlarm:MetricAlarm", path: "metricQueries[].metric.stat", accepted: ["SampleCount", "Average", "Sum", "Minimum", "Maximum"] },

    // sns/topicSubscription.d.ts, protocol: "`sqs`, `sms`, `lambda`, `firehose`, and `application`.
    // Protocols `email`, `email-json`, `http` and `https` are also valid but partially supported."
    {
        type: "aws:sns/topicSubscription:TopicSubscription", path: "protocol",
        accepted: ["sqs", "sms", "lambda", "firehose", "application", "email", "email-json", "http", "https"],
    },
    // ssm/parameter.d.ts, type: "Valid types are `String`, `StringList` and `SecureString`."
    { type: "aws:ssm/parameter:Parameter", path: "type", accepted: ["String", "StringList", "SecureString"] },
    // tier: "Valid tiers are `Standard`, `Advanced`, and `Intelligent-Tiering`."
    { type: "aws:ssm/parameter:Parameter", path: "tier", accepted: ["Standard", "Advanced", "Intelligent-Tiering"], unset: true },
    // route53/record.d.ts, type: "Valid values are `A`, `AAAA`, `CAA`, `CNAME`, `DS`, `HTTPS`, `MX`,
    // `NAPTR`, `NS`, `PTR`, `SOA`, `SPF`, `SRV`, `SSHFP`, `SVCB`, `TLSA`, and `TXT`."
    {
        type: "aws:route53/record:Record", path: "type",
        accepted: ["A", "AAAA", "CAA", "CNAME", "DS", "HTTPS", "MX", "NAPTR", "NS", "PTR", "SOA", "SPF", "SRV", "SSHFP", "SVCB", "TLSA", "TXT"],
    },
    // vpc/securityGroupIngressRule.d.ts, ipProtocol: "The IP protocol name or number. Use `-1` to specify
    // all protocols." The program admits the cache port over TCP only.
    { type: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule", path: "ipProtocol", accepted: ["tcp"] },
];

/**
 * Leaf names that read like an enum. Any string input with such a name must be in ENUM_FIELDS or in
 * FREE_FORM, so a new enum-like setting cannot slip past this test unchecked.
 */
const ENUM_LIKE = /(type|mode|strategy|operator|protocol|format|tier|discovery|missingdata|stat|statistic|engine)$/i;

/** Enum-like by name, but not a fixed list: checked elsewhere, with the reason. */
const FREE_FORM: Record<string, string> = {
    // Node types are checked by components/config/engine.ts nodeTypeProblem (families and sizes).
    [`${RG} nodeType`]: "node type",
    ["aws:elasticache/globalReplicationGroup:GlobalReplicationGroup cacheNodeType"]: "node type",
};

/** Every string leaf of `value` as [path, string], `[]` for list elements; secrets are looked into. */
function stringLeaves(value: unknown, path = ""): [string, string][] {
    if (isSecret(value)) {
        return stringLeaves(value.value, path);
    }
    if (typeof value === "string") {
        return [[path, value]];
    }
    if (Array.isArray(value)) {
        return value.flatMap((v) => stringLeaves(v, `${path}[]`));
    }
    if (typeof value === "object" && value !== null) {
        return Object.entries(value).flatMap(([k, v]) => stringLeaves(v, path ? `${path}.${k}` : k));
    }
    return [];
}

describe("enum-like inputs against the values @pulumi/aws accepts", function () {
    this.timeout(120000);
    const runs: [string, ProgramRun][] = [];

    before(async () => {
        // Every stack file the program accepts, a user's own included (an invalid one is the plan test's finding).
        for (const stack of validStacks()) {
            runs.push([`stack ${stack}`, await runWith({}, stack, stack)]);
        }
        // Redis OSS before 6.0 has no RBAC: the stack authenticates with an AUTH token.
        runs.push(["staging on Redis OSS 5.0.6 with an AUTH token", await runWith({ engineVersion: "5.0.6", authToken: "test-auth-token-0123456789" }, "staging")]);
    });

    const resources = (): [string, RecordedResource][] => runs.flatMap(([what, run]) => run.resources.filter((r) => r.custom).map((r) => [what, r] as [string, RecordedResource]));

    it("sets only accepted values (exact case unless the type docs say otherwise)", () => {
        const wrong: string[] = [];
        for (const [what, r] of resources()) {
            for (const [path, value] of stringLeaves(r.inputs)) {
                const field = ENUM_FIELDS.find((f) => f.type === r.type && f.path === path);
                const ok = field && (field.caseInsensitive
                    ? field.accepted.some((a) => a.toLowerCase() === value.toLowerCase())
                    : field.accepted.includes(value));
                if (field && !ok) {
                    wrong.push(`${what}: ${r.type} ${r.name} sets ${path} "${value}"; accepted: ${field.accepted.join(", ")}`);
                }
            }
        }
        assert.deepEqual(wrong, []);
    });

    it("checks every field it lists on something the program declares, and every enum-like input has an entry", () => {
        const seen = new Set<string>();
        const unlisted = new Set<string>();
        for (const [, r] of resources()) {
            for (const [path] of stringLeaves(r.inputs)) {
                const key = `${r.type} ${path}`;
                if (ENUM_FIELDS.some((f) => f.type === r.type && f.path === path)) {
                    seen.add(key);
                } else if (ENUM_LIKE.test(path.replace(/\[\]/g, "")) && !(key in FREE_FORM)) {
                    unlisted.add(key);
                }
            }
        }
        assert.deepEqual([...unlisted], [], "enum-like inputs with no accepted values in ENUM_FIELDS");
        const neverSet = ENUM_FIELDS.filter((f) => !f.unset && !seen.has(`${f.type} ${f.path}`)).map((f) => `${f.type} ${f.path}`);
        assert.deepEqual(neverSet, [], "fields the program should set in one of the runs (else mark them unset)");
    });
});
