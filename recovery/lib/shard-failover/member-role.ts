/**
 * Whether the replication group whose shard fails over takes writes at all. A Global Datastore
 * secondary is read-only: a write check there fails however healthy the shard is, so the check after a
 * failover must know the member's role, which only DescribeGlobalReplicationGroups tells.
 */
import { StackConfig } from "../../../components/config/types";
import { RegionClients } from "../clients";
import { firstLine } from "../progress";
import { StackDriver } from "../stack-driver";
import { discoverTopology } from "../topology";
import { ShardTarget } from "./target";

export type MemberRole =
    /** The stack has no secondary region: the group is on its own and takes writes. */
    | { role: "standalone" }
    | { role: "PRIMARY" | "SECONDARY"; globalDatastoreId: string }
    /** Not known (AWS did not answer, or the group is not a member): the write check runs, and says why. */
    | { role: "unknown"; why: string };

/** The role of the target's replication group in the stack's Global Datastore, asked of the target's region only. */
export async function readMemberRole(target: ShardTarget, config: StackConfig, driver: StackDriver, clients: RegionClients): Promise<MemberRole> {
    if (config.secondaryRegions.length === 0) {
        return { role: "standalone" };
    }
    try {
        const topology = await discoverTopology({
            clientsFor: (region) => clients.elastiCache(region), driver, config, regionOrder: [target.region], onlyRegions: [target.region],
        });
        const member = topology.members.find((m) => m.region === target.region && m.replicationGroupId === target.replicationGroupId);
        if (!member) {
            return { role: "unknown", why: `Global Datastore ${topology.globalDatastoreId} has no member ${target.replicationGroupId} in ${target.region} ` +
                `(members: ${topology.members.map((m) => `${m.replicationGroupId} in ${m.region}`).join(", ") || "none"})` };
        }
        if (member.role === "UNKNOWN") {
            return { role: "unknown", why: `Global Datastore ${topology.globalDatastoreId} reports no known role for ${target.replicationGroupId}` };
        }
        return { role: member.role, globalDatastoreId: topology.globalDatastoreId };
    } catch (e) {
        return { role: "unknown", why: `the Global Datastore could not be read in ${target.region}: ${firstLine(e)}` };
    }
}

/** "a SECONDARY of Global Datastore X (read-only)", for plans and findings. */
export function describeRole(target: ShardTarget, role: MemberRole): string {
    switch (role.role) {
        case "standalone":
            return `${target.replicationGroupId} is not part of a Global Datastore (the stack has no secondary region)`;
        case "PRIMARY":
            return `${target.replicationGroupId} is the PRIMARY of Global Datastore ${role.globalDatastoreId} (takes writes)`;
        case "SECONDARY":
            return `${target.replicationGroupId} is a SECONDARY of Global Datastore ${role.globalDatastoreId} (read-only: it takes no writes)`;
        default:
            return `the role of ${target.replicationGroupId} is not known: ${role.why}`;
    }
}
