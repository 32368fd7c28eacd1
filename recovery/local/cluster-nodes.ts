/**
 * Reading the CLUSTER NODES reply: the one view every Redis version gives of who is primary, who
 * replicates whom, and which nodes are failing.
 */

export interface ClusterNodeLine {
    nodeId: string;
    host: string;
    port: number;
    flags: string[];
    role: "primary" | "replica";
    /** The primary's node id, for a replica. */
    primaryId?: string;
    /** "connected" or "disconnected": the link from the answering node to this one. */
    link: string;
    slots: [number, number][];
}

/**
 * Parses one CLUSTER NODES reply. Lines look like
 * `<id> <ip:port@cport[,hostname]> <flags> <primary|-> <ping> <pong> <epoch> <link> <slot ranges...>`;
 * importing/migrating entries (`[slot->-id]`) are not owned slots and are skipped.
 */
export function parseClusterNodes(reply: string): ClusterNodeLine[] {
    return reply.split("\n").map((line) => line.trim()).filter(Boolean).map((line) => {
        const fields = line.split(" ");
        if (fields.length < 8) {
            throw new Error(`CLUSTER NODES line has ${fields.length} fields, expected at least 8: ${JSON.stringify(line)}`);
        }
        const [nodeId, address, flagText, primary, , , , link, ...slotFields] = fields;
        const hostPort = address.split("@")[0];
        const colon = hostPort.lastIndexOf(":");
        const flags = flagText.split(",");
        const slots: [number, number][] = [];
        for (const field of slotFields) {
            if (field.startsWith("[")) {
                continue;
            }
            const [from, to] = field.split("-").map(Number);
            slots.push([from, to ?? from]);
        }
        return {
            nodeId,
            host: hostPort.slice(0, colon),
            port: Number(hostPort.slice(colon + 1)),
            flags,
            role: flags.includes("slave") ? "replica" : "primary",
            primaryId: primary === "-" ? undefined : primary,
            link,
            slots,
        };
    });
}

/** A one-line summary of one node's view, for timeout messages: "7001 primary 0-5460, 7004 replica of 7001 fail". */
export function describeView(lines: ClusterNodeLine[]): string {
    const portOf = new Map(lines.map((line) => [line.nodeId, line.port]));
    return lines.map((line) => {
        const role = line.role === "replica" ? `replica of ${portOf.get(line.primaryId ?? "") ?? line.primaryId}` : "primary";
        const slots = line.slots.map(([from, to]) => (from === to ? `${from}` : `${from}-${to}`)).join(",");
        const odd = line.flags.filter((flag) => !["myself", "master", "slave"].includes(flag));
        return [line.port, role, slots, ...odd, line.link === "connected" ? "" : line.link].filter(Boolean).join(" ");
    }).join("; ");
}
