import assert from "node:assert/strict";
import { ConfigError, RawConfig, configWarnings, validateConfig } from "../../../components/config/validate";
import { StackConfig } from "../../../components/config/types";

/**
 * Raw configuration as the Pulumi engine hands it over: strings stay strings, everything else
 * (numbers, booleans, lists, objects) becomes JSON text. An `undefined` value leaves the key out.
 */
function rawConfig(values: Record<string, unknown>): RawConfig {
    const raw: RawConfig = {};
    for (const [key, value] of Object.entries(values)) {
        if (value !== undefined) {
            raw[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return raw;
}

const PASSWORD = "Correct-Horse-Battery-9!"; // 24 printable characters, none of space, ", / or @
const TOKEN = "Auth-Token-For-Redis-5-0-6";
const VPC = "vpc-0123456789abcdef0";
const SUBNETS = ["subnet-0123456789abcdef0", "subnet-0123456789abcdef1", "subnet-0123456789abcdef2"];
const SG = "sg-0123456789abcdef0";

const MINIMAL: Record<string, unknown> = {
    primaryRegion: "us-east-1",
    secondaryRegions: ["us-west-2"],
    userPasswords: { app: PASSWORD },
};

/** The minimal valid config with some keys changed (undefined removes a key). */
function withMinimal(overrides: Record<string, unknown>): Record<string, unknown> {
    return { ...MINIMAL, ...overrides };
}

function validate(overrides: Record<string, unknown> = {}, stack = "dev"): StackConfig {
    return validateConfig(rawConfig(withMinimal(overrides)), stack);
}

/** Every problem reported for the minimal config with `overrides`; fails when it validates. */
function problemsOf(overrides: Record<string, unknown>, stack = "dev"): string[] {
    let caught: unknown;
    try {
        validateConfig(rawConfig(withMinimal(overrides)), stack);
    } catch (e) {
        caught = e;
    }
    assert.ok(caught instanceof ConfigError, `expected a ConfigError, got ${caught === undefined ? "a valid config" : String(caught)}`);
    return caught.problems;
}

/** The one problem reported for `overrides`; fails when there are none or several. */
function onlyProblem(overrides: Record<string, unknown>, stack = "dev"): string {
    const problems = problemsOf(overrides, stack);
    assert.equal(problems.length, 1, `expected exactly one problem, got:\n${problems.join("\n")}`);
    return problems[0];
}

/** A RegExp matching `text` literally. */
function literal(text: string): RegExp {
    return new RegExp(text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
}

/** Every message has the documented shape: `<ns>:<key> is <value>[: <reason>]. Accepted: <what>.` */
const MESSAGE_SHAPE = /^elasticache-global:\S+( \(defaulted from the stack name\))? is (not set|set, but .+|.+?)(: .+)?\. Accepted: .+\.( .+)?$/s;

describe("validateConfig", () => {
    it("uses a 24-character test password", () => {
        assert.equal(PASSWORD.length, 24);
    });

    describe("a minimal valid config", () => {
        it("returns every documented default", () => {
            const { route53, ...config } = validate();
            assert.equal(route53, undefined);
            assert.deepEqual(config, {
                stack: "dev",
                namePrefix: "dev",
                primaryRegion: "us-east-1",
                foundingRegion: "us-east-1",
                generation: 1,
                highestGeneration: 1,
                inactiveGenerations: [],
                secondaryRegions: ["us-west-2"],
                engine: "valkey",
                engineVersion: "8.0",
                nodeType: "cache.r7g.large",
                shards: 3,
                replicasPerShard: 2,
                backupRetentionDays: 7,
                port: 6379,
                snapshotWindow: "03:00-05:00",
                maintenanceWindow: "sun:06:00-sun:07:00",
                applyImmediately: false,
                logRetentionDays: 30,
                networks: {
                    "us-east-1": { mode: "create", vpcCidr: "10.100.0.0/16", allowedCidrs: ["10.100.0.0/16"], allowedSecurityGroupIds: [] },
                    "us-west-2": { mode: "create", vpcCidr: "10.103.0.0/16", allowedCidrs: ["10.103.0.0/16"], allowedSecurityGroupIds: [] },
                },
                auth: {
                    mode: "rbac",
                    users: [{ name: "app", access: "on ~* &* +@all", authentication: "password" }],
                    passwords: { app: PASSWORD },
                },
                alarms: {
                    cpuPercent: 80,
                    memoryPercent: 80,
                    replicationLagSeconds: 10,
                    globalReplicationLagSeconds: 30,
                    evictions: 1000,
                    connections: 20000,
                    networkAllowanceExceeded: 100,
                    periodSeconds: 60,
                    evaluationPeriods: 5,
                },
                notificationEmails: [],
                tags: {},
            });
        });

        it("creates a network per region with distinct default CIDRs, each admitting only its own VPC", () => {
            const config = validate({ secondaryRegions: ["us-west-2", "eu-west-1"] });
            assert.deepEqual(Object.keys(config.networks).sort(), ["eu-west-1", "us-east-1", "us-west-2"]);
            const cidrs = Object.values(config.networks).map((n) => {
                assert.equal(n.mode, "create");
                assert.ok(n.mode === "create");
                assert.deepEqual(n.allowedCidrs, [n.vpcCidr]);
                assert.deepEqual(n.allowedSecurityGroupIds, []);
                return n.vpcCidr;
            });
            assert.equal(new Set(cidrs).size, 3);
            // The region's own block from the append-only table, whatever its role.
            assert.deepEqual(cidrs.sort(), ["10.100.0.0/16", "10.103.0.0/16", "10.108.0.0/16"]);
        });

        it("accepts a foundingRegion that is one of the secondaries", () => {
            const config = validate({ foundingRegion: "us-west-2" });
            assert.equal(config.foundingRegion, "us-west-2");
            assert.equal(config.primaryRegion, "us-east-1");
        });

        it("defaults redis to version 7.1 with RBAC", () => {
            const config = validate({ engine: "redis" });
            assert.equal(config.engine, "redis");
            assert.equal(config.engineVersion, "7.1");
            assert.equal(config.auth.mode, "rbac");
        });

        it("parses numbers, booleans, lists and objects from their raw text", () => {
            const config = validate({
                shards: 5, replicasPerShard: 1, backupRetentionDays: 35, port: 6380, applyImmediately: true, logRetentionDays: 90,
                notificationEmails: ["ops@example.com"], tags: { team: "cache" },
                route53: { zoneId: "Z0123456789ABCDEFGHIJ", recordName: "cache-writer.internal.example.com" },
            });
            assert.equal(config.shards, 5);
            assert.equal(config.replicasPerShard, 1);
            assert.equal(config.backupRetentionDays, 35);
            assert.equal(config.port, 6380);
            assert.equal(config.applyImmediately, true);
            assert.equal(config.logRetentionDays, 90);
            assert.deepEqual(config.notificationEmails, ["ops@example.com"]);
            assert.deepEqual(config.tags, { team: "cache" });
            assert.deepEqual(config.route53, { zoneId: "Z0123456789ABCDEFGHIJ", recordName: "cache-writer.internal.example.com" });
        });

        it("ignores raw keys whose value is undefined", () => {
            const raw = { ...rawConfig(MINIMAL), shard: undefined };
            assert.equal(validateConfig(raw, "dev").shards, 3);
        });
    });

    describe("a bad value is reported with its key, its value and what is accepted", () => {
        it("rejects an unknown engine", () => {
            const problem = onlyProblem({ engine: "memcached" });
            assert.match(problem, /^elasticache-global:engine is "memcached"/);
            assert.match(problem, /Accepted: valkey or redis\.$/);
        });

        it("rejects 0 shards", () => {
            const problem = onlyProblem({ shards: 0 });
            assert.equal(problem, "elasticache-global:shards is 0. Accepted: a whole number from 1 to 500.");
        });

        it("rejects shards that are not a whole number, saying so", () => {
            assert.match(onlyProblem({ shards: "2.5" }), /^elasticache-global:shards is 2\.5: not a whole number\. Accepted: a whole number from 1 to 500\.$/);
            assert.match(onlyProblem({ shards: "three" }), /^elasticache-global:shards is "three": not a whole number\. Accepted: a whole number from 1 to 500\.$/);
        });

        it("says replicasPerShard: two is not a whole number, and speaks of Multi-AZ only below one replica", () => {
            assert.equal(onlyProblem({ replicasPerShard: "two" }),
                "elasticache-global:replicasPerShard is \"two\": not a whole number. Accepted: a whole number from 1 to 5.");
            assert.equal(onlyProblem({ replicasPerShard: 9 }), "elasticache-global:replicasPerShard is 9. Accepted: a whole number from 1 to 5.");
        });

        it("rejects 0 replicas per shard, explaining Multi-AZ", () => {
            const problem = onlyProblem({ replicasPerShard: 0 });
            assert.match(problem, /^elasticache-global:replicasPerShard is 0: /);
            assert.match(problem, /Multi-AZ with automatic failover needs at least one replica per shard/);
            assert.match(problem, /Accepted: a whole number from 1 to 5\.$/);
        });

        it("rejects 40 days of backup retention", () => {
            const problem = onlyProblem({ backupRetentionDays: 40 });
            assert.match(problem, /^elasticache-global:backupRetentionDays is 40/);
            assert.match(problem, /Accepted: a whole number from 1 to 35\.$/);
        });

        it("rejects three secondary regions", () => {
            const problem = onlyProblem({ secondaryRegions: ["us-west-2", "eu-west-1", "eu-central-1"] });
            assert.match(problem, literal('elasticache-global:secondaryRegions is ["us-west-2","eu-west-1","eu-central-1"]: it lists 3 regions'));
            assert.match(problem, /Accepted: 1 or 2 regions \(a Global Datastore has at most two secondaries\)\.$/);
        });

        it("rejects an empty list of secondary regions", () => {
            assert.match(onlyProblem({ secondaryRegions: [] }), /^elasticache-global:secondaryRegions is \[\]: it lists 0 regions/);
        });

        it("rejects a secondary region equal to the primary region", () => {
            const problem = onlyProblem({ secondaryRegions: ["us-east-1"] });
            assert.match(problem, /^elasticache-global:secondaryRegions\[0\] is "us-east-1": it is the primary region/);
            assert.match(problem, /Accepted: regions other than primaryRegion\.$/);
        });

        it("rejects a secondary region listed twice", () => {
            const problem = onlyProblem({ secondaryRegions: ["us-west-2", "us-west-2"] });
            assert.match(problem, /^elasticache-global:secondaryRegions\[1\] is "us-west-2": it is listed twice/);
            assert.match(problem, /Accepted: distinct regions\.$/);
        });

        it("rejects a malformed region code", () => {
            const problem = onlyProblem({ secondaryRegions: ["us-west"] });
            assert.match(problem, /^elasticache-global:secondaryRegions\[0\] is "us-west"\. Accepted: an AWS region code such as us-east-1\.$/);
        });

        it("reports secondaryRegions that are not a JSON list once, with the value as given", () => {
            const problem = onlyProblem({ secondaryRegions: "us-west-2" });
            assert.match(problem, /^elasticache-global:secondaryRegions is "us-west-2": it is not a list\. Accepted: a list\.$/);
            const mixed = onlyProblem({ secondaryRegions: ["us-west-2", 5] });
            assert.match(mixed, literal('elasticache-global:secondaryRegions is ["us-west-2",5]. Accepted: a list of strings.'));
        });

        it("rejects a burstable t-family node type", () => {
            const problem = onlyProblem({ nodeType: "cache.t4g.medium" });
            assert.match(problem, /^elasticache-global:nodeType is "cache\.t4g\.medium": is a burstable t-family node type/);
            assert.match(problem, literal("Accepted: cache.<m5|m6g|m7g|r5|r6g|r7g|c7gn>.<large|xlarge|2xlarge|...>, for example cache.r7g.large."));
        });

        it("refuses data-tiering r6gd node types, which Global Datastore supports but the program cannot join safely", () => {
            for (const nodeType of ["cache.r6gd.xlarge", "cache.r6gd.16xlarge"]) {
                const problem = onlyProblem({ nodeType });
                assert.match(problem, new RegExp(`^elasticache-global:nodeType is "${nodeType.replace(/\./g, "\\.")}": r6gd nodes tier data to SSD`));
                assert.match(problem, /secondar/, "says why: the secondaries");
                assert.match(problem, literal("Accepted: cache.<m5|m6g|m7g|r5|r6g|r7g|c7gn>.<large|xlarge|2xlarge|...>, for example cache.r7g.large."));
            }
        });

        it("rejects a node family that Global Datastore does not support", () => {
            const problem = onlyProblem({ nodeType: "cache.m4.large" });
            assert.match(problem, /^elasticache-global:nodeType is "cache\.m4\.large": is of family m4, which Global Datastore does not support/);
            assert.match(problem, /Accepted: cache\.<m5\|/);
        });

        it("rejects a node size below large", () => {
            const problem = onlyProblem({ nodeType: "cache.r7g.medium" });
            assert.match(problem, /^elasticache-global:nodeType is "cache\.r7g\.medium": is of size medium; Global Datastore needs large or bigger/);
            assert.match(problem, /Accepted: cache\.<m5\|.*for example cache\.r7g\.large\.$/);
        });

        it("rejects text that is not a node type", () => {
            assert.match(onlyProblem({ nodeType: "r7g.large" }), /^elasticache-global:nodeType is "r7g\.large": is not an ElastiCache node type/);
        });

        it("rejects redis 5.0.5, just below the Global Datastore minimum", () => {
            const problem = onlyProblem({ engine: "redis", engineVersion: "5.0.5", authToken: TOKEN });
            assert.match(problem, /^elasticache-global:engineVersion is "5\.0\.5": redis 5\.0\.5 cannot join a Global Datastore/);
            assert.match(problem, /Accepted: redis 5\.0\.6 or later\.$/);
        });

        it("rejects redis 4.0.10", () => {
            const problem = onlyProblem({ engine: "redis", engineVersion: "4.0.10", authToken: TOKEN });
            assert.match(problem, /^elasticache-global:engineVersion is "4\.0\.10": redis 4\.0\.10 cannot join a Global Datastore/);
            assert.match(problem, /Accepted: redis 5\.0\.6 or later\.$/);
        });

        it("rejects valkey older than 7.2", () => {
            const problem = onlyProblem({ engineVersion: "7.1" });
            assert.match(problem, /^elasticache-global:engineVersion is "7\.1": valkey 7\.1 cannot join a Global Datastore/);
            assert.match(problem, /Accepted: valkey 7\.2 or later\.$/);
        });

        it("rejects an engine version that is not a version number", () => {
            const problem = onlyProblem({ engineVersion: "latest" });
            assert.match(problem, /^elasticache-global:engineVersion is "latest": it is not a version number/);
            assert.match(problem, /Accepted: major\.minor or major\.minor\.patch, for example 7\.2\.$/);
        });

        it("rejects a malformed snapshot window", () => {
            const problem = onlyProblem({ snapshotWindow: "3-5" });
            assert.match(problem, /^elasticache-global:snapshotWindow is "3-5": /);
            assert.match(problem, /hh:mm-hh:mm/);
            assert.match(problem, /Accepted: hh:mm-hh:mm in UTC, at least 60 minutes\.$/);
        });

        it("rejects a snapshot window shorter than 60 minutes", () => {
            assert.match(onlyProblem({ snapshotWindow: "03:00-03:30" }), /^elasticache-global:snapshotWindow is "03:00-03:30": lasts 30 minutes/);
        });

        it("rejects a malformed maintenance window", () => {
            const problem = onlyProblem({ maintenanceWindow: "sunday 06:00" });
            assert.match(problem, /^elasticache-global:maintenanceWindow is "sunday 06:00": /);
            assert.match(problem, /ddd:hh:mm-ddd:hh:mm/);
            assert.match(problem, /Accepted: ddd:hh:mm-ddd:hh:mm in UTC, 60 minutes to 24 hours\.$/);
        });

        it("rejects a maintenance window longer than 24 hours", () => {
            assert.match(onlyProblem({ maintenanceWindow: "sun:06:00-mon:07:00" }),
                /^elasticache-global:maintenanceWindow is "sun:06:00-mon:07:00": lasts 1500 minutes/);
        });

        it("rejects a snapshot window overlapping the maintenance window", () => {
            const problem = onlyProblem({ snapshotWindow: "05:30-06:30", maintenanceWindow: "sun:06:00-sun:07:00" });
            assert.match(problem, /^elasticache-global:snapshotWindow is "05:30-06:30": it overlaps the maintenance window sun:06:00-sun:07:00/);
            assert.match(problem, /Accepted: a daily window that does not overlap the weekly maintenance window\.$/);
        });

        it("rejects a snapshot window that wraps past midnight into the maintenance window", () => {
            const problem = onlyProblem({ snapshotWindow: "23:30-00:30", maintenanceWindow: "mon:00:00-mon:01:00" });
            assert.match(problem, /^elasticache-global:snapshotWindow is "23:30-00:30": it overlaps the maintenance window mon:00:00-mon:01:00/);
        });

        it("accepts a snapshot window that ends exactly when maintenance starts", () => {
            const config = validate({ snapshotWindow: "05:00-06:00", maintenanceWindow: "sun:06:00-sun:07:00" });
            assert.equal(config.snapshotWindow, "05:00-06:00");
        });

        it("rejects a foundingRegion that is not one of the regions", () => {
            const problem = onlyProblem({ foundingRegion: "eu-west-1" });
            assert.match(problem, /^elasticache-global:foundingRegion is "eu-west-1": it is not one of the datastore's regions/);
            assert.match(problem, /Accepted: primaryRegion or one of secondaryRegions \(us-east-1, us-west-2\)\.$/);
        });

        it("rejects a misspelled key", () => {
            const problem = onlyProblem({ shard: 4 });
            assert.match(problem, /^elasticache-global:shard is set, but it is not a key this program reads \(a typo\?\)/);
            assert.doesNotMatch(problem, /"4"/, "an unknown key may be a misspelled secret: its value is never shown");
            assert.match(problem, /Accepted: one of primaryRegion, .*\bshards\b.*\.$/);
        });

        it("rejects 0.0.0.0/0 in allowedCidrs", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { allowedCidrs: ["10.0.0.0/8", "0.0.0.0/0"] } } });
            assert.match(problem, /^elasticache-global:networks\.us-east-1\.allowedCidrs\[1\] is "0\.0\.0\.0\/0": it opens the cache to the whole internet/);
            assert.match(problem, /Accepted: private CIDR blocks of the clients\.$/);
        });

        it("rejects every spelling of an IPv4 or IPv6 block open to the world", () => {
            const problems = problemsOf({ networks: { "us-east-1": { allowedCidrs: ["::/0", "0::/0", "0.0.0.0/00"] } } });
            assert.equal(problems.length, 3, problems.join("\n"));
            problems.forEach((problem, i) => {
                assert.match(problem, new RegExp(`^elasticache-global:networks\\.us-east-1\\.allowedCidrs\\[${i}\\] is .*: it opens the cache to the whole internet`));
            });
        });

        it("rejects allowedCidrs that are not CIDR blocks", () => {
            const problems = problemsOf({ networks: { "us-east-1": { allowedCidrs: ["10.0.0.1/16", "10/8", "abc/999", "2001:db8::/200"] } } });
            assert.equal(problems.length, 4, problems.join("\n"));
            for (const [i, cidr] of ["10.0.0.1/16", "10/8", "abc/999", "2001:db8::/200"].entries()) {
                assert.match(problems[i], literal(`elasticache-global:networks.us-east-1.allowedCidrs[${i}] is "${cidr}". Accepted: a CIDR block such as 10.0.0.0/16`));
            }
        });

        it("accepts IPv6 client blocks", () => {
            const config = validate({ networks: { "us-east-1": { allowedCidrs: ["2001:db8::/32"] } } });
            assert.deepEqual(config.networks["us-east-1"].allowedCidrs, ["2001:db8::/32"]);
        });

        it("rejects existing-network mode that names no clients", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { vpcId: VPC, subnetIds: SUBNETS } } });
            assert.match(problem, /^elasticache-global:networks\.us-east-1 is \{"vpcId":"vpc-0123456789abcdef0".*\}: it names no clients/);
            assert.match(problem, /Accepted: allowedCidrs or allowedSecurityGroupIds listing who may connect to the cache\.$/);
        });

        it("rejects a vpcId with a single subnet", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { vpcId: VPC, subnetIds: [SUBNETS[0]], allowedSecurityGroupIds: [SG] } } });
            assert.match(problem, literal(`elasticache-global:networks.us-east-1.subnetIds is ["${SUBNETS[0]}"]`));
            assert.match(problem, /Accepted: a list of at least two private subnet ids \(subnet-\.\.\.\) in different availability zones, three recommended\.$/);
        });

        it("rejects a vpcId with subnet ids that are not subnet ids", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { vpcId: VPC, subnetIds: ["subnet-a", "sn-2"], allowedSecurityGroupIds: [SG] } } });
            assert.match(problem, /^elasticache-global:networks\.us-east-1\.subnetIds is \["subnet-a","sn-2"\]\. Accepted: a list of at least two/);
        });

        it("rejects subnets without a valid vpcId", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { vpcId: "vpc-1", subnetIds: SUBNETS, allowedSecurityGroupIds: [SG] } } });
            assert.match(problem, /^elasticache-global:networks\.us-east-1\.vpcId is "vpc-1"\. Accepted: the id of an existing VPC/);
        });

        it("reports an allowedCidrs that is not a list once, without also claiming there are no clients", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { vpcId: VPC, subnetIds: SUBNETS, allowedCidrs: "10.0.0.0/8" } } });
            assert.match(problem, /^elasticache-global:networks\.us-east-1\.allowedCidrs is "10\.0\.0\.0\/8"\. Accepted: a list of CIDR blocks\.$/);
        });

        it("rejects a security group id that is not one", () => {
            assert.match(onlyProblem({ networks: { "us-east-1": { allowedSecurityGroupIds: ["default"] } } }),
                /^elasticache-global:networks\.us-east-1\.allowedSecurityGroupIds\[0\] is "default"\. Accepted: a security group id/);
        });

        it("rejects networks for a region outside the datastore", () => {
            const problem = onlyProblem({ networks: { "eu-west-1": { vpcCidr: "10.50.0.0/16" } } });
            assert.match(problem, /^elasticache-global:networks\.eu-west-1 is \{"vpcCidr":"10\.50\.0\.0\/16"\}: it is not one of the datastore's regions/);
            assert.match(problem, /Accepted: keys among us-east-1, us-west-2\.$/);
        });

        it("rejects a new VPC CIDR outside /16../24", () => {
            assert.match(onlyProblem({ networks: { "us-east-1": { vpcCidr: "10.0.0.0/8" } } }),
                /^elasticache-global:networks\.us-east-1\.vpcCidr is "10\.0\.0\.0\/8"\. Accepted: an IPv4 CIDR block from \/16 to \/24/);
            assert.match(onlyProblem({ networks: { "us-east-1": { vpcCidr: "10.0.0.0/28" } } }),
                /^elasticache-global:networks\.us-east-1\.vpcCidr is "10\.0\.0\.0\/28"/);
        });

        it("reports a missing primaryRegion", () => {
            const problem = onlyProblem({ primaryRegion: undefined });
            assert.equal(problem, "elasticache-global:primaryRegion is not set. Accepted: an AWS region code such as us-east-1.");
        });

        it("rejects a malformed primaryRegion", () => {
            assert.equal(onlyProblem({ primaryRegion: "US East" }),
                "elasticache-global:primaryRegion is \"US East\". Accepted: an AWS region code such as us-east-1.");
        });

        it("reports missing secondaryRegions", () => {
            const problem = onlyProblem({ secondaryRegions: undefined });
            assert.equal(problem, "elasticache-global:secondaryRegions is not set. Accepted: a list of 1 or 2 regions other than primaryRegion.");
        });

        it("rejects a port below 1024", () => {
            assert.equal(onlyProblem({ port: 80 }), "elasticache-global:port is 80. Accepted: a whole number from 1024 to 65535.");
        });

        it("rejects a log retention CloudWatch does not offer", () => {
            const problem = onlyProblem({ logRetentionDays: 2 });
            assert.match(problem, /^elasticache-global:logRetentionDays is 2\. Accepted: one of 1, 3, 5, 7, 14, 30,/);
        });

        it("rejects a boolean that is not true or false", () => {
            assert.equal(onlyProblem({ applyImmediately: "yes" }), "elasticache-global:applyImmediately is \"yes\". Accepted: true or false.");
        });

        it("rejects a list or object that is not JSON", () => {
            assert.match(onlyProblem({ alarms: "cpuPercent=90" }), /^elasticache-global:alarms is "cpuPercent=90": it is not an object\. Accepted: an object\.$/);
            assert.match(onlyProblem({ tags: ["a"] }), /^elasticache-global:tags is \["a"\]\. Accepted: an object \(a YAML mapping\)\.$/);
        });

        it("rejects a malformed notification email, a non-string tag and a bad route53 zone", () => {
            assert.match(onlyProblem({ notificationEmails: ["ops.example.com"] }),
                /^elasticache-global:notificationEmails\[0\] is "ops\.example\.com"\. Accepted: an email address\.$/);
            assert.match(onlyProblem({ tags: { cost: 5 } }), /^elasticache-global:tags\.cost is 5\. Accepted: a string tag value\.$/);
            assert.match(onlyProblem({ route53: { zoneId: "zone", recordName: "cache.internal" } }),
                /^elasticache-global:route53\.zoneId is "zone"\. Accepted: the id of a private hosted zone/);
        });
    });

    describe("several problems at once", () => {
        const BAD = {
            engineVersion: "7.0",
            nodeType: "cache.t4g.medium",
            shards: 0,
            replicasPerShard: 9,
            backupRetentionDays: 40,
            snapshotWindow: "3-5",
            foundingRegion: "eu-west-1",
            shard: 3,
            networks: { "us-west-2": { allowedCidrs: ["0.0.0.0/0"] } },
            alarms: { cpuPercent: -1 },
            userPasswords: { app: "short" },
        };
        const KEYS = [
            "engineVersion", "nodeType", "shards", "replicasPerShard", "backupRetentionDays", "snapshotWindow", "foundingRegion",
            "shard", "networks.us-west-2.allowedCidrs[0]", "alarms.cpuPercent", "userPasswords.app",
        ];

        it("reports every problem, one message per bad value", () => {
            const problems = problemsOf(BAD);
            assert.equal(problems.length, 11, problems.join("\n"));
            assert.equal(problems.length, KEYS.length);
            for (const key of KEYS) {
                const matching = problems.filter((p) => p.startsWith(`elasticache-global:${key} is `));
                assert.equal(matching.length, 1, `expected one message for ${key}, got:\n${problems.join("\n")}`);
            }
        });

        it("gives every message the documented shape", () => {
            const problems = [
                ...problemsOf(BAD),
                ...problemsOf({ primaryRegion: undefined, secondaryRegions: undefined }),
                ...problemsOf({}, "Prod_EU"),
                ...problemsOf({ engine: "redis", engineVersion: "5.0.6" }),
            ];
            for (const problem of problems) {
                assert.match(problem, MESSAGE_SHAPE);
            }
        });

        it("lists every problem in the error message, with the count", () => {
            let caught: unknown;
            try {
                validateConfig(rawConfig(withMinimal(BAD)), "dev");
            } catch (e) {
                caught = e;
            }
            assert.ok(caught instanceof ConfigError);
            assert.equal(caught.name, "ConfigError");
            assert.match(caught.message, /^Invalid stack configuration \(11 problems\):\n/);
            for (const problem of caught.problems) {
                assert.ok(caught.message.includes(`\n  - ${problem}`), problem);
            }
        });

        it("says '1 problem' in the singular", () => {
            assert.throws(() => validateConfig(rawConfig(withMinimal({ shards: 0 })), "dev"),
                (e: unknown) => e instanceof ConfigError && /^Invalid stack configuration \(1 problem\):\n/.test(e.message));
        });
    });

    describe("secrets never appear in messages", () => {
        function assertHidden(overrides: Record<string, unknown>, secret: string): string[] {
            let caught: unknown;
            try {
                validateConfig(rawConfig(withMinimal(overrides)), "dev");
            } catch (e) {
                caught = e;
            }
            assert.ok(caught instanceof ConfigError);
            assert.ok(!caught.message.includes(secret), `the secret leaked into:\n${caught.message}`);
            for (const problem of caught.problems) {
                assert.ok(!problem.includes(secret), `the secret leaked into: ${problem}`);
            }
            return caught.problems;
        }

        it("shows only the length of a too-short user password", () => {
            const problems = assertHidden({ userPasswords: { app: "hunter2-secret" } }, "hunter2-secret");
            assert.equal(problems.length, 1);
            assert.match(problems[0], /^elasticache-global:userPasswords\.app is a secret of 14 characters\. Accepted: 16\.\.128 printable characters/);
        });

        it("shows only the length of a password with a forbidden character", () => {
            const secret = "correct horse battery staple";
            const problems = assertHidden({ userPasswords: { app: secret } }, secret);
            assert.deepEqual(problems, [`elasticache-global:userPasswords.app is a secret of ${secret.length} characters. ` +
                "Accepted: 16..128 printable characters without space, \", / or @."]);
        });

        it("shows only the length of a too-short redis 5.0.6 authToken", () => {
            const problems = assertHidden({ engine: "redis", engineVersion: "5.0.6", authToken: "tok3n-short" }, "tok3n-short");
            assert.equal(problems.length, 1);
            assert.match(problems[0], /^elasticache-global:authToken is a secret of 11 characters\. Accepted: 16\.\.128 printable characters/);
        });

        it("shows only the length of an authToken given to valkey", () => {
            const problems = assertHidden({ authToken: TOKEN }, TOKEN);
            assert.equal(problems.length, 1);
            assert.match(problems[0], new RegExp(`^elasticache-global:authToken is a secret of ${TOKEN.length} characters: valkey 8\\.0 uses RBAC users`));
        });

        it("does not show userPasswords that are not JSON, and reports them once", () => {
            const problems = assertHidden({ userPasswords: "app=" + PASSWORD }, PASSWORD);
            assert.equal(problems.length, 1, problems.join("\n"));
            assert.match(problems[0], new RegExp(`^elasticache-global:userPasswords is a secret of ${PASSWORD.length + 4} characters: it is not an object`));
        });

        it("does not show a password that is not a string", () => {
            const problems = assertHidden({ userPasswords: { app: 1234567890123456 } }, "1234567890123456");
            assert.match(problems[0], /^elasticache-global:userPasswords\.app is a secret number\./);
        });
    });

    describe("authentication", () => {
        it("requires an authToken for redis 5.0.6 and says how to set it", () => {
            const problem = onlyProblem({ engine: "redis", engineVersion: "5.0.6" });
            assert.match(problem, /^elasticache-global:authToken is not set\. Accepted: a secret of 16\.\.128 printable characters/);
            assert.match(problem, literal("pulumi config set --secret elasticache-global:authToken"));
        });

        it("returns auth-token mode for redis 5.0.6 with a valid token", () => {
            const config = validate({ engine: "redis", engineVersion: "5.0.6", authToken: TOKEN, userPasswords: undefined });
            assert.deepEqual(config.auth, { mode: "auth-token", token: TOKEN });
        });

        it("rejects users for redis 5.0.6", () => {
            const problem = onlyProblem({ engine: "redis", engineVersion: "5.0.6", authToken: TOKEN, users: [{ name: "svc", access: "on ~* +@all" }] });
            // Shown parsed, like every other list value.
            assert.match(problem, literal('elasticache-global:users is [{"name":"svc","access":"on ~* +@all"}]: redis 5.0.6 has no RBAC'));
            assert.match(problem, /Accepted: no users; set the secret authToken instead\.$/);
        });

        it("rejects an authToken for redis 7.1", () => {
            const problem = onlyProblem({ engine: "redis", engineVersion: "7.1", authToken: TOKEN });
            assert.match(problem, /^elasticache-global:authToken is a secret of \d+ characters: redis 7\.1 uses RBAC users/);
            assert.match(problem, /Accepted: no authToken; use users and userPasswords\.$/);
        });

        it("rejects an authToken for valkey", () => {
            const problem = onlyProblem({ engine: "valkey", authToken: TOKEN });
            assert.match(problem, /^elasticache-global:authToken is a secret of \d+ characters: valkey 8\.0 uses RBAC users/);
        });

        it("uses RBAC from redis 6.0 on", () => {
            assert.equal(validate({ engine: "redis", engineVersion: "6.0" }).auth.mode, "rbac");
            assert.equal(validate({ engine: "redis", engineVersion: "6.2" }).auth.mode, "rbac");
        });

        it("rejects a user named default, without asking for its password", () => {
            const problem = onlyProblem({ users: [{ name: "default", access: "on ~* +@all" }] });
            assert.match(problem, /^elasticache-global:users\[0\]\.name is "default"\./);
            assert.match(problem, /Accepted: a user name of letters, digits and hyphens, starting with a letter, other than "default"\.$/);
        });

        it("rejects a user without a name, without asking for a password of 'undefined'", () => {
            const problem = onlyProblem({ users: [{ access: "on ~* +@all" }] });
            assert.match(problem, /^elasticache-global:users\[0\]\.name is undefined\. Accepted: a user name/);
        });

        it("rejects a user name listed twice, once", () => {
            const problem = onlyProblem({ userPasswords: {}, users: [{ name: "app", access: "on ~* +@all", authentication: "iam" }, { name: "app", access: "on ~* +@read" }] });
            assert.match(problem, /^elasticache-global:users\[1\]\.name is "app": it is listed twice\. Accepted: distinct user names\.$/);
        });

        it("accepts iam authentication for valkey without a password", () => {
            const users = [{ name: "svc", access: "on ~svc:* +@all", authentication: "iam" }];
            const config = validate({ users, userPasswords: undefined });
            assert.deepEqual(config.auth, { mode: "rbac", users, passwords: {} });
        });

        it("rejects iam authentication for redis older than 7.0", () => {
            const problem = onlyProblem({ engine: "redis", engineVersion: "6.2", users: [{ name: "svc", access: "on ~* +@all", authentication: "iam" }] });
            assert.match(problem, /^elasticache-global:users\[0\]\.authentication is "iam": IAM authentication needs Redis OSS 7\.0 or later, not 6\.2\. Accepted: password\.$/);
        });

        it("rejects an unknown authentication kind", () => {
            assert.match(onlyProblem({ users: [{ name: "svc", access: "on ~* +@all", authentication: "token" }] }),
                /^elasticache-global:users\[0\]\.authentication is "token"\. Accepted: password or iam\.$/);
        });

        it("rejects an ACL string that does not start with on or off", () => {
            assert.match(onlyProblem({ users: [{ name: "app", access: "~* +@all" }] }),
                /^elasticache-global:users\[0\]\.access is "~\* \+@all"\. Accepted: a Redis ACL string starting with on or off/);
        });

        it("asks for the password of a password user under userPasswords.<name>", () => {
            const problem = onlyProblem({ users: [{ name: "svc", access: "on ~* +@all" }] });
            assert.match(problem, /^elasticache-global:userPasswords\.svc is not set\. Accepted: a secret of 16\.\.128 printable characters/);
            assert.match(problem, literal("pulumi config set --secret --path 'elasticache-global:userPasswords.svc' <password>"));
        });

        it("asks for the default app user's password when userPasswords is missing", () => {
            assert.match(onlyProblem({ userPasswords: undefined }), /^elasticache-global:userPasswords\.app is not set\./);
        });

        it("rejects an empty user list", () => {
            assert.match(onlyProblem({ users: [] }), /^elasticache-global:users is \[\]: with the default user disabled nobody could connect\. Accepted: at least one user\.$/);
        });

        it("reports users that are not a list once, without falling back to the default user", () => {
            assert.equal(onlyProblem({ users: { name: "svc" }, userPasswords: {} }), 'elasticache-global:users is {"name":"svc"}. Accepted: a list.');
        });
    });

    describe("existing VPC mode", () => {
        it("accepts vpcId, subnetIds and allowedSecurityGroupIds as an existing network", () => {
            const config = validate({ networks: { "us-east-1": { vpcId: VPC, subnetIds: SUBNETS, allowedSecurityGroupIds: [SG] } } });
            assert.deepEqual(config.networks["us-east-1"], {
                mode: "existing", vpcId: VPC, subnetIds: SUBNETS, allowedCidrs: [], allowedSecurityGroupIds: [SG],
            });
            assert.deepEqual(config.networks["us-west-2"], {
                mode: "create", vpcCidr: "10.103.0.0/16", allowedCidrs: ["10.103.0.0/16"], allowedSecurityGroupIds: [],
            });
        });

        it("accepts existing networks with client CIDRs only", () => {
            const config = validate({ networks: { "us-west-2": { vpcId: VPC, subnetIds: SUBNETS.slice(0, 2), allowedCidrs: ["10.20.0.0/16"] } } });
            assert.deepEqual(config.networks["us-west-2"], {
                mode: "existing", vpcId: VPC, subnetIds: SUBNETS.slice(0, 2), allowedCidrs: ["10.20.0.0/16"], allowedSecurityGroupIds: [],
            });
        });

        it("rejects both vpcId and vpcCidr", () => {
            const problem = onlyProblem({ networks: { "us-east-1": { vpcId: VPC, subnetIds: SUBNETS, vpcCidr: "10.1.0.0/16", allowedSecurityGroupIds: [SG] } } });
            assert.match(problem, /^elasticache-global:networks\.us-east-1 is \{.*"vpcCidr":"10\.1\.0\.0\/16".*\}: it sets both vpcId\/subnetIds and vpcCidr/);
            assert.match(problem, /Accepted: either existing vpcId and subnetIds, or vpcCidr for a new VPC\.$/);
        });

        it("keeps a new VPC closed to its own range only when no clients are named", () => {
            const config = validate({ networks: { "us-east-1": { vpcCidr: "10.7.0.0/16", allowedSecurityGroupIds: [SG] } } });
            assert.deepEqual(config.networks["us-east-1"], {
                mode: "create", vpcCidr: "10.7.0.0/16", allowedCidrs: [], allowedSecurityGroupIds: [SG],
            });
        });
    });

    describe("namePrefix", () => {
        it("defaults to the stack name", () => {
            assert.equal(validate({}, "staging-2").namePrefix, "staging-2");
        });

        it("uses the configured prefix over the stack name", () => {
            const config = validate({ namePrefix: "prod-eu" }, "Prod_EU");
            assert.equal(config.namePrefix, "prod-eu");
            assert.equal(config.stack, "Prod_EU");
        });

        it("rejects a stack name that is not a valid prefix, with a hint to set namePrefix", () => {
            const problem = onlyProblem({}, "Prod_EU");
            assert.match(problem, /^elasticache-global:namePrefix \(defaulted from the stack name\) is "Prod_EU"\./);
            assert.match(problem, /lowercase letters, digits and single hyphens/);
            assert.match(problem, /set elasticache-global:namePrefix when the stack name does not fit/);
        });

        it("rejects a prefix over 20 characters and accepts exactly 20", () => {
            const long = "a".repeat(21);
            const problem = onlyProblem({ namePrefix: long });
            assert.match(problem, new RegExp(`^elasticache-global:namePrefix is "${long}"\\.`));
            assert.match(problem, /at most 20 characters/);
            assert.equal(validate({ namePrefix: "a".repeat(20) }).namePrefix, "a".repeat(20));
        });

        it("rejects a prefix with a double hyphen or a leading digit", () => {
            assert.match(onlyProblem({ namePrefix: "prod--eu" }), /^elasticache-global:namePrefix is "prod--eu"\./);
            assert.match(onlyProblem({ namePrefix: "1prod" }), /^elasticache-global:namePrefix is "1prod"\./);
        });
    });

    describe("alarms", () => {
        it("rejects an unknown alarm key", () => {
            const problem = onlyProblem({ alarms: { cpu: 90 } });
            assert.match(problem, /^elasticache-global:alarms\.cpu is 90: it is not an alarm setting/);
            assert.match(problem, /Accepted: one of cpuPercent, memoryPercent, .*evaluationPeriods\.$/);
        });

        it("rejects a non-positive threshold", () => {
            assert.equal(onlyProblem({ alarms: { memoryPercent: 0 } }), "elasticache-global:alarms.memoryPercent is 0. Accepted: a positive number.");
            assert.equal(onlyProblem({ alarms: { evictions: -5 } }), "elasticache-global:alarms.evictions is -5. Accepted: a positive number.");
        });

        it("rejects a threshold given as text", () => {
            assert.equal(onlyProblem({ alarms: { connections: "5000" } }), "elasticache-global:alarms.connections is \"5000\". Accepted: a positive number.");
        });

        it("rejects a percentage over 100, a period that is not whole minutes and fractional evaluation periods", () => {
            const problems = problemsOf({ alarms: { cpuPercent: 150, periodSeconds: 90, evaluationPeriods: 2.5 } });
            assert.deepEqual(problems, [
                "elasticache-global:alarms.cpuPercent is 150. Accepted: a percentage from 1 to 100.",
                "elasticache-global:alarms.periodSeconds is 90. Accepted: a multiple of 60 (ElastiCache publishes one data point a minute).",
                "elasticache-global:alarms.evaluationPeriods is 2.5. Accepted: a whole number of periods.",
            ]);
        });

        it("overrides the given thresholds and keeps the other defaults", () => {
            const config = validate({ alarms: { cpuPercent: 65, evictions: 10, periodSeconds: 300 } });
            assert.deepEqual(config.alarms, {
                cpuPercent: 65,
                memoryPercent: 80,
                replicationLagSeconds: 10,
                globalReplicationLagSeconds: 30,
                evictions: 10,
                connections: 20000,
                networkAllowanceExceeded: 100,
                periodSeconds: 300,
                evaluationPeriods: 5,
            });
        });
    });
});

describe("default VPC blocks", () => {
    it("depend on the region alone, not on its place in the member list", () => {
        const east = validateConfig(rawConfig({ primaryRegion: "us-east-1", secondaryRegions: ["us-west-2"], userPasswords: { app: "a-password-of-24-chars!!" } }), "dev");
        const west = validateConfig(rawConfig({ primaryRegion: "us-west-2", secondaryRegions: ["us-east-1"], userPasswords: { app: "a-password-of-24-chars!!" } }), "dev");
        assert.deepEqual(west.networks["us-east-1"], east.networks["us-east-1"]);
        assert.deepEqual(west.networks["us-west-2"], east.networks["us-west-2"]);
    });

    it("ask for an explicit vpcCidr in a region without a default block", () => {
        let caught: unknown;
        try {
            validateConfig(rawConfig({ primaryRegion: "us-east-1", secondaryRegions: ["xx-moon-1"], userPasswords: { app: "a-password-of-24-chars!!" } }), "dev");
        } catch (e) {
            caught = e;
        }
        assert.ok(caught instanceof ConfigError);
        assert.deepEqual(caught.problems.filter((p) => p.includes("xx-moon-1")).length, 1);
        assert.match(caught.problems[0], /^elasticache-global:networks\.xx-moon-1\.vpcCidr is not set\. Accepted: an IPv4 CIDR block/);
    });

    it("reject two regions whose new VPCs overlap", () => {
        let caught: unknown;
        try {
            validateConfig(rawConfig({
                primaryRegion: "us-east-1", secondaryRegions: ["us-west-2"], userPasswords: { app: "a-password-of-24-chars!!" },
                networks: { "us-east-1": { vpcCidr: "10.50.0.0/16" }, "us-west-2": { vpcCidr: "10.50.128.0/20" } },
            }), "dev");
        } catch (e) {
            caught = e;
        }
        assert.ok(caught instanceof ConfigError);
        assert.deepEqual(caught.problems, [
            "elasticache-global:networks.us-west-2.vpcCidr is \"10.50.128.0/20\": it overlaps the VPC of us-east-1. " +
            "Accepted: a /16../24 block that overlaps no other region's VPC; set vpcCidr explicitly.",
        ]);
    });
});

describe("configWarnings", () => {
    const base = { primaryRegion: "us-east-1", secondaryRegions: ["us-west-2"], userPasswords: { app: "a-password-of-24-chars!!" } };

    it("asks to pin a defaulted foundingRegion before the first promotion", () => {
        const raw = rawConfig(base);
        const warnings = configWarnings(raw, validateConfig(raw, "dev"));
        assert.deepEqual(warnings.length, 1);
        assert.match(warnings[0], /^elasticache-global:foundingRegion is not set and defaults to primaryRegion \(us-east-1\)\. Pin it now: pulumi config set elasticache-global:foundingRegion us-east-1\./);
    });

    it("says nothing when foundingRegion is pinned", () => {
        const raw = rawConfig({ ...base, foundingRegion: "us-east-1" });
        assert.deepEqual(configWarnings(raw, validateConfig(raw, "dev")), []);
    });
});
