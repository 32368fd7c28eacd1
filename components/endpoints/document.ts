/**
 * The endpoint parameters' text, apart from the component that declares them: the recovery programs
 * write the writer parameter themselves during an outage and must not load Pulumi and the AWS
 * provider to do it.
 */

/** What an application reads from an endpoint parameter (JSON). */
export interface EndpointDocument {
    role: "writer" | "reader";
    region: string;
    replicationGroupId: string;
    configurationEndpoint: string;
    port: number;
    globalDatastoreId: string;
}

/**
 * The parameter's text. The recovery programs write the writer parameter directly when the stack
 * cannot be updated (a regional outage), so both must produce the same text from the same fields.
 */
export function endpointDocumentText(doc: EndpointDocument): string {
    const { role, region, replicationGroupId, configurationEndpoint, port, globalDatastoreId } = doc;
    return JSON.stringify({ role, region, replicationGroupId, configurationEndpoint, port, globalDatastoreId });
}
