/**
 * ElastiCache, CloudWatch and SSM clients per region. Credentials and endpoints come from the SDK's
 * standard chains only (AWS_PROFILE, SSO, instance roles; AWS_ENDPOINT_URL_ELASTICACHE,
 * AWS_ENDPOINT_URL_CLOUDWATCH and AWS_ENDPOINT_URL_SSM), so a local emulator or a different account is
 * a matter of environment, never of code. Clients are created on first use: a run that never needs
 * the failed region never opens a connection to it.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { SSMClient } from "@aws-sdk/client-ssm";
import { AwsService } from "./errors";

export interface RegionClients {
    /** For reads and polling: the SDK retries transient failures itself. */
    elastiCache(region: string): ElastiCacheClient;
    /**
     * For calls that change the datastore (failover, detach, delete, snapshot, TestFailover): one
     * attempt only. When the answer to a failover is lost, an SDK retry would be refused ("modifying")
     * by the promotion the first attempt started, and that refusal would be mistaken for a failure.
     * change.ts decides instead: throttled answers are asked again, unclear ones re-read the state.
     */
    elastiCacheForChanges(region: string): ElastiCacheClient;
    cloudWatch(region: string): CloudWatchClient;
    /**
     * SSM, where the writer parameter lives. Short timeouts (ssmRequestTimeoutMs): during an outage
     * it is asked in every member region, and a region that does not answer must not hold the run up.
     */
    ssm(region: string): SSMClient;
    /** SSM for writes, with ssm()'s short timeouts and one attempt: change.ts decides what an answer means, as for ElastiCache. */
    ssmForChanges(region: string): SSMClient;
    /** Regions a client was asked for, per service, in order of first use. */
    contacted(): Record<AwsService, string[]>;
}

export interface RegionClientsOptions {
    /**
     * Attempts per call, the first included. Default 4: with adaptive retries that is a few seconds
     * of backoff, short enough that the polling loop above (which retries on its own schedule) stays
     * in charge of how long to keep trying.
     */
    maxAttempts?: number;
    /** Milliseconds to establish a connection before the region counts as unreachable. Default 5000. */
    connectionTimeoutMs?: number;
    /** Milliseconds to wait for a response once connected. Default 20000. */
    requestTimeoutMs?: number;
    /** Milliseconds an SSM call may take once connected. Default 5000: a parameter write is small. */
    ssmRequestTimeoutMs?: number;
}

export const CLIENT_DEFAULTS: Required<RegionClientsOptions> = {
    maxAttempts: 4,
    connectionTimeoutMs: 5000,
    requestTimeoutMs: 20000,
    ssmRequestTimeoutMs: 5000,
};

// Loose on purpose: it catches typos and swapped arguments; AWS itself rejects regions that do not exist.
const REGION_PATTERN = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function checkRegion(region: string, service: AwsService): void {
    if (!REGION_PATTERN.test(region)) {
        throw new Error(`region ${JSON.stringify(region)} for the ${service} client is not a region code. ` +
            "Accepted: an AWS region code such as us-east-1.");
    }
}

function checkOptions(options: Required<RegionClientsOptions>): void {
    const limits: Array<[keyof RegionClientsOptions, number, number]> = [
        ["maxAttempts", 1, 10], ["connectionTimeoutMs", 100, 60000], ["requestTimeoutMs", 100, 300000], ["ssmRequestTimeoutMs", 100, 300000],
    ];
    for (const [key, min, max] of limits) {
        const value = options[key];
        if (!Number.isInteger(value) || value < min || value > max) {
            throw new Error(`RegionClientsOptions.${key} is ${JSON.stringify(value)}. Accepted: a whole number from ${min} to ${max}.`);
        }
    }
}

export function createRegionClients(options: RegionClientsOptions = {}): RegionClients {
    const resolved = { ...CLIENT_DEFAULTS, ...options };
    checkOptions(resolved);
    const common = (region: string, overrides: { maxAttempts?: number; requestTimeoutMs?: number } = {}) => ({
        region,
        // Adaptive: the client also slows itself down when throttled, which matters when several
        // regions and pollers share one account's API limits during an incident.
        retryMode: "adaptive",
        maxAttempts: overrides.maxAttempts ?? resolved.maxAttempts,
        requestHandler: { connectionTimeout: resolved.connectionTimeoutMs, requestTimeout: overrides.requestTimeoutMs ?? resolved.requestTimeoutMs },
    });
    const contacted: Record<AwsService, string[]> = { elasticache: [], cloudwatch: [], ssm: [] };
    /** One client per region and kind, created on first use; `service` records the contact and checks the region. */
    function cached<C>(service: AwsService, create: (region: string) => C): (region: string) => C {
        const clients = new Map<string, C>();
        return (region) => {
            checkRegion(region, service);
            let client = clients.get(region);
            if (!client) {
                client = create(region);
                clients.set(region, client);
                if (!contacted[service].includes(region)) {
                    contacted[service].push(region);
                }
            }
            return client;
        };
    }
    return {
        elastiCache: cached("elasticache", (region) => new ElastiCacheClient(common(region))),
        elastiCacheForChanges: cached("elasticache", (region) => new ElastiCacheClient(common(region, { maxAttempts: 1 }))),
        cloudWatch: cached("cloudwatch", (region) => new CloudWatchClient(common(region))),
        ssm: cached("ssm", (region) => new SSMClient(common(region, { requestTimeoutMs: resolved.ssmRequestTimeoutMs }))),
        ssmForChanges: cached("ssm", (region) => new SSMClient(common(region, { requestTimeoutMs: resolved.ssmRequestTimeoutMs, maxAttempts: 1 }))),
        contacted: () => ({ elasticache: [...contacted.elasticache], cloudwatch: [...contacted.cloudwatch], ssm: [...contacted.ssm] }),
    };
}
