/**
 * Errors the fake throws, built from the SDK's own exception classes so code under test can use
 * `instanceof` or `name` exactly as it would against AWS. Test-only.
 */
import { ElastiCacheServiceException } from "@aws-sdk/client-elasticache";

/** Taken from the SDK class rather than imported from its transitive type package. */
type ResponseMetadata = ElastiCacheServiceException["$metadata"];

let requestCounter = 0;

/** Metadata shaped like a real response's: a status code and a request id. */
export function responseMetadata(httpStatusCode: number): ResponseMetadata {
    requestCounter += 1;
    return { httpStatusCode, requestId: `fake-${String(requestCounter).padStart(8, "0")}`, attempts: 1, totalRetryDelay: 0 };
}

type ExceptionClass<E> = new (opts: { message: string; $metadata: ResponseMetadata }) => E;

/** A modelled service error (e.g. InvalidGlobalReplicationGroupStateFault), HTTP 400 like AWS. */
export function serviceError<E>(cls: ExceptionClass<E>, message: string): E {
    return new cls({ message, $metadata: responseMetadata(400) });
}

/**
 * An error that is not in the service model (throttling, 5xx): the SDK surfaces those as the
 * service's base exception with the error code as `name`.
 */
export function unmodelledError(
    base: new (opts: ConstructorParameters<typeof ElastiCacheServiceException>[0]) => Error,
    name: string,
    message: string,
    httpStatusCode: number,
): Error {
    return new base({ name, message, $fault: httpStatusCode >= 500 ? "server" : "client", $metadata: responseMetadata(httpStatusCode) });
}
