/**
 * The writer SSM parameter, written directly (without Pulumi) when the stack cannot be updated: during
 * an outage, and first thing in rejoin. Applications in every region read it to find the writer, so it
 * is written in every member region that answers; the text is the program's own
 * (components/endpoints endpointDocumentText), so the next stack update finds nothing to change but
 * the datastore id.
 */
import { GetParameterCommand, PutParameterCommand } from "@aws-sdk/client-ssm";
import { endpointDocumentText } from "../../components/endpoints/document";
import { NamingInput, writerParameterName } from "../../components/naming";
import { sendChange } from "./change";
import { RegionClients } from "./clients";
import { Clock } from "./clock";
import { AwsCallError, callAws } from "./errors";
import { StepContext, firstLine } from "./progress";

/** What the writer parameter names: the cluster that accepts writes. */
export interface WriterTarget {
    region: string;
    replicationGroupId: string;
    configurationEndpoint: string;
    port: number;
    /** "" once the cluster was detached and belongs to no datastore. */
    globalDatastoreId: string;
}

export type WriterWrite =
    | { region: string; result: "updated" }
    | { region: string; result: "unreachable" | "failed"; reason: string };

export function writerText(target: WriterTarget): string {
    return endpointDocumentText({ role: "writer", ...target });
}

/** The AWS CLI command that writes the parameter by hand, for regions this run could not reach. */
export function putParameterCommand(naming: NamingInput, region: string, target: WriterTarget): string {
    return `aws ssm put-parameter --region ${region} --name ${writerParameterName(naming)} --type String --overwrite ` +
        `--value '${writerText(target)}'`;
}

/**
 * How long throttling may hold one region's write up. Shorter than change.ts's default: regions are
 * written one after the other during an outage, and the others must not wait long for a busy one.
 */
export const WRITER_THROTTLE_BOUND_MS = 30_000;

/**
 * Writes the parameter in `regions`, in order (the target first), and reports each region's result;
 * never throws for an AWS failure, so one dead region does not keep the others stale. SSM clients
 * have short timeouts (clients.ts), so a region that does not answer costs seconds. Each write goes
 * through change.ts: a throttled one is asked again, after a look at the parameter, for up to
 * WRITER_THROTTLE_BOUND_MS; an unclear one counts as written when the parameter already holds the text.
 */
export async function writeWriterParameters(naming: NamingInput, target: WriterTarget, regions: readonly string[], clients: RegionClients,
    step: StepContext, clock: Clock, signal?: AbortSignal): Promise<WriterWrite[]> {
    const name = writerParameterName(naming);
    const text = writerText(target);
    const results: WriterWrite[] = [];
    for (const region of regions) {
        try {
            await sendChange({
                context: { region, service: "ssm", operation: "PutParameter" },
                send: (s) => clients.ssmForChanges(region).send(new PutParameterCommand({ Name: name, Value: text, Type: "String", Overwrite: true }), { abortSignal: s }),
                lookFor: async (_reason, s, failure) => {
                    if (failure?.kind === "unreachable") {
                        // During an outage a read would wait out the same timeouts for nothing; the write is reported unreachable
                        // with the command to make it by hand, and writing the same text again changes nothing.
                        throw new Error(`not read: ${region} did not answer the write`);
                    }
                    const answer = await callAws({ region, service: "ssm", operation: "GetParameter" },
                        () => clients.ssm(region).send(new GetParameterCommand({ Name: name }), { abortSignal: s }));
                    return answer.Parameter?.Value === text ? `${name} in ${region} already holds the new text` : undefined;
                },
                clock, signal, step, throttleBoundMs: WRITER_THROTTLE_BOUND_MS,
            });
            results.push({ region, result: "updated" });
            step.found(`${name} in ${region} now names ${target.replicationGroupId} in ${target.region}`);
        } catch (e) {
            if (!(e instanceof AwsCallError)) {
                throw e;
            }
            const result = e.kind === "unreachable" ? "unreachable" : "failed";
            results.push({ region, result, reason: firstLine(e) });
            step.found(`${name} in ${region} was NOT updated (${result}): ${firstLine(e)}`, { level: "warn" });
        }
    }
    return results;
}

/** "updated in us-west-2, eu-west-1; unreachable: us-east-1 (...)". */
export function describeWrites(writes: readonly WriterWrite[]): string {
    const updated = writes.filter((w) => w.result === "updated").map((w) => w.region);
    const missed = writes.filter((w): w is Extract<WriterWrite, { reason: string }> => w.result !== "updated");
    return [`updated in ${updated.join(", ") || "no region"}`, ...missed.map((w) => `${w.result} in ${w.region}`)].join("; ");
}
