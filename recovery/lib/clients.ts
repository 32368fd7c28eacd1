/**
 * ElastiCache and CloudWatch clients per region. Credentials and endpoints come from the SDK's standard
 * chains only (AWS_PROFILE, SSO, instance roles; AWS_ENDPOINT_URL_ELASTICACHE and
 * AWS_ENDPOINT_URL_CLOUDWATCH), so a local emulator or a different account is a matter of environment,
 * never of code. Clients are created on first use: a run that never needs the failed region never
 * opens a connection to it.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";
import { AwsService } from "./errors";

export interface RegionClients {
    elastiCache(region: string): ElastiCacheClient;
    cloudWatch(region: string): CloudWatchClient;
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
}

export const CLIENT_DEFAULTS: Required<RegionClientsOptions> = {
    maxAttempts: 4,
    connectionTimeoutMs: 5000,
    requestTimeoutMs: 20000,
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
        ["maxAttempts", 1, 10], ["connectionTimeoutMs", 100, 60000], ["requestTimeoutMs", 100, 300000],
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
    const common = (region: string) => ({
        region,
        // Adaptive: the client also slows itself down when throttled, which matters when several
        // regions and pollers share one account's API limits during an incident.
        retryMode: "adaptive",
        maxAttempts: resolved.maxAttempts,
        requestHandler: { connectionTimeout: resolved.connectionTimeoutMs, requestTimeout: resolved.requestTimeoutMs },
    });
    const elastiCache = new Map<string, ElastiCacheClient>();
    const cloudWatch = new Map<string, CloudWatchClient>();
    return {
        elastiCache(region) {
            checkRegion(region, "elasticache");
            let client = elastiCache.get(region);
            if (!client) {
                client = new ElastiCacheClient(common(region));
                elastiCache.set(region, client);
            }
            return client;
        },
        cloudWatch(region) {
            checkRegion(region, "cloudwatch");
            let client = cloudWatch.get(region);
            if (!client) {
                client = new CloudWatchClient(common(region));
                cloudWatch.set(region, client);
            }
            return client;
        },
        contacted: () => ({ elasticache: [...elastiCache.keys()], cloudwatch: [...cloudWatch.keys()] }),
    };
}
