/**
 * Which region founded the Global Datastore, from evidence about the deployment rather than from the
 * configuration's default. foundingRegion defaults to primaryRegion, and after a promotion whose
 * primaryRegion edit was already committed that default names the wrong region: pinning it would make
 * the program describe a different founder and the guard would refuse the datastore's replacement on
 * every run. So the region is taken from what the deployment itself records, and when those records
 * disagree nothing is written and each one is named.
 */
import { fullKey } from "../../components/config/keys";
import { RawConfig } from "../../components/config/reader";
import { StackOutputs } from "./stack-driver";

/**
 * The prefix AWS puts before a Global Datastore's suffix, by the region of the founding member (the
 * ElastiCache user guide, "Using the AWS CLI with Global datastores"). A region missing here only
 * means the id cannot serve as evidence; the other sources still count.
 */
export const DATASTORE_ID_PREFIXES: Readonly<Record<string, string>> = {
    "us-east-1": "ldgnf", "us-east-2": "fpkhr", "us-west-1": "virxk", "us-west-2": "sgaui",
    "ca-central-1": "bxodz", "sa-east-1": "juxlw",
    "eu-central-1": "iudkw", "eu-west-1": "gxeiz", "eu-west-2": "okuqm", "eu-west-3": "fgjhi",
    "ap-south-1": "erpgt", "ap-east-1": "knjmp", "ap-northeast-1": "quwsw", "ap-northeast-2": "lfqnh",
    "ap-northeast-3": "nlapn", "ap-southeast-1": "vlqxn", "ap-southeast-2": "vbgxd",
    "cn-north-1": "emvgo", "cn-northwest-1": "ckbem",
};

/** The founding region a Global Datastore id's prefix stands for, or undefined when the prefix is not in the table. */
export function regionOfDatastoreId(datastoreId: string): string | undefined {
    const prefix = datastoreId.slice(0, datastoreId.indexOf("-"));
    return Object.entries(DATASTORE_ID_PREFIXES).find(([, p]) => p === prefix)?.[0];
}

/** One record that says which region founded the datastore. */
export interface FoundingEvidence {
    /** Where the value comes from, in words an operator can check. */
    source: string;
    region: string;
}

export interface FoundingSources {
    /** The stack outputs of the last update; undefined when they could not be read. */
    outputs?: StackOutputs;
    /** The datastore id the control plane reports, when the caller asked it. Default: not used. */
    controlPlaneDatastoreId?: string;
}

export interface FoundingRegion {
    region: string;
    /** Every record that named it. */
    evidence: FoundingEvidence[];
    /** Records that could not be used, and why (an id prefix not in the table). */
    unusable: string[];
}

/** The records disagree (or there are none): nothing may be written until a human decides. */
export class FoundingRegionError extends Error {
    constructor(message: string, readonly evidence: FoundingEvidence[]) {
        super(message);
        this.name = "FoundingRegionError";
    }
}

function idEvidence(id: unknown, source: string, unusable: string[]): FoundingEvidence[] {
    if (typeof id !== "string" || !id) {
        return [];
    }
    const region = regionOfDatastoreId(id);
    if (!region) {
        unusable.push(`${source} (${id}): its prefix is not a known region code`);
        return [];
    }
    return [{ source: `the region code of ${source} (${id})`, region }];
}

/**
 * Why the stack outputs describe another datastore than the control plane, or undefined when they do
 * not. Outputs are written only when an update completes: after a rejoin whose update created the new
 * datastore around the serving cluster and was then interrupted, they still name the old datastore
 * and the old founding region, and would disagree with every current record forever.
 */
function staleOutputs(sources: FoundingSources): string | undefined {
    const outputId = sources.outputs?.globalDatastoreId?.value;
    const current = sources.controlPlaneDatastoreId;
    if (typeof outputId !== "string" || !outputId || !current || outputId === current) {
        return undefined;
    }
    return `the stack outputs (foundingRegion, globalDatastoreId) are stale and not used: they name datastore ${outputId}, the control plane ` +
        `reports ${current} (the datastore was rebuilt, and the update that declares it has not completed yet)`;
}

/** Every record of the founding region: the pinned configuration, the stack outputs, the datastore ids. */
export function foundingEvidence(raw: RawConfig, sources: FoundingSources): { evidence: FoundingEvidence[]; unusable: string[] } {
    const unusable: string[] = [];
    const evidence: FoundingEvidence[] = [];
    if (raw.foundingRegion !== undefined) {
        evidence.push({ source: `the stack configuration (${fullKey("foundingRegion")})`, region: raw.foundingRegion });
    }
    const stale = staleOutputs(sources);
    if (stale) {
        unusable.push(stale);
    } else {
        const output = sources.outputs?.foundingRegion?.value;
        if (typeof output === "string" && output) {
            evidence.push({ source: "the stack output foundingRegion", region: output });
        }
        evidence.push(...idEvidence(sources.outputs?.globalDatastoreId?.value, "the stack output globalDatastoreId", unusable));
    }
    evidence.push(...idEvidence(sources.controlPlaneDatastoreId, "the datastore id the control plane reports", unusable));
    return { evidence, unusable };
}

/**
 * The founding region every record agrees on. Throws FoundingRegionError, naming each source and its
 * value, when they disagree or when there is no record at all.
 */
export function resolveFoundingRegion(raw: RawConfig, sources: FoundingSources): FoundingRegion {
    const { evidence, unusable } = foundingEvidence(raw, sources);
    const regions = [...new Set(evidence.map((e) => e.region))];
    const pin = (region: string) => `pulumi config set ${fullKey("foundingRegion")} ${region}`;
    if (regions.length === 1) {
        return { region: regions[0], evidence, unusable };
    }
    if (regions.length === 0) {
        throw new FoundingRegionError(`${fullKey("foundingRegion")} is not set and nothing records which region founded the Global Datastore ` +
            `(no stack output foundingRegion${unusable.length ? `; ${unusable.join("; ")}` : ", no datastore id with a known region code"}). ` +
            "Nothing was written. Find the founding region (the region whose code prefixes the datastore id: " +
            `aws elasticache describe-global-replication-groups) and pin it: ${pin("<region>")}.`, evidence);
    }
    throw new FoundingRegionError(`the records of which region founded the Global Datastore disagree: ` +
        `${evidence.map((e) => `${e.source} says ${e.region}`).join("; ")}. Nothing was written: pinning the wrong one would make ` +
        "the program replace the datastore. Check the datastore id's region code (aws elasticache describe-global-replication-groups), " +
        `then pin that region (${pin("<region>")}) and run again.`, evidence);
}
