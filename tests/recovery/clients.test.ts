import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as http from "node:http";
import { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { DescribeGlobalReplicationGroupsCommand } from "@aws-sdk/client-elasticache";
import { PutParameterCommand } from "@aws-sdk/client-ssm";
import { CLIENT_DEFAULTS, createRegionClients } from "../../recovery/lib/clients";
import { AwsCallError, AwsCallContext, callAws, classifyAwsError } from "../../recovery/lib/errors";

const NAMESPACE = "http://elasticache.amazonaws.com/doc/2015-02-02/";
const CONTEXT: AwsCallContext = { region: "us-east-1", service: "elasticache", operation: "DescribeGlobalReplicationGroups" };

/** A local stand-in for the ElastiCache endpoint answering every request with one canned response. */
async function fakeEndpoint(status: number, body: string): Promise<{ url: string; requests: string[]; close: () => Promise<void> }> {
    const requests: string[] = [];
    const server = http.createServer((req, res) => {
        let text = "";
        req.on("data", (chunk) => (text += chunk));
        req.on("end", () => {
            requests.push(text);
            res.writeHead(status, { "content-type": "text/xml" });
            res.end(body);
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return { url: `http://127.0.0.1:${port}`, requests, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

function queryError(code: string, message: string): string {
    return `<ErrorResponse xmlns="${NAMESPACE}"><Error><Type>Sender</Type><Code>${code}</Code><Message>${message}</Message></Error><RequestId>r-1</RequestId></ErrorResponse>`;
}

const EMPTY_DESCRIBE = `<DescribeGlobalReplicationGroupsResponse xmlns="${NAMESPACE}"><DescribeGlobalReplicationGroupsResult>` +
    "<GlobalReplicationGroups/></DescribeGlobalReplicationGroupsResult><ResponseMetadata><RequestId>r-1</RequestId></ResponseMetadata>" +
    "</DescribeGlobalReplicationGroupsResponse>";

/** Runs one DescribeGlobalReplicationGroups through the real SDK client and returns the AwsCallError. */
async function failure(maxAttempts = 1): Promise<AwsCallError> {
    const client = createRegionClients({ maxAttempts }).elastiCache("us-east-1");
    try {
        await callAws(CONTEXT, () => client.send(new DescribeGlobalReplicationGroupsCommand({ ShowMemberInfo: true })));
    } catch (e) {
        assert.ok(e instanceof AwsCallError, `expected an AwsCallError, got ${e}`);
        return e;
    }
    assert.fail("the call succeeded");
}

describe("recovery clients: one per region, from the SDK's standard chains", () => {
    const saved = { ...process.env };
    let emptyDir: string;
    before(() => {
        emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), "clients-test-"));
    });
    beforeEach(() => {
        // Static test credentials from the environment; no profile files or instance metadata from this machine.
        for (const key of Object.keys(process.env).filter((k) => k.startsWith("AWS_"))) {
            delete process.env[key];
        }
        Object.assign(process.env, {
            AWS_ACCESS_KEY_ID: "AKIDEXAMPLETEST", AWS_SECRET_ACCESS_KEY: "test-secret-key", AWS_EC2_METADATA_DISABLED: "true",
            AWS_CONFIG_FILE: path.join(emptyDir, "config"), AWS_SHARED_CREDENTIALS_FILE: path.join(emptyDir, "credentials"),
        });
    });
    after(() => {
        process.env = saved;
    });

    it("creates clients on first use, one per region and service, and records the regions contacted", () => {
        const clients = createRegionClients();
        assert.deepEqual(clients.contacted(), { elasticache: [], cloudwatch: [], ssm: [] });
        const east = clients.elastiCache("us-east-1");
        assert.equal(clients.elastiCache("us-east-1"), east, "cached per region");
        assert.notEqual(clients.elastiCache("us-west-2"), east);
        clients.cloudWatch("us-west-2");
        clients.elastiCacheForChanges("eu-west-1");
        clients.ssm("eu-west-1");
        assert.deepEqual(clients.contacted(), { elasticache: ["us-east-1", "us-west-2", "eu-west-1"], cloudwatch: ["us-west-2"], ssm: ["eu-west-1"] });
    });

    it("makes changes with one attempt, so a lost answer is re-read rather than retried into a refusal", async () => {
        const clients = createRegionClients({ maxAttempts: 6 });
        assert.equal(await clients.elastiCacheForChanges("us-west-2").config.maxAttempts(), 1);
        assert.notEqual(clients.elastiCacheForChanges("us-west-2"), clients.elastiCache("us-west-2"));
        assert.equal(await clients.elastiCache("us-west-2").config.maxAttempts(), 6);
        // Parameter writes too: change.ts decides what a throttled or lost answer means, not the SDK's retry.
        assert.equal(await clients.ssmForChanges("us-west-2").config.maxAttempts(), 1);
        assert.notEqual(clients.ssmForChanges("us-west-2"), clients.ssm("us-west-2"));
    });

    it("sends SSM calls to AWS_ENDPOINT_URL_SSM, with a short request timeout", async () => {
        const server = http.createServer((req, res) => {
            let body = "";
            req.on("data", (c) => (body += c));
            req.on("end", () => {
                requests.push({ target: String(req.headers["x-amz-target"]), body });
                res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
                res.end(JSON.stringify({ Version: 2, Tier: "Standard" }));
            });
        });
        const requests: { target: string; body: string }[] = [];
        await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
        try {
            process.env.AWS_ENDPOINT_URL_SSM = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
            const client = createRegionClients().ssm("eu-west-1");
            const out = await client.send(new PutParameterCommand({ Name: "/elasticache-global/prod/writer", Value: "{}", Type: "String", Overwrite: true }));
            assert.equal(out.Version, 2);
            assert.equal(requests.length, 1);
            assert.equal(requests[0].target, "AmazonSSM.PutParameter");
            assert.deepEqual(JSON.parse(requests[0].body), { Name: "/elasticache-global/prod/writer", Value: "{}", Type: "String", Overwrite: true });
            const handler = client.config.requestHandler as unknown as { configProvider: Promise<{ requestTimeout?: number }> };
            assert.equal((await handler.configProvider).requestTimeout, CLIENT_DEFAULTS.ssmRequestTimeoutMs);
        } finally {
            await new Promise((resolve) => server.close(resolve));
        }
    });

    it("sets the region, adaptive retries and the attempt budget", async () => {
        const clients = createRegionClients({ maxAttempts: 6 });
        for (const client of [clients.elastiCache("eu-west-1"), clients.cloudWatch("eu-west-1")]) {
            assert.equal(await client.config.region(), "eu-west-1");
            // The strategy the client will actually use, not just the option it was given.
            const strategy = await client.config.retryStrategy() as unknown as { mode: string };
            assert.equal(strategy.mode, "adaptive");
            assert.equal(await client.config.maxAttempts(), 6);
        }
        assert.equal(await createRegionClients().elastiCache("eu-west-1").config.maxAttempts(), CLIENT_DEFAULTS.maxAttempts);
    });

    it("rejects a malformed region or option with the value and what is accepted", () => {
        assert.throws(() => createRegionClients().elastiCache("useast1"), /region "useast1" for the elasticache client is not a region code\. Accepted: an AWS region code such as us-east-1/);
        assert.throws(() => createRegionClients({ maxAttempts: 0 }), /RegionClientsOptions\.maxAttempts is 0\. Accepted: a whole number from 1 to 10/);
    });

    it("sends to AWS_ENDPOINT_URL_ELASTICACHE with credentials from the environment", async () => {
        const endpoint = await fakeEndpoint(200, EMPTY_DESCRIBE);
        try {
            process.env.AWS_ENDPOINT_URL_ELASTICACHE = endpoint.url;
            const out = await createRegionClients().elastiCache("us-east-1").send(new DescribeGlobalReplicationGroupsCommand({ ShowMemberInfo: true }));
            assert.deepEqual(out.GlobalReplicationGroups, []);
            assert.equal(endpoint.requests.length, 1);
            assert.match(endpoint.requests[0], /Action=DescribeGlobalReplicationGroups/);
            assert.match(endpoint.requests[0], /ShowMemberInfo=true/);
        } finally {
            await endpoint.close();
        }
    });

    describe("classifying real SDK failures", () => {
        const cases: Array<[string, number, string, string, RegExp]> = [
            ["throttling", 400, "Throttling", "throttled", /us-east-1 throttled DescribeGlobalReplicationGroups \(Throttling: Rate exceeded\)/],
            ["a 503", 503, "ServiceUnavailable", "server-error", /us-east-1 failed DescribeGlobalReplicationGroups with a server error \(HTTP 503/],
            ["a missing datastore", 404, "GlobalReplicationGroupNotFoundFault", "not-found", /found nothing \(GlobalReplicationGroupNotFoundFault: Rate exceeded\)/],
            ["a busy datastore", 400, "InvalidGlobalReplicationGroupState", "invalid-state", /was refused in the current state \(InvalidGlobalReplicationGroupStateFault/],
            ["expired credentials", 403, "ExpiredToken", "credentials", /No valid AWS credentials for DescribeGlobalReplicationGroups in us-east-1/],
            ["a missing permission", 403, "AccessDenied", "access-denied", /the credentials lack elasticache:DescribeGlobalReplicationGroups\. retarget-primary --mode outage and failover-shard run under the stack's recovery role/],
            ["an unknown parameter", 400, "InvalidParameterValue", "other", /DescribeGlobalReplicationGroups in us-east-1 failed \(InvalidParameterValueException/],
        ];
        for (const [what, status, code, kind, message] of cases) {
            it(`${what} (${code}) is ${kind}`, async () => {
                const endpoint = await fakeEndpoint(status, queryError(code, "Rate exceeded"));
                try {
                    process.env.AWS_ENDPOINT_URL_ELASTICACHE = endpoint.url;
                    const error = await failure();
                    assert.equal(error.kind, kind);
                    assert.match(error.message, message);
                    assert.equal(error.region, "us-east-1");
                    assert.equal(error.operation, "DescribeGlobalReplicationGroups");
                } finally {
                    await endpoint.close();
                }
            });
        }

        it("a refused connection is unreachable, and the message names the endpoint variable", async () => {
            const endpoint = await fakeEndpoint(200, EMPTY_DESCRIBE);
            await endpoint.close(); // the port is now closed
            process.env.AWS_ENDPOINT_URL_ELASTICACHE = endpoint.url;
            const error = await failure();
            assert.equal(error.kind, "unreachable");
            assert.match(error.message, /^us-east-1 did not answer DescribeGlobalReplicationGroups \(ECONNREFUSED: [^)]*\): treat the region as unreachable or check AWS_ENDPOINT_URL_ELASTICACHE\.$/);
        });

        it("retries a throttled call within the attempt budget before reporting it", async () => {
            const endpoint = await fakeEndpoint(400, queryError("Throttling", "Rate exceeded"));
            try {
                process.env.AWS_ENDPOINT_URL_ELASTICACHE = endpoint.url;
                const error = await failure(2);
                assert.equal(error.kind, "throttled");
                assert.equal(endpoint.requests.length, 2);
                assert.match(error.message, /after 2 attempts/);
            } finally {
                await endpoint.close();
            }
        });

        it("no credentials anywhere is a credentials problem", async function () {
            this.timeout(20000);
            delete process.env.AWS_ACCESS_KEY_ID;
            delete process.env.AWS_SECRET_ACCESS_KEY;
            process.env.AWS_PROFILE = "no-such-profile";
            process.env.AWS_ENDPOINT_URL_ELASTICACHE = "http://127.0.0.1:9";
            const error = await failure();
            assert.equal(error.kind, "credentials");
            assert.match(error.message, /^No valid AWS credentials for DescribeGlobalReplicationGroups in us-east-1 \(CredentialsProviderError: /);
        });
    });

    it("classifies timeouts and DNS failures wrapped as causes as unreachable, and leaves the unknown as other", () => {
        assert.equal(classifyAwsError(Object.assign(new Error("socket hang up"), { name: "TimeoutError" })), "unreachable");
        assert.equal(classifyAwsError(new Error("request failed", { cause: Object.assign(new Error("getaddrinfo ENOTFOUND"), { code: "ENOTFOUND" }) })), "unreachable");
        assert.equal(classifyAwsError(Object.assign(new Error("x"), { name: "ReplicationGroupNotFoundFault" })), "not-found");
        assert.equal(classifyAwsError(Object.assign(new Error("x"), { name: "InvalidReplicationGroupStateFault" })), "invalid-state");
        assert.equal(classifyAwsError("a string"), "other");
    });

    it("passes an AwsCallError through callAws unchanged, so the innermost context wins", async () => {
        const inner = new AwsCallError({ region: "eu-west-1", service: "cloudwatch", operation: "GetMetricData" }, new Error("boom"));
        await assert.rejects(callAws(CONTEXT, async () => { throw inner; }), (e) => e === inner);
    });
});
