/**
 * The real policy pack over the gRPC Analyzer protocol, started once as its own process and configured
 * from policies/config/<stack>.json: each mutation of a compliant stack must produce its violation,
 * and nothing else does (the baselines are clean of them). The compliant stacks themselves are in
 * pack.test.ts.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import { ProgramRun, RecordedResource } from "../../offline/run";
import { DEFAULT_PACK_DIR, PolicyPackProcess } from "../../offline/policy/host";
import { sharedPolicyPack } from "../helpers/shared-pack";
import { PolicyPackConfig } from "../../offline/policy/config";
import { UNKNOWN } from "../../offline/policy/wire";
import { T, runStackShared, runWith } from "../helpers/program";
import { byName, cloneAs, configureFor, describeFindings, editable, evaluate, setProperty } from "./grpc-stack";

interface Mutation {
    title: string;
    stack: "prod" | "staging";
    /** Stack config overrides, for what the program can express; otherwise the recorded stack is edited. */
    config?: Record<string, unknown>;
    edit?: (resources: RecordedResource[]) => RecordedResource[] | void;
    /** Policy options on top of policies/config/<stack>.json, where the file's values would allow the change. */
    policyConfig?: PolicyPackConfig;
    /** The violation: policy, resource name, level (default: the configured one) and message. */
    expect: { policy: string; resource: string; level?: "mandatory" | "advisory"; message?: RegExp };
}

const PRIMARY = "cache-us-east-1";
const LAG_METRIC = "GlobalDatastoreReplicationLag";

const MUTATIONS: Mutation[] = [
    { title: "snapshot retention of 1 day", stack: "prod", config: { backupRetentionDays: 1 }, expect: { policy: "elasticache-snapshot-retention", resource: PRIMARY } },
    {
        title: "a single shard where the config asks for two", stack: "prod", config: { shards: 1 },
        policyConfig: { "elasticache-shard-count": { properties: { minShards: 2 } } },
        expect: { policy: "elasticache-shard-count", resource: PRIMARY, message: /declares 1 shards/ },
    },
    { title: "Redis OSS 6.0, below the supported floor", stack: "staging", config: { engineVersion: "6.0" }, expect: { policy: "elasticache-engine-version", resource: "cache-eu-central-1" } },
    {
        title: "no replica in a secondary's shards", stack: "prod",
        edit: (rs) => setProperty(byName(rs, "cache-us-west-2"), "replicasPerNodeGroup", 0),
        expect: { policy: "elasticache-replicas-per-shard", resource: "cache-us-west-2" },
    },
    {
        title: "the cache port open to 0.0.0.0/0", stack: "prod",
        edit: (rs) => setProperty(byName(rs, "cache-us-west-2-from-cidr-2", T.ingress), "cidrIpv4", "0.0.0.0/0"),
        expect: { policy: "elasticache-port-not-public", resource: "cache-us-west-2-from-cidr-2", message: /admits 0\.0\.0\.0\/0 on port 6379/ },
    },
    {
        title: "an EC2-Classic security group name on a replication group", stack: "prod",
        edit: (rs) => setProperty(byName(rs, "cache-eu-west-1"), "securityGroupNames", ["default"]),
        expect: { policy: "elasticache-no-legacy-security-group", resource: "cache-eu-west-1" },
    },
    {
        title: "the built-in default user added to a user group by an association", stack: "prod",
        edit: (rs) => {
            const group = rs.find((r) => r.type === T.userGroup && r.state.region === "us-east-1");
            assert.ok(group, "the prod stack declares a user group in us-east-1");
            return [...rs, {
                ...structuredClone(group), type: "aws:elasticache/userGroupAssociation:UserGroupAssociation", name: "open-door",
                urn: "urn:pulumi:prod::elasticache-global::aws:elasticache/userGroupAssociation:UserGroupAssociation::open-door",
                inputs: { region: "us-east-1", userGroupId: group.state.userGroupId, userId: "default" },
                state: { region: "us-east-1", userGroupId: group.state.userGroupId, userId: "default" },
                protect: false, dependencies: [], propertyDependencies: {},
            }];
        },
        expect: { policy: "elasticache-user-group-default-user", resource: "open-door" },
    },
    {
        title: "a cache on port 6380 with 6380 open to the world", stack: "prod",
        edit: (rs) => {
            setProperty(byName(rs, "cache-us-west-2"), "port", 6380);
            const ingress = byName(rs, "cache-us-west-2-from-cidr-2", T.ingress);
            setProperty(ingress, "fromPort", 6380);
            setProperty(ingress, "toPort", 6380);
            setProperty(ingress, "cidrIpv4", "0.0.0.0/0");
        },
        expect: { policy: "elasticache-port-not-public", resource: "cache-us-west-2-from-cidr-2", message: /6380/ },
    },
    {
        title: "one shard of a secondary without its replication lag alarm", stack: "prod",
        edit: (rs) => rs.filter((r) => !(r.type === T.alarm && r.state.region === "us-west-2" && r.name.includes("0002") && JSON.stringify(r.inputs).includes(LAG_METRIC))),
        expect: { policy: "global-datastore-lag-alarms", resource: "cache-us-west-2", message: /0002/ },
    },
    {
        title: "protect removed from a replication group", stack: "prod",
        edit: (rs) => void (byName(rs, "cache-eu-west-1").protect = false),
        expect: { policy: "stateful-resources-protected", resource: "cache-eu-west-1" },
    },
    {
        title: "transit encryption mode \"preferred\"", stack: "prod",
        edit: (rs) => setProperty(byName(rs, PRIMARY), "transitEncryptionMode", "preferred"),
        expect: { policy: "elasticache-encryption-in-transit", resource: PRIMARY, message: /preferred/ },
    },
    {
        title: "at-rest encryption off on Redis OSS", stack: "staging",
        edit: (rs) => setProperty(byName(rs, "cache-eu-central-1"), "atRestEncryptionEnabled", false),
        expect: { policy: "elasticache-encryption-at-rest", resource: "cache-eu-central-1" },
    },
    {
        title: "the default subnet group", stack: "staging",
        edit: (rs) => setProperty(byName(rs, "cache-eu-central-1"), "subnetGroupName", "default"),
        expect: { policy: "elasticache-no-default-subnet-group", resource: "cache-eu-central-1" },
    },
    {
        title: "no replication lag alarm for a secondary", stack: "prod",
        edit: (rs) => rs.filter((r) => !(r.type === T.alarm && r.state.region === "us-west-2" && JSON.stringify(r.inputs).includes(LAG_METRIC))),
        expect: { policy: "global-datastore-lag-alarms", resource: "cache-us-west-2" },
    },
    {
        title: "a third secondary", stack: "prod",
        edit: (rs) => [...rs, cloneAs(byName(rs, "cache-eu-west-1"), "cache-ap-southeast-2", { region: "ap-southeast-2", replicationGroupId: "prod-ap-southeast-2" })],
        expect: { policy: "global-datastore-regions", resource: "cache-datastore", message: /at most 2 secondaries/ },
    },
    {
        title: "a secondary in the primary's region", stack: "prod",
        edit: (rs) => setProperty(byName(rs, "cache-eu-west-1"), "region", "us-east-1"),
        expect: { policy: "global-datastore-regions", resource: "cache-eu-west-1", message: /only member in its region/ },
    },
    {
        title: "Multi-AZ off on the primary", stack: "prod",
        edit: (rs) => setProperty(byName(rs, PRIMARY), "multiAzEnabled", false),
        expect: { policy: "elasticache-multi-az", resource: PRIMARY },
    },
    {
        title: "automatic failover off on the primary", stack: "prod",
        edit: (rs) => setProperty(byName(rs, PRIMARY), "automaticFailoverEnabled", false),
        expect: { policy: "elasticache-automatic-failover", resource: PRIMARY },
    },
    {
        title: "no RBAC user group", stack: "prod",
        edit: (rs) => setProperty(byName(rs, PRIMARY), "userGroupIds", undefined),
        expect: { policy: "elasticache-rbac-user-group", resource: PRIMARY },
    },
    {
        title: "no authentication at all", stack: "prod",
        edit: (rs) => setProperty(byName(rs, PRIMARY), "userGroupIds", undefined),
        expect: { policy: "elasticache-authentication", resource: PRIMARY },
    },
    {
        // ElastiCache guide, "Event Notifications and Amazon SNS": it cannot publish to an encrypted topic.
        title: "ElastiCache events sent to the region's encrypted alarm topic", stack: "prod",
        edit: (rs) => setProperty(byName(rs, PRIMARY), "notificationTopicArn", byName(rs, "cache-us-east-1-alarms", T.topic).state.arn),
        expect: { policy: "elasticache-event-notifications", resource: PRIMARY, message: /"cache-us-east-1-alarms", which is encrypted/ },
    },
    {
        title: "the AWS managed key instead of a customer-managed one", stack: "prod",
        edit: (rs) => setProperty(byName(rs, "cache-us-west-2"), "kmsKeyId", undefined),
        expect: { policy: "elasticache-encryption-at-rest-cmk", resource: "cache-us-west-2" },
    },
    {
        title: "transit encryption unknown during preview (a mandatory rule must not pass silently)", stack: "prod",
        edit: (rs) => void (byName(rs, PRIMARY).inputs.transitEncryptionEnabled = UNKNOWN),
        expect: { policy: "elasticache-encryption-in-transit", resource: PRIMARY, level: "mandatory", message: /could not verify .*transitEncryptionEnabled/ },
    },
];

describe("the policy pack over gRPC, on the stacks the program declares", function () {
    this.timeout(180000);
    let pack: PolicyPackProcess;
    const runs: Partial<Record<"prod" | "staging", ProgramRun>> = {};

    before(async () => {
        assert.ok(fs.existsSync(`${DEFAULT_PACK_DIR}/index.ts`), "policies/index.ts constructs the pack");
        pack = await sharedPolicyPack(DEFAULT_PACK_DIR, { stack: { stack: "prod", project: "elasticache-global", dryRun: true } });
        runs.prod = await runStackShared("prod");
        runs.staging = await runStackShared("staging");
    });

    after(async () => {
        await pack?.close();
    });

    it("the mutations below are violations only because of the mutation: the baselines are clean of them", async () => {
        for (const stack of ["prod", "staging"] as const) {
            await configureFor(pack, stack, Object.assign({}, ...MUTATIONS.filter((m) => m.stack === stack).map((m) => m.policyConfig ?? {})));
            const findings = await evaluate(pack, stack, runs[stack]!.resources);
            const expected = MUTATIONS.filter((m) => m.stack === stack).map((m) => `${m.expect.policy} ${m.expect.resource}`);
            const present = findings.filter((f) => expected.includes(`${f.policyName} ${f.resourceName}`));
            assert.deepEqual(present, [], describeFindings(present));
        }
    });

    for (const m of MUTATIONS) {
        it(`${m.stack}: ${m.title} -> ${m.expect.policy} on ${m.expect.resource}`, async () => {
            const run = m.config ? await runWith(m.config, m.stack, m.stack) : runs[m.stack]!;
            let resources = editable(run);
            resources = (m.edit?.(resources) as RecordedResource[] | undefined) ?? resources;
            const config = await configureFor(pack, m.stack, m.policyConfig);
            const findings = await evaluate(pack, m.stack, resources);
            const hits = findings.filter((f) => f.policyName === m.expect.policy && f.resourceName === m.expect.resource);
            assert.ok(hits.length > 0, `expected ${m.expect.policy} on ${m.expect.resource}; got:\n${describeFindings(findings)}`);
            const level = m.expect.level ?? config[m.expect.policy].enforcementLevel;
            assert.ok(hits.some((h) => h.level === level), `at level ${level}: ${describeFindings(hits)}`);
            if (m.expect.message) {
                assert.ok(hits.some((h) => m.expect.message!.test(h.message)), `message matches ${m.expect.message}: ${describeFindings(hits)}`);
            }
            assert.ok(hits.every((h) => h.packName === "elasticache-global"), "named after the pack");
        });
    }
});
