/**
 * Injectable faults, checked before each call reaches the model. Test-only.
 *
 * aws-sdk-client-mock replaces `Client#send`, so the SDK's retry middleware never runs: each
 * injected fault reaches the code under test directly, as if the SDK had already given up.
 */
import { ElastiCacheServiceException } from "@aws-sdk/client-elasticache";
import { CloudWatchServiceException } from "@aws-sdk/client-cloudwatch";
import { SSMServiceException } from "@aws-sdk/client-ssm";
import { Clock } from "../../../recovery/lib/clock";
import { unmodelledError } from "./errors";

export type Service = "elasticache" | "cloudwatch" | "ssm";

/** Which calls a fault applies to; an omitted field matches everything. */
export interface CallMatcher {
    region?: string;
    /** Command name without the "Command" suffix, e.g. "DescribeGlobalReplicationGroups". */
    command?: string;
    service?: Service;
}

export interface ErrorFaultArgs extends CallMatcher {
    /** Fail this many matching calls, then stop. Default: every matching call until cleared. */
    times?: number;
    /** Fail only every n-th matching call (a steady rate, deterministic). Default 1 (every call). */
    everyNth?: number;
}

export interface ThrottleArgs extends ErrorFaultArgs {
    /**
     * The error code. Default: what each service answers. ElastiCache (query protocol) and CloudWatch
     * (JSON protocol, query-compatible error codes) answer "Throttling"; SSM (JSON protocol) answers
     * "ThrottlingException: Rate exceeded" (SSM API reference, GetParameter; @aws-sdk/client-ssm
     * models ThrottlingException).
     */
    code?: string;
}

export interface RegionDownArgs {
    /**
     * "timeout": the call hangs for `timeoutMs` of virtual time, then fails with name TimeoutError
     * (the SDK's request timeout). "refused": fails at once with code ECONNREFUSED. Default "timeout".
     */
    mode?: "timeout" | "refused";
    /** Default 30 s. */
    timeoutMs?: number;
    /**
     * "silent" (default): the whole region is down, its nodes publish no CloudWatch datapoint, and
     * CloudWatch does not backfill the gap later. "published": only the regional API endpoints fail
     * (a control-plane outage); the nodes keep running and their metrics keep coming.
     */
    metrics?: "silent" | "published";
}

interface ErrorFault {
    matcher: CallMatcher;
    remaining: number;
    everyNth: number;
    seen: number;
    make: (service: Service) => Error;
}

/** Which replication groups an outcome fault applies to; an omitted field matches every group. */
export interface GroupMatcher {
    region?: string;
    replicationGroupId?: string;
}

function matchesGroup(m: GroupMatcher, region: string, replicationGroupId: string): boolean {
    return (m.region === undefined || m.region === region) && (m.replicationGroupId === undefined || m.replicationGroupId === replicationGroupId);
}

function matches(m: CallMatcher, service: Service, region: string, command: string): boolean {
    return (m.region === undefined || m.region === region) && (m.command === undefined || m.command === command) && (m.service === undefined || m.service === service);
}

/** The error code each service's throttling answer carries (see ThrottleArgs.code). */
const THROTTLING_CODE: Record<Service, string> = { elasticache: "Throttling", cloudwatch: "Throttling", ssm: "ThrottlingException" };

function baseException(service: Service) {
    return { elasticache: ElastiCacheServiceException, cloudwatch: CloudWatchServiceException, ssm: SSMServiceException }[service];
}

export class Faults {
    private errorFaults: ErrorFault[] = [];
    private lostResponses: ErrorFault[] = [];
    private downRegions = new Map<string, Required<RegionDownArgs>>();
    /** Every outage so far, as virtual instants; `to` undefined while it lasts. */
    private outages: { region: string; from: number; to?: number; metricsSilent: boolean }[] = [];
    private stuckCommands = new Set<string>();
    private failingRestores: GroupMatcher[] = [];
    private failingSnapshots: GroupMatcher[] = [];

    constructor(private readonly clock: Clock) {}

    /**
     * Matching calls fail with a throttling error (HTTP 400, as AWS's query protocol answers), before
     * they reach the model: a throttled request is not processed. That is why the SDK's standard retry
     * strategy retries throttling errors for every operation, changing ones included (isThrottlingError,
     * THROTTLING_ERROR_CODES in @smithy/core retry/service-error-classification).
     */
    throttle(args: ThrottleArgs = {}): void {
        this.addErrorFault(args, (service) => unmodelledError(baseException(service), args.code ?? THROTTLING_CODE[service], "Rate exceeded", 400));
    }

    /** Matching calls fail with ServiceUnavailable, HTTP 503. */
    serverError(args: ErrorFaultArgs = {}): void {
        this.addErrorFault(args, (service) => unmodelledError(baseException(service), "ServiceUnavailable", "Service is unavailable. Please try again later.", 503));
    }

    /** Matching calls fail with AccessDenied, HTTP 403: the credentials lack the action. */
    denied(args: ErrorFaultArgs = {}): void {
        this.addErrorFault(args, (service) => unmodelledError(baseException(service), "AccessDenied", "User is not authorized to perform this action", 403));
    }

    /**
     * Matching calls take effect, then the answer is lost: the caller gets a request timeout although
     * AWS did what was asked (what an SDK retry would then run into).
     */
    loseResponse(args: ErrorFaultArgs = {}): void {
        const matcher: CallMatcher = { region: args.region, command: args.command, service: args.service };
        this.lostResponses.push({ matcher, remaining: args.times ?? Infinity, everyNth: 1, seen: 0, make: () => {
            const error = new Error("Request timed out after the call was sent (fake: the answer was lost)");
            error.name = "TimeoutError";
            return Object.assign(error, { $metadata: { attempts: 1, totalRetryDelay: 0 } });
        } });
    }

    /** Throws when a lost-response fault matches a call that has just taken effect. */
    checkAfterEffect(service: Service, region: string, command: string): void {
        const fault = this.lostResponses.find((f) => f.remaining > 0 && matches(f.matcher, service, region, command));
        if (fault) {
            fault.remaining -= 1;
            throw fault.make(service);
        }
    }

    /** Every call to `region` (every service) fails like an unreachable endpoint until `regionUp`. */
    regionDown(region: string, args: RegionDownArgs = {}): void {
        const metrics = args.metrics ?? "silent";
        if (!this.downRegions.has(region)) {
            this.outages.push({ region, from: this.clock.now(), metricsSilent: metrics === "silent" });
        }
        this.downRegions.set(region, { mode: args.mode ?? "timeout", timeoutMs: args.timeoutMs ?? 30_000, metrics });
    }

    regionUp(region: string): void {
        this.downRegions.delete(region);
        this.outages.filter((o) => o.region === region && o.to === undefined).forEach((o) => (o.to = this.clock.now()));
    }

    /** Whether `region` was down at virtual instant `at` (outage history survives regionUp and clear). */
    wasRegionDownAt(region: string, at: number): boolean {
        return this.outages.some((o) => o.region === region && o.from <= at && (o.to === undefined || at < o.to));
    }

    /** Whether `region`'s nodes published no metrics at virtual instant `at`: it was down, and not only its API. */
    metricsSilentAt(region: string, at: number): boolean {
        return this.outages.some((o) => o.region === region && o.metricsSilent && o.from <= at && (o.to === undefined || at < o.to));
    }

    private regionsDown(): string[] {
        return [...this.downRegions.keys()];
    }

    isRegionDown(region: string): boolean {
        return this.downRegions.has(region);
    }

    /**
     * CreateReplicationGroup with SnapshotName for a matching group ends in create-failed instead of
     * available (the restore is accepted and runs its full time first, as AWS reports a failed restore).
     */
    restoreFails(match: GroupMatcher = {}): void {
        this.failingRestores.push(match);
    }

    shouldRestoreFail(region: string, replicationGroupId: string): boolean {
        return this.failingRestores.some((m) => matchesGroup(m, region, replicationGroupId));
    }

    /** CreateSnapshot of a matching group ends with the snapshot failed instead of available. */
    snapshotFails(match: GroupMatcher = {}): void {
        this.failingSnapshots.push(match);
    }

    shouldSnapshotFail(region: string, replicationGroupId: string): boolean {
        return this.failingSnapshots.some((m) => matchesGroup(m, region, replicationGroupId));
    }

    /** Operations started by `command` from now on never complete (their status stays where it went). */
    neverFinish(command: string): void {
        this.stuckCommands.add(command);
    }

    isStuck(command: string): boolean {
        return this.stuckCommands.has(command);
    }

    clear(): void {
        this.errorFaults = [];
        this.lostResponses = [];
        this.regionsDown().forEach((r) => this.regionUp(r));
        this.stuckCommands.clear();
        this.failingRestores = [];
        this.failingSnapshots = [];
    }

    /** Rejects (or hangs, then rejects) when a fault applies to this call; resolves otherwise. */
    async check(service: Service, region: string, command: string): Promise<void> {
        const down = this.downRegions.get(region);
        if (down) {
            throw await this.unreachable(region, service, down);
        }
        for (const fault of this.errorFaults) {
            if (fault.remaining <= 0 || !matches(fault.matcher, service, region, command)) {
                continue;
            }
            fault.seen += 1;
            if (fault.seen % fault.everyNth === 0) {
                fault.remaining -= 1;
                throw fault.make(service);
            }
        }
    }

    private addErrorFault(args: ErrorFaultArgs, make: (service: Service) => Error): void {
        const everyNth = args.everyNth ?? 1;
        if (!Number.isInteger(everyNth) || everyNth < 1) {
            throw new Error(`Faults: everyNth must be an integer >= 1, got ${args.everyNth}`);
        }
        const times = args.times ?? Infinity;
        if (!(times === Infinity || (Number.isInteger(times) && times >= 1))) {
            throw new Error(`Faults: times must be an integer >= 1 (or omitted for every call), got ${args.times}`);
        }
        const matcher: CallMatcher = { region: args.region, command: args.command, service: args.service };
        this.errorFaults.push({ matcher, remaining: times, everyNth, seen: 0, make });
    }

    /**
     * The error shape a Node.js SDK client surfaces when the endpoint never answers or refuses: Node's
     * socket errors (code ECONNREFUSED) and the SDK's TimeoutError. Assumption: the shapes follow what
     * the SDK's request handler throws; `attempts: 3` is the SDK's default retry count, not observed.
     */
    private async unreachable(region: string, service: Service, down: Required<RegionDownArgs>): Promise<Error> {
        const host = `${service}.${region}.amazonaws.com`;
        if (down.mode === "refused") {
            return Object.assign(new Error(`connect ECONNREFUSED ${host}:443`), {
                code: "ECONNREFUSED", errno: -111, syscall: "connect", $metadata: { attempts: 3, totalRetryDelay: 0 },
            });
        }
        await this.clock.sleep(down.timeoutMs);
        const error = new Error(`Connection timed out after ${down.timeoutMs} ms (${host})`);
        error.name = "TimeoutError";
        return Object.assign(error, { $metadata: { attempts: 3, totalRetryDelay: 0 } });
    }
}
