/**
 * `npx ts-node --transpile-only .github/scripts/engine-or-node-change.ts <preview.json>`: reads the
 * output of `pulumi preview --json` and prints `true` when the update would change the engine version
 * or the node type of an existing cache (every node is replaced, one by one), `false` otherwise. Each
 * change found is listed on stderr. When it prints `true`, the deploy workflow takes a manual snapshot
 * of the current primary first (`npm run recovery -- snapshot`) and deploys only once it is available.
 *
 * It fails (exit 2) on a file it cannot read or that is not a preview document, so the deployment stops
 * rather than going ahead without the snapshot.
 */
import * as fs from "fs";

/** Properties whose change rolls every node, per resource type. Members of a Global Datastore ignore
 * theirs (the datastore manages them), so in this project the change shows on the datastore. */
export const ROLLING_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
    "aws:elasticache/replicationGroup:ReplicationGroup": ["engineVersion", "nodeType"],
    "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup": ["engineVersion", "cacheNodeType"],
    "aws:elasticache/cluster:Cluster": ["engineVersion", "nodeType"],
};

/** Operations on a resource that exists and keeps (or hands over) its data; creates have no data yet. */
const CHANGING_OPS = new Set(["update", "replace", "create-replacement"]);

export interface RollingChange {
    urn: string;
    type: string;
    op: string;
    /** The watched properties that change, in the order ROLLING_PROPERTIES lists them. */
    properties: string[];
}

export class PreviewDocumentError extends Error {}

interface Step {
    op?: unknown;
    urn?: unknown;
    newState?: { type?: unknown };
    oldState?: { type?: unknown };
    diffReasons?: unknown;
    replaceReasons?: unknown;
    detailedDiff?: unknown;
}

/** "urn:pulumi:prod::proj::parent$aws:x/y:Y::name" -> "aws:x/y:Y" */
function typeFromUrn(urn: string): string {
    return urn.split("::")[2]?.split("$").pop() ?? "";
}

/** Top-level property of a detailed-diff path: "nodeGroupConfigurations[0].replicaCount" -> "nodeGroupConfigurations". */
function topLevel(path: string): string {
    return path.split(/[.[]/)[0];
}

function strings(value: unknown): string[] {
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === "string") : [];
}

/** The engine version and node type changes in a `pulumi preview --json` document. */
export function rollingChanges(preview: unknown): RollingChange[] {
    if (typeof preview !== "object" || preview === null || Array.isArray(preview)) {
        throw new PreviewDocumentError(`expected the JSON object \`pulumi preview --json\` prints, got ${JSON.stringify(preview)?.slice(0, 80)}`);
    }
    const steps = (preview as { steps?: unknown }).steps ?? [];
    if (!Array.isArray(steps)) {
        throw new PreviewDocumentError(`"steps" is ${JSON.stringify(steps).slice(0, 80)}: expected the list of preview steps`);
    }
    const found = new Map<string, RollingChange>();
    for (const step of steps as Step[]) {
        if (typeof step?.urn !== "string" || typeof step.op !== "string") {
            throw new PreviewDocumentError(`a step without "urn" and "op": ${JSON.stringify(step).slice(0, 120)}`);
        }
        const type = String(step.newState?.type ?? step.oldState?.type ?? typeFromUrn(step.urn));
        const watched = ROLLING_PROPERTIES[type];
        if (!watched || !CHANGING_OPS.has(step.op)) {
            continue;
        }
        const detailed = typeof step.detailedDiff === "object" && step.detailedDiff !== null ? Object.keys(step.detailedDiff).map(topLevel) : [];
        const changed = new Set([...strings(step.diffReasons), ...strings(step.replaceReasons), ...detailed]);
        const properties = watched.filter((p) => changed.has(p) || found.get(step.urn as string)?.properties.includes(p));
        if (properties.length > 0) {
            found.set(step.urn, { urn: step.urn, type, op: step.op, properties });
        }
    }
    return [...found.values()];
}

export function main(argv: string[], out: (line: string) => void = console.log, err: (line: string) => void = console.error): number {
    if (argv.length !== 1) {
        err("usage: engine-or-node-change.ts <file written by `pulumi preview --json`>");
        return 2;
    }
    try {
        const changes = rollingChanges(JSON.parse(fs.readFileSync(argv[0], "utf8")));
        for (const c of changes) {
            err(`${c.urn.split("::").pop()} (${c.type}, ${c.op}): ${c.properties.join(", ")}`);
        }
        out(changes.length > 0 ? "true" : "false");
        return 0;
    } catch (e) {
        const reason = e instanceof PreviewDocumentError || e instanceof SyntaxError ? e.message : (e as NodeJS.ErrnoException).code ?? String(e);
        err(`cannot tell whether ${argv[0]} changes an engine version or node type: ${reason}`);
        return 2;
    }
}

if (require.main === module) {
    process.exitCode = main(process.argv.slice(2));
}
