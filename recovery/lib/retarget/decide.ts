/**
 * What retarget-primary does next, decided from what the control plane shows now and nothing else: no
 * journal file. A rerun after an interruption (or after someone acted by hand) observes the state the
 * earlier run left and continues from there, so no call is ever made twice.
 */
import { StackConfig, memberRegions } from "../../../components/config/types";
import { Topology, TopologyMember } from "../topology";

export type RetargetMode = "planned" | "outage" | "adopt";

/** The target replication group as its own region reports it (DescribeReplicationGroups). */
export interface TargetGroupState {
    replicationGroupId: string;
    status: string;
    /** Undefined when the group belongs to no datastore (standalone). */
    datastoreId?: string;
    role?: string;
    /** Node cluster ids (<rg>-<shard>-<node>), the dimension the lag metric is published under. */
    memberClusters: string[];
    /** Where clients connect: the configuration endpoint (cluster mode) or the primary endpoint. */
    endpoint?: { address: string; port: number };
}

export interface DecisionInput {
    mode: RetargetMode;
    /** --reconcile-only: bring the stack in line, never promote. */
    reconcileOnly: boolean;
    /** outage --detach: detach at once instead of trying a promotion first. Default false. */
    detach?: boolean;
    target: string;
    config: StackConfig;
    /** Undefined when the datastore is not visible from the regions asked (outage: the target was detached). */
    topology?: Topology;
    /** The target group as its own region sees it; undefined when it was not asked or does not exist. */
    targetGroup?: TargetGroupState;
}

export type Decision =
    /** Promote with FailoverGlobalReplicationGroup, then wait. */
    | { action: "failover"; datastoreId: string; targetGroupId: string; summary: string }
    /**
     * The promotion is under way or done: wait for it without calling anything. In an outage, for
     * --promotion-timeout, then the target is detached unless it is in charge by then.
     */
    | { action: "wait-promotion"; datastoreId: string; targetGroupId: string; summary: string }
    /**
     * outage: detach the target with DisassociateGlobalReplicationGroup (asking again while AWS refuses
     * it as InvalidGlobalReplicationGroupState), then wait for it to be standalone and available.
     */
    | { action: "detach"; datastoreId: string; targetGroupId: string; summary: string }
    /** outage: the target is detaching or detached: wait for it to be standalone and available. */
    | { action: "wait-detach"; targetGroupId: string; datastoreId?: string; summary: string }
    /** The control plane already shows the target in charge: only reconcile. */
    | { action: "reconcile"; targetGroupId: string; datastoreId?: string; standalone: boolean; summary: string }
    | { action: "refuse"; summary: string };

export function describeMembers(members: readonly TopologyMember[]): string {
    return members.map((m) => `${m.region} ${m.replicationGroupId} ${m.role} (${m.memberStatus}` +
        `${m.replicationGroupStatus ? `, group ${m.replicationGroupStatus}` : ""})`).join("; ");
}

function refuse(summary: string): Decision {
    return { action: "refuse", summary };
}

/** Checks that do not depend on the control plane: --to must be one of the stack's regions. */
export function checkTargetRegion(config: StackConfig, target: string): string | undefined {
    const regions = memberRegions(config);
    if (regions.includes(target)) {
        return undefined;
    }
    return `--to ${JSON.stringify(target)} is not a region of stack ${config.stack}. ` +
        `Accepted: one of its secondary regions, ${config.secondaryRegions.join(", ")} (the primary is ${config.primaryRegion}).`;
}

export function decideRetarget(input: DecisionInput): Decision {
    const { mode, target, topology, targetGroup } = input;
    const badRegion = checkTargetRegion(input.config, target);
    if (badRegion) {
        return refuse(badRegion);
    }
    if (!topology) {
        return decideWithoutDatastore(input);
    }
    const member = topology.members.find((m) => m.region === target);
    const roles = describeMembers(topology.members);
    if (!member) {
        if (mode === "outage" && targetGroup && !targetGroup.datastoreId) {
            return decideWithoutDatastore(input);
        }
        return refuse(`${target} is not a member of Global Datastore ${topology.globalDatastoreId} (members: ${roles}). ` +
            `Accepted: a region whose replication group belongs to it.`);
    }
    const id = { datastoreId: topology.globalDatastoreId, targetGroupId: member.replicationGroupId };
    if (member.role === "PRIMARY") {
        // Even when the stack configuration agrees already: a run that died after writing the config
        // is finished by going on to the reconcile, which says "nothing to do" when nothing is left.
        if (topology.status === "available" || topology.status === "primary-only") {
            return { action: "reconcile", ...id, standalone: false, summary: `${target} (${member.replicationGroupId}) is already the primary and the datastore is ${topology.status}` };
        }
        return { action: "wait-promotion", ...id, summary: `${target} is already the primary; the datastore is ${topology.status}, waiting for it to settle` };
    }
    if (mode === "adopt") {
        return refuse(`--mode adopt: ${target} is not the primary, so there is no promotion to adopt. Roles now: ${roles}. ` +
            `To promote it, run with --mode planned (or --mode outage when the primary's region is down).`);
    }
    if (member.role !== "SECONDARY") {
        return refuse(`${target} reports role ${member.role}, neither PRIMARY nor SECONDARY; refusing to act on an unknown role. Roles now: ${roles}.`);
    }
    if (mode === "outage" && member.memberStatus === "disassociating") {
        return { action: "wait-detach", ...id, summary: `${target} is already being detached from ${topology.globalDatastoreId}; waiting for it` };
    }
    if (mode === "outage" && topology.status === "modifying" && member.memberStatus === "associated") {
        // What a promotion leaves behind when a run was interrupted: one about to complete, or one that
        // cannot reach the old primary. Asking for another failover is refused while modifying; detaching
        // at once could cut off a promotion seconds from done, so it gets --promotion-timeout first.
        const busy = `${target} (${member.replicationGroupId}) is still a secondary and ${topology.globalDatastoreId} is modifying ` +
            `(a promotion under way, perhaps one that cannot complete, or another change)`;
        return input.detach
            ? { action: "detach", ...id, summary: `${busy}; --detach: detaching it without waiting. Roles now: ${roles}` }
            : { action: "wait-promotion", ...id, summary: `${busy}: outage mode waits for it up to --promotion-timeout, then detaches the target ` +
                `unless it is in charge by then. Roles now: ${roles}` };
    }
    if (topology.status === "modifying") {
        return refuse(`Global Datastore ${topology.globalDatastoreId} is modifying: someone (an earlier run of this command, the console, ` +
            `a scaling or upgrade) is changing it, and AWS refuses a failover until it is available. Roles now: ${roles}. ` +
            "Wait a few minutes and run the same command again: it continues from whatever state it finds.");
    }
    if (topology.status !== "available") {
        return refuse(`Global Datastore ${topology.globalDatastoreId} is ${topology.status}; a promotion needs it available. Roles now: ${roles}.`);
    }
    if (member.memberStatus !== "associated") {
        return refuse(`${target} is ${member.memberStatus} in ${topology.globalDatastoreId}; only an associated secondary can be promoted. Roles now: ${roles}.`);
    }
    const available = `${target} (${member.replicationGroupId}) is an associated secondary of ${topology.globalDatastoreId}, which is available`;
    if (mode === "outage" && input.detach) {
        return { action: "detach", ...id, summary: `${available}; --detach: detaching it without trying a promotion` };
    }
    return { action: "failover", ...id, summary: available };
}

/** The datastore is not visible: only an outage run that already detached the target may go on. */
function decideWithoutDatastore(input: DecisionInput): Decision {
    const { mode, target, targetGroup } = input;
    if (mode !== "outage") {
        return refuse(`no Global Datastore with a member in ${target} is visible. ` +
            "If an earlier --mode outage run detached it, continue with --mode outage; check the stack and the region otherwise.");
    }
    if (!targetGroup) {
        return refuse(`the replication group of ${target} does not exist or did not answer; nothing to promote there.`);
    }
    if (targetGroup.datastoreId) {
        return refuse(`${targetGroup.replicationGroupId} belongs to ${targetGroup.datastoreId}, which ${target} does not list; ` +
            "describe it by hand before acting.");
    }
    if (targetGroup.status === "available") {
        return { action: "reconcile", targetGroupId: targetGroup.replicationGroupId, standalone: true,
            summary: `${targetGroup.replicationGroupId} is already detached (standalone) and available: it accepts writes` };
    }
    return { action: "wait-detach", targetGroupId: targetGroup.replicationGroupId,
        summary: `${targetGroup.replicationGroupId} is already detached and ${targetGroup.status}; waiting for it to be available` };
}
