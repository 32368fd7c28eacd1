/**
 * Real SDK clients for tests that run against FakeAws, one per region, plus a helper to capture a
 * rejection. The credentials are dummies: the fake intercepts `send`, so they are never used. Test-only.
 */
import * as assert from "assert";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { ElastiCacheClient } from "@aws-sdk/client-elasticache";

const DUMMY_CREDENTIALS = { accessKeyId: "AKIDFAKE", secretAccessKey: "fake" };
const elastiCacheClients = new Map<string, ElastiCacheClient>();
const cloudWatchClients = new Map<string, CloudWatchClient>();

export function elastiCacheIn(region: string): ElastiCacheClient {
    if (!elastiCacheClients.has(region)) {
        elastiCacheClients.set(region, new ElastiCacheClient({ region, credentials: DUMMY_CREDENTIALS }));
    }
    return elastiCacheClients.get(region)!;
}

export function cloudWatchIn(region: string): CloudWatchClient {
    if (!cloudWatchClients.has(region)) {
        cloudWatchClients.set(region, new CloudWatchClient({ region, credentials: DUMMY_CREDENTIALS }));
    }
    return cloudWatchClients.get(region)!;
}

/** The error `promise` rejects with; fails the test when it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & Record<string, any>> {
    try {
        await promise;
    } catch (error) {
        return error as Error & Record<string, any>;
    }
    assert.fail("expected the call to fail");
}
