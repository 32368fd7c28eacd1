import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { Route53Config } from "../config";
import { DatastoreMember } from "../datastore";
import { NamingInput, readerParameterName, writerParameterName } from "../naming";
import { EndpointDocument, endpointDocumentText } from "./document";

// The parameter's text is written by the recovery programs too, from ./document without this component.
export type { EndpointDocument } from "./document";
export { endpointDocumentText } from "./document";

export interface WriterEndpointArgs {
    naming: NamingInput;
    /** The region that accepts writes now. Moving it moves every parameter and the DNS record. */
    primaryRegion: string;
    /** Every member, by region. */
    members: Record<string, DatastoreMember>;
    /**
     * The regions applications run in: a parameter pair is written in each. A region without a member
     * (while a new generation is founder-only) gets the writer's endpoint in its reader parameter, so
     * its readers read across regions from the one member rather than from a retired generation.
     * Default: the members' regions.
     */
    regions?: string[];
    globalDatastoreId: pulumi.Input<string>;
    /** Optional private DNS name that points at the writer. Default: none. */
    route53?: Route53Config;
    tags?: Record<string, string>;
}

function endpointDocument(role: EndpointDocument["role"], member: DatastoreMember, globalDatastoreId: pulumi.Input<string>): pulumi.Output<string> {
    return pulumi.all([member.replicationGroupId, member.configurationEndpoint, member.port, globalDatastoreId])
        .apply(([replicationGroupId, configurationEndpoint, port, id]) =>
            endpointDocumentText({ role, region: member.region, replicationGroupId, configurationEndpoint, port, globalDatastoreId: id }));
}

/**
 * A stable way for applications to find the writer: an SSM parameter with the same name in every
 * region holding the current primary's configuration endpoint, a reader parameter per region holding
 * that region's own member, and optionally a private Route 53 CNAME that follows the writer.
 */
export class WriterEndpoint extends pulumi.ComponentResource {
    readonly writerParameterName: string;
    readonly readerParameterName: string;
    readonly writerRegion: string;
    readonly writerEndpoint: pulumi.Output<string>;
    readonly dnsName?: string;

    constructor(name: string, args: WriterEndpointArgs, opts?: pulumi.ComponentResourceOptions) {
        super("elasticache-global:index:WriterEndpoint", name, {}, opts);
        const writer = args.members[args.primaryRegion];
        if (!writer) {
            throw new pulumi.ResourceError(`primaryRegion ${args.primaryRegion} is not a member (${Object.keys(args.members).join(", ")})`, this);
        }
        this.writerParameterName = writerParameterName(args.naming);
        this.readerParameterName = readerParameterName(args.naming);
        for (const region of args.regions ?? Object.keys(args.members)) {
            const member = args.members[region] ?? writer;
            new aws.ssm.Parameter(`${name}-writer-${region}`, {
                region,
                name: this.writerParameterName,
                type: "String",
                description: `Writer endpoint of the ${args.naming.namePrefix} cache (the Global Datastore primary)`,
                // Endpoints are not secrets; `value` would be stored and shown as one.
                insecureValue: endpointDocument("writer", writer, args.globalDatastoreId),
                tags: args.tags,
            }, { parent: this });
            new aws.ssm.Parameter(`${name}-reader-${region}`, {
                region,
                name: this.readerParameterName,
                type: "String",
                description: `Endpoint of the ${args.naming.namePrefix} cache member in ${region}, for reads` +
                    `${args.members[region] ? "" : ` (no member in ${region} yet: the writer's, in ${args.primaryRegion})`}`,
                // Endpoints are not secrets; `value` would be stored and shown as one.
                insecureValue: endpointDocument("reader", member, args.globalDatastoreId),
                tags: args.tags,
            }, { parent: this });
        }
        if (args.route53) {
            new aws.route53.Record(`${name}-writer-dns`, {
                zoneId: args.route53.zoneId,
                name: args.route53.recordName,
                type: "CNAME",
                ttl: 30,
                records: [writer.configurationEndpoint],
            }, { parent: this });
            this.dnsName = args.route53.recordName;
        }
        this.writerRegion = args.primaryRegion;
        this.writerEndpoint = writer.configurationEndpoint;
        this.registerOutputs({
            writerParameterName: this.writerParameterName,
            readerParameterName: this.readerParameterName,
            writerRegion: this.writerRegion,
            writerEndpoint: this.writerEndpoint,
            dnsName: this.dnsName,
        });
    }
}
