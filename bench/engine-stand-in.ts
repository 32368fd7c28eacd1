/**
 * Sends Analyze the way the Pulumi engine does, with as little of this process's own cost as the
 * benchmark can manage, so that what it times is the policy pack.
 *
 * The engine sends one resource at a time. Its step generator analyzes each resource in the single
 * event loop of the deployment executor and waits for every analyzer's answer before the next resource
 * (pulumi/pulumi pkg/resource/deploy/deployment_executor.go, handleSingleEvent; step_generator.go,
 * analyzeAll; analyze_snapshot.go, analyzeResource ends in `g.Wait()`). Several packs run in parallel
 * for one resource, never two resources for one pack.
 *
 * The engine is a Go program and encodes its requests with Go's protobuf. The offline evaluator is
 * JavaScript (grpc-js and google-protobuf), and on this machine the client side cost as much CPU per
 * call as the pack itself. So these requests are encoded before the clock starts and written as raw
 * gRPC messages on one HTTP/2 connection: a 5-byte prefix (compressed flag 0, big-endian length), then
 * the message (grpc/grpc doc/PROTOCOL-HTTP2.md, "Length-Prefixed-Message"). The answers are kept as
 * bytes and decoded after the clock stops.
 */
import * as http2 from "http2";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzedResource, analyzeRequest } from "../offline/policy/wire";

const ANALYZE_PATH = "/pulumirpc.Analyzer/Analyze";

function lengthPrefixed(message: Uint8Array): Buffer {
    const framed = Buffer.alloc(5 + message.length);
    framed.writeUInt32BE(message.length, 1);
    framed.set(message, 5);
    return framed;
}

/** Each resource's AnalyzeRequest, encoded and framed. */
export function encodeAnalyzeRequests(resources: AnalyzedResource[]): Buffer[] {
    return resources.map((r) => lengthPrefixed(analyzeRequest(r).serializeBinary()));
}

export class EngineStandIn {
    private constructor(private readonly session: http2.ClientHttp2Session) {}

    static connect(port: number): Promise<EngineStandIn> {
        return new Promise((resolve, reject) => {
            const session = http2.connect(`http://127.0.0.1:${port}`);
            session.once("error", reject);
            session.once("connect", () => {
                session.off("error", reject);
                resolve(new EngineStandIn(session));
            });
        });
    }

    /** One Analyze; resolves with the response body as it came (one length-prefixed message). */
    analyzeRaw(request: Buffer): Promise<Buffer> {
        return new Promise((resolve, reject) => {
            const stream = this.session.request({ ":method": "POST", ":path": ANALYZE_PATH, "content-type": "application/grpc", te: "trailers" });
            const chunks: Buffer[] = [];
            let status: string | undefined;
            let message = "";
            // A failed call may answer with headers only ("Trailers-Only", PROTOCOL-HTTP2.md): status in either.
            const readStatus = (headers: http2.IncomingHttpHeaders) => {
                if (headers["grpc-status"] !== undefined) {
                    status = String(headers["grpc-status"]);
                    message = decodeURIComponent(String(headers["grpc-message"] ?? ""));
                }
            };
            stream.on("response", readStatus);
            stream.on("trailers", readStatus);
            stream.on("data", (chunk: Buffer) => chunks.push(chunk));
            stream.on("error", reject);
            stream.on("end", () => {
                if (status !== "0") {
                    reject(new Error(`Analyze answered grpc-status ${status ?? "(none)"}${message ? `: ${message}` : ""}`));
                } else {
                    resolve(Buffer.concat(chunks));
                }
            });
            stream.end(request);
        });
    }

    close(): void {
        this.session.close();
    }
}

/** Decodes a body analyzeRaw returned. */
export function decodeAnalyzeResponse(body: Buffer): analyzer.AnalyzeResponse {
    if (body.length < 5 || body[0] !== 0 || body.readUInt32BE(1) !== body.length - 5) {
        throw new Error(`Analyze answered ${body.length} bytes that are not one uncompressed gRPC message`);
    }
    return analyzer.AnalyzeResponse.deserializeBinary(body.subarray(5));
}
