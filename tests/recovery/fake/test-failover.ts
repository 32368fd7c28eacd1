/**
 * TestFailover: promote a replica of one shard, then replace the old primary, with the events a real
 * TestFailover of a cluster-mode group emits, in their order: "Test Failover API called for node
 * group ..." and "Failover to replica node <replica> completed" on the replication group, then
 * "Recovering cache nodes" and "Finished recovery for cache nodes" on the old primary's cache cluster.
 * usePromotionEventForm(model, "long") makes the promotion read "Failover from primary node X to
 * replica node Y completed" instead (on the new primary's cache cluster and the group), as AWS words
 * it in other situations such as maintenance. Test-only.
 */
import { InvalidParameterValueException, InvalidReplicationGroupStateFault, NodeGroupNotFoundFault, ReplicationGroupNotFoundFault, TestFailoverNotAvailableFault } from "@aws-sdk/client-elasticache";
import { Durations } from "./datastore-ops";
import { serviceError } from "./errors";
import { FakeModel, FakeReplicationGroup } from "./model";

const DAY_MS = 24 * 60 * 60 * 1000;

export type PromotionEventForm = "short" | "long";
const promotionForms = new WeakMap<FakeModel, PromotionEventForm>();

/** How the fake's TestFailovers on `model` word the promotion. Default "short", the form real TestFailovers emit. */
export function usePromotionEventForm(model: FakeModel, form: PromotionEventForm): void {
    promotionForms.set(model, form);
}

/**
 * API Reference, TestFailover: "A customer can use this operation to test automatic failover on up to
 * 15 shards ... in any rolling 24-hour period." Counting it per region, and answering the call over
 * the quota with TestFailoverNotAvailableFault, are assumptions: the operation also lists
 * APICallRateForCustomerExceeded ("exceeded the allowed rate of API calls") and says neither which
 * one the quota gives nor whether regions share it.
 */
export const TEST_FAILOVER_QUOTA = 15;

export class TestFailoverOperation {
    constructor(
        private readonly model: FakeModel,
        private readonly durations: Durations,
        private readonly neverFinishes: (command: string) => boolean,
        private readonly quota: number = TEST_FAILOVER_QUOTA,
    ) {}

    run(region: string, rgId: string | undefined, nodeGroupId: string | undefined): FakeReplicationGroup {
        const rg = this.model.replicationGroup(region, rgId ?? "");
        if (!rg) {
            throw serviceError(ReplicationGroupNotFoundFault, `ReplicationGroupId "${rgId}": no replication group with that id in ${region}`);
        }
        const group = rg.nodeGroups.find((g) => g.id === nodeGroupId);
        if (!group) {
            throw serviceError(NodeGroupNotFoundFault, `NodeGroupId "${nodeGroupId}" is not a node group of ${rg.id}; node groups: ${rg.nodeGroups.map((g) => g.id).join(", ")}`);
        }
        if (rg.status !== "available") {
            throw serviceError(InvalidReplicationGroupStateFault, `Replication group ${rg.id} is ${rg.status}; TestFailover needs it available`);
        }
        const key = FakeModel.key(region, rg.id);
        // API Reference, TestFailover: on "the same ... (cluster mode enabled) replication group, the first
        // node replacement must complete before a subsequent call can be made". The fault is an assumption.
        if (this.model.testFailoverRunning.has(key)) {
            throw serviceError(TestFailoverNotAvailableFault,
                `A TestFailover on ${rg.id} is still replacing a node; wait for "Finished recovery for cache nodes" before testing another node group`);
        }
        const now = this.model.now();
        const recent = (this.model.testFailoverCalls.get(region) ?? []).filter((at) => at > now - DAY_MS);
        if (recent.length >= this.quota) {
            const nextAllowed = new Date(recent[0] + DAY_MS).toISOString();
            throw serviceError(TestFailoverNotAvailableFault,
                `TestFailover quota reached: ${this.quota} node groups in the last 24 hours in ${region}; the next is allowed at ${nextAllowed}`);
        }
        const oldPrimary = group.nodes.find((n) => n.role === "primary");
        const newPrimary = group.nodes.find((n) => n.role === "replica");
        if (!oldPrimary || !newPrimary) {
            throw serviceError(InvalidParameterValueException, `Node group ${group.id} of ${rg.id} has no replica to fail over to`);
        }
        this.model.testFailoverCalls.set(region, [...recent, now]);
        this.model.testFailoverRunning.add(key);
        group.status = "modifying";
        // Event texts and their order: API Reference, TestFailover ("Replication group message: Test Failover
        // API called for node group <node-group-id>", ..., "Cache cluster message: Finished recovery for cache
        // nodes <node-id>"). The short promotion form is what cluster-mode runs report (shared facts; not in
        // the API reference). Timings are simulated.
        this.model.emit(region, "replication-group", rg.id, `Test Failover API called for node group ${group.id}`);

        const stuck = this.neverFinishes("TestFailover");
        const at = (offset: number) => (stuck ? Infinity : now + offset);
        const long = promotionForms.get(this.model) === "long";
        this.model.schedule(at(this.durations.testFailoverPromotion), `${key} ${group.id} promoted`, () => {
            oldPrimary.role = "replica";
            newPrimary.role = "primary";
            if (long) {
                const message = `Failover from primary node ${oldPrimary.cacheClusterId} to replica node ${newPrimary.cacheClusterId} completed`;
                this.model.emit(region, "cache-cluster", newPrimary.cacheClusterId, message);
                this.model.emit(region, "replication-group", rg.id, message);
            } else {
                this.model.emit(region, "replication-group", rg.id, `Failover to replica node ${newPrimary.cacheClusterId} completed`);
            }
            this.model.onShardPromoted?.({ region, replicationGroupId: rg.id, nodeGroupId: group.id,
                from: oldPrimary.cacheClusterId, to: newPrimary.cacheClusterId, at: this.model.now() });
        });
        this.model.schedule(at(this.durations.testFailoverRecoveryStart), `${key} ${group.id} recovering`, () => {
            this.model.emit(region, "cache-cluster", oldPrimary.cacheClusterId, `Recovering cache nodes ${oldPrimary.cacheNodeId}`);
        });
        this.model.schedule(at(this.durations.testFailoverRecovered), `${key} ${group.id} recovered`, () => {
            this.model.emit(region, "cache-cluster", oldPrimary.cacheClusterId, `Finished recovery for cache nodes ${oldPrimary.cacheNodeId}`);
            group.status = "available";
            this.model.testFailoverRunning.delete(key);
        });
        return rg;
    }
}
