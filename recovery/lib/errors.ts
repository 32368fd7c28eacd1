/**
 * What went wrong when AWS was called, in words an operator can act on at 3 a.m. Every SDK error the
 * recovery code sees is sorted into a few kinds, because the right reaction depends on the kind, not on
 * the exact fault name: retry (throttled, server error), give up on the region (unreachable), fix the
 * login (credentials, access denied), or re-read the situation (not found, invalid state).
 */
import { RECOVERY_PERMISSIONS } from "./permissions";

export type AwsService = "elasticache" | "cloudwatch" | "ssm";

export type AwsErrorKind =
    | "throttled"
    | "server-error"
    | "unreachable"
    | "credentials"
    | "access-denied"
    | "not-found"
    | "invalid-state"
    | "other";

/** The variable that overrides each service's endpoint in the SDK's standard endpoint chain. */
export const ENDPOINT_ENV: Record<AwsService, string> = {
    elasticache: "AWS_ENDPOINT_URL_ELASTICACHE",
    cloudwatch: "AWS_ENDPOINT_URL_CLOUDWATCH",
    ssm: "AWS_ENDPOINT_URL_SSM",
};

/**
 * Error names that mean AWS did not process the request because of a rate limit, as the SDK reports
 * them (the Query protocol's error code, or the modelled fault's name). The first list is the SDK's own
 * (THROTTLING_ERROR_CODES in @smithy/core retry/service-error-classification, which its standard retry
 * strategy retries for every operation, changing ones included); the last is ElastiCache's modelled
 * APICallRateForCustomerExceededFault ("The customer has exceeded the allowed rate of API calls",
 * declared by TestFailover only), which the SDK does not list.
 */
export const THROTTLING_ERROR_NAMES: readonly string[] = [
    "BandwidthLimitExceeded", "EC2ThrottledException", "LimitExceededException", "PriorRequestNotComplete",
    "ProvisionedThroughputExceededException", "RequestLimitExceeded", "RequestThrottled", "RequestThrottledException", "SlowDown",
    "ThrottledException", "Throttling", "ThrottlingException", "TooManyRequestsException", "TransactionInProgressException",
    "APICallRateForCustomerExceededFault",
];
const THROTTLED = new Set(THROTTLING_ERROR_NAMES);
const CREDENTIALS = new Set([
    "CredentialsProviderError", "TokenProviderError", "ExpiredToken", "ExpiredTokenException", "InvalidClientTokenId",
    "UnrecognizedClientException", "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidSignatureException",
    "IncompleteSignature", "MissingAuthenticationToken", "AuthFailure", "RequestExpired",
]);
const ACCESS_DENIED = new Set(["AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "NotAuthorized"]);
const SERVER = new Set(["InternalFailure", "InternalError", "InternalServiceError", "ServiceUnavailable", "ServiceUnavailableException"]);
// Node.js socket and DNS failures, and the SDK's own request timeouts: nothing came back from the region.
const NETWORK_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE", "EHOSTUNREACH", "ENETUNREACH", "ENOTFOUND", "EAI_AGAIN"]);
const TIMEOUT_NAMES = new Set(["TimeoutError", "RequestTimeout", "RequestTimeoutException"]);
const NOT_FOUND = /NotFound(Fault|Exception)?$/;
// InvalidGlobalReplicationGroupStateFault, InvalidReplicationGroupStateFault, InvalidSnapshotStateFault, ...
const INVALID_STATE = /^Invalid\w*State(Fault|Exception)?$/;

interface SdkErrorShape {
    name?: string;
    code?: string;
    message?: string;
    $fault?: string;
    /** The SDK's retryable trait; `throttling` marks a modelled throttling error. */
    $retryable?: { throttling?: boolean };
    $metadata?: { httpStatusCode?: number; attempts?: number };
    cause?: unknown;
}

function shape(error: unknown): SdkErrorShape {
    return typeof error === "object" && error !== null ? (error as SdkErrorShape) : { message: String(error) };
}

/** True when the error, or any error in its cause chain, is a network failure or an SDK timeout. */
function isUnreachable(error: unknown, depth = 0): boolean {
    const e = shape(error);
    if (NETWORK_CODES.has(e.code ?? "") || TIMEOUT_NAMES.has(e.name ?? "")) {
        return true;
    }
    return e.cause !== undefined && depth < 5 && isUnreachable(e.cause, depth + 1);
}

export function classifyAwsError(error: unknown): AwsErrorKind {
    const e = shape(error);
    const name = e.name ?? "";
    const status = e.$metadata?.httpStatusCode;
    if (CREDENTIALS.has(name)) {
        return "credentials";
    }
    if (ACCESS_DENIED.has(name)) {
        return "access-denied";
    }
    if (THROTTLED.has(name) || status === 429 || e.$retryable?.throttling === true) {
        return "throttled";
    }
    if (NOT_FOUND.test(name)) {
        return "not-found";
    }
    if (INVALID_STATE.test(name) || name === "TestFailoverNotAvailableFault") {
        return "invalid-state";
    }
    if (SERVER.has(name) || (status !== undefined && status >= 500) || e.$fault === "server") {
        return "server-error";
    }
    if (isUnreachable(error)) {
        return "unreachable";
    }
    return "other";
}

/** Kinds worth polling through: AWS answered, but not usefully this time. */
export function isTransient(kind: AwsErrorKind): boolean {
    return kind === "throttled" || kind === "server-error";
}

/**
 * What a failed call that changes something means for the change (change.ts acts on it):
 * - "not-processed": throttled; AWS rejected the request before doing anything, so nothing changed
 *   and asking again is safe (the SDK retries these for every operation for that reason);
 * - "unclear": no answer, or a server error; the request may have taken effect, so the state must be
 *   read before anything is asked again;
 * - "refused": any other answer; AWS looked at the request and said no.
 */
export type ChangeAnswer = "not-processed" | "unclear" | "refused";

export function changeAnswer(kind: AwsErrorKind): ChangeAnswer {
    switch (kind) {
        case "throttled":
            return "not-processed";
        case "server-error":
        case "unreachable":
            return "unclear";
        default:
            return "refused";
    }
}

export interface AwsCallContext {
    region: string;
    service: AwsService;
    /** API operation, as in the API reference: DescribeGlobalReplicationGroups. */
    operation: string;
}

/** A failed AWS call with its kind and where it happened; the message says what to do about it. */
export class AwsCallError extends Error {
    readonly kind: AwsErrorKind;
    readonly region: string;
    readonly service: AwsService;
    readonly operation: string;
    /** The SDK's error name (the fault or error code), or the Node.js error code. */
    readonly code: string;

    constructor(context: AwsCallContext, cause: unknown) {
        const kind = classifyAwsError(cause);
        super(describeAwsError(kind, context, cause), { cause });
        this.name = "AwsCallError";
        this.kind = kind;
        this.region = context.region;
        this.service = context.service;
        this.operation = context.operation;
        this.code = errorCode(cause);
    }
}

function errorCode(error: unknown): string {
    const e = shape(error);
    const nested = e.cause !== undefined ? shape(e.cause) : undefined;
    return e.code ?? (e.name && e.name !== "Error" ? e.name : undefined) ?? nested?.code ?? "Error";
}

function firstLine(text: string | undefined): string {
    return (text ?? "").split("\n")[0].trim();
}

function describeAwsError(kind: AwsErrorKind, context: AwsCallContext, error: unknown): string {
    const { region, service, operation } = context;
    const e = shape(error);
    const what = `${errorCode(error)}: ${firstLine(e.message) || "no message"}`;
    const attempts = (e.$metadata?.attempts ?? 0) > 1 ? ` after ${e.$metadata!.attempts} attempts` : "";
    switch (kind) {
        case "unreachable":
            return `${region} did not answer ${operation} (${what})${attempts}: treat the region as unreachable ` +
                `or check ${ENDPOINT_ENV[service]}.`;
        case "throttled":
            return `${region} throttled ${operation} (${what})${attempts}: wait a minute and run again; ` +
                "other tools calling the same account and region share this limit.";
        case "server-error":
            return `${region} failed ${operation} with a server error (HTTP ${e.$metadata?.httpStatusCode ?? "5xx"}, ${what})${attempts}: ` +
                "retry; if it persists, treat the region as impaired.";
        case "credentials":
            return `No valid AWS credentials for ${operation} in ${region} (${what}): log in again ` +
                "(for example aws sso login, or set AWS_PROFILE) and run again.";
        case "access-denied":
            return `${operation} in ${region} was denied (${what}): the credentials lack ${service}:${operation}. ${whichCredentials(`${service}:${operation}`)}`;
        case "not-found":
            return `${operation} in ${region} found nothing (${what}): check the stack, the region and the ids, ` +
                "or whether the resource was deleted.";
        case "invalid-state":
            return `${operation} in ${region} was refused in the current state (${what}): describe the resource ` +
                "and wait until it is available, or pick the mode that fits its state.";
        default:
            return `${operation} in ${region} failed (${what}).`;
    }
}

/**
 * Which credentials should have had the action (permissions.ts decides): the recovery role runs what
 * works without Pulumi (the outage promotion, failover-shard); every command that runs pulumi up, and
 * the routine snapshot, runs with the deployment's credentials.
 */
function whichCredentials(action: string): string {
    if (RECOVERY_PERMISSIONS.find((p) => p.action === action)?.grantedTo === "deployment") {
        return "The commands that call it (rejoin, snapshot, retire-generation) run with the credentials you deploy this stack with; the recovery " +
            "role does not have this action on purpose. Run the command with the deployment's credentials, or grant the action to them.";
    }
    return "retarget-primary --mode outage and failover-shard run under the stack's recovery role (stack output recoveryRoleArn), which allows exactly " +
        "the calls they make: assume it. Planned and adopt runs, --reconcile-only, rejoin, restore-from-snapshot, retire-generation and " +
        `backup-drill run pulumi up, which the role cannot, so they run with the credentials you deploy this stack with: grant ${action} to those.`;
}

/** Runs one AWS call and turns any failure into an AwsCallError naming the region and operation. */
export async function callAws<T>(context: AwsCallContext, call: () => Promise<T>): Promise<T> {
    try {
        return await call();
    } catch (error) {
        throw error instanceof AwsCallError ? error : new AwsCallError(context, error);
    }
}
