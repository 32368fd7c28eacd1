import * as assert from "node:assert/strict";
import { globalDatastoreLagAlarms } from "../../policies/global-datastore";
import { TYPES } from "../../policies/lib/types";
import { checkStack, StackInput, UNKNOWN, urnOf } from "./helpers";
import {
    changeResource, compliantStack, firstPreviewStack, lagAlarm, lagAlarmName, PRIMARY_REGION, SECONDARY_REGIONS, standaloneGroupInFirstPreview,
} from "./fixtures";

const EU = "eu-west-1";

function without(stack: StackInput[], ...names: string[]): StackInput[] {
    for (const name of names) {
        assert.ok(stack.some((r) => r.name === name), `no resource named ${name}`);
    }
    return stack.filter((r) => !names.includes(r.name));
}

/** Violations without their Fix text, to compare whole sentences. */
async function found(stack: StackInput[], config: Record<string, unknown> = {}): Promise<string[]> {
    const outcome = await checkStack(globalDatastoreLagAlarms, stack, config);
    assert.equal(outcome.cannotRun, undefined);
    return outcome.violations.map((v) => v.replace(/\. Fix: .*/, ""));
}

const MUST = "ElastiCache replication group must have a GlobalDatastoreReplicationLag alarm on every shard";

describe("policies/global-datastore: global-datastore-lag-alarms", () => {
    it("passes an alarm on every shard of each secondary, in its region, with actions", async () => {
        assert.deepEqual(await found(compliantStack()), []);
    });

    it("fails a secondary that misses one shard's alarm, naming the shard, on that secondary", async () => {
        const outcome = await checkStack(globalDatastoreLagAlarms, without(compliantStack(), lagAlarmName(EU, 2)));
        assert.deepEqual(outcome.violations.map((v) => v.replace(/\. Fix: .*/, "")), [`${MUST}: "cache-eu-west-1" in eu-west-1 has none for shard 0002 (of 3)`]);
        assert.deepEqual(outcome.urns, [urnOf(TYPES.replicationGroup, "cache-eu-west-1")]);
    });

    it("asks every secondary and never the primary: with no alarm at all, exactly the two secondaries fail", async () => {
        const outcome = await checkStack(globalDatastoreLagAlarms, compliantStack().filter((r) => r.type !== TYPES.metricAlarm));
        assert.deepEqual(outcome.urns, SECONDARY_REGIONS.map((region) => urnOf(TYPES.replicationGroup, `cache-${region}`)));
        assert.match(outcome.violations.join("\n"), /"cache-eu-west-1" in eu-west-1 has none for shards 0001, 0002, 0003 \(of 3\)/);
    });

    it("takes the shard count from the primary when the datastore does not set it", async () => {
        let stack = changeResource(compliantStack(), "datastore", { numNodeGroups: undefined });
        stack = changeResource(stack, `cache-${PRIMARY_REGION}`, { numNodeGroups: 4 });
        assert.deepEqual(await found(stack), SECONDARY_REGIONS.map((region) => `${MUST}: "cache-${region}" in ${region} has none for shard 0004 (of 4)`));
    });

    it("does not count an alarm in another region or on another group's nodes", async () => {
        const moved = changeResource(compliantStack(), lagAlarmName(EU, 1), { region: PRIMARY_REGION });
        const otherNodes = changeResource(compliantStack(), lagAlarmName(EU, 1), { metricQueries: lagAlarm("us-west-2", 1).metricQueries });
        assert.deepEqual([...await found(moved), ...await found(otherNodes)],
            [`${MUST}: "cache-eu-west-1" in eu-west-1 has none for shard 0001 (of 3)`, `${MUST}: "cache-eu-west-1" in eu-west-1 has none for shard 0001 (of 3)`]);
    });

    it("counts one alarm with a ReplicationGroupId dimension for every shard of the group", async () => {
        const plain = { region: EU, metricName: "GlobalDatastoreReplicationLag", namespace: "AWS/ElastiCache", comparisonOperator: "GreaterThanThreshold", threshold: 10, alarmActions: ["arn:aws:sns:eu-west-1:123456789012:pager"], dimensions: { ReplicationGroupId: "prod-eu-west-1" } };
        const stack = without(compliantStack(), lagAlarmName(EU, 2), lagAlarmName(EU, 3));
        assert.deepEqual(await found(changeResource(stack, lagAlarmName(EU, 1), { ...plain, metricQueries: undefined })), []);
    });

    it("does not count a threshold above maxThresholdSeconds, and says why", async () => {
        const violations = await found(compliantStack(), { maxThresholdSeconds: 20 });
        assert.equal(violations.length, 2);
        assert.match(violations[1], /"cache-eu-west-1" in eu-west-1 has none for shards 0001, 0002, 0003 \(of 3\); not counted: "lag-eu-west-1-1" \(threshold 30s is above maxThresholdSeconds 20s\)/);
    });

    it("counts GreaterThan* comparisons only: an alarm on low lag does not watch it", async () => {
        const low = changeResource(compliantStack(), lagAlarmName(EU, 1), { comparisonOperator: "LessThanThreshold" });
        assert.deepEqual(await found(low), [`${MUST}: "cache-eu-west-1" in eu-west-1 has none for shard 0001 (of 3); not counted: "lag-eu-west-1-1" (comparisonOperator "LessThanThreshold" does not fire on high lag)`]);
        assert.deepEqual(await found(changeResource(compliantStack(), lagAlarmName(EU, 1), { comparisonOperator: "GreaterThanOrEqualToThreshold" })), []);
    });

    it("does not count an alarm that notifies no one", async () => {
        const empty = await found(changeResource(compliantStack(), lagAlarmName(EU, 1), { alarmActions: [] }));
        const unset = await found(changeResource(compliantStack(), lagAlarmName(EU, 1), { alarmActions: undefined }));
        const disabled = await found(changeResource(compliantStack(), lagAlarmName(EU, 1), { actionsEnabled: false }));
        assert.match(empty.join("\n"), /shard 0001 \(of 3\); not counted: "lag-eu-west-1-1" \(no alarmActions\)/);
        assert.match(unset.join("\n"), /not counted: "lag-eu-west-1-1" \(no alarmActions\)/);
        assert.match(disabled.join("\n"), /not counted: "lag-eu-west-1-1" \(actionsEnabled is false\)/);
    });

    it("counts alarm actions whose topic ARN is not known yet", async () => {
        assert.deepEqual(await found(changeResource(compliantStack(), lagAlarmName(EU, 1), { alarmActions: [UNKNOWN] })), []);
    });

    it("works in the first preview, where ids are unknown", async () => {
        const stack = without(firstPreviewStack(), lagAlarmName("us-west-2", 3));
        assert.deepEqual(await found(stack), [`${MUST}: "cache-us-west-2" in us-west-2 has none for shard 0003 (of 3)`]);
    });

    it("does not ask an alarm of a replication group outside the datastore", async () => {
        assert.deepEqual(await found([...firstPreviewStack(), standaloneGroupInFirstPreview("ap-south-1")]), []);
    });

    it("reports 'could not verify' when a shard's only alarm is unreadable, and passes when another alarm watches that shard", async () => {
        const unreadable = changeResource(compliantStack(), lagAlarmName(EU, 1), { metricQueries: UNKNOWN });
        assert.deepEqual((await checkStack(globalDatastoreLagAlarms, unreadable)).violations.map((v) => v.replace(/ is unknown during preview.*/, "")),
            ["could not verify global-datastore-lag-alarms on ElastiCache replication group \"cache-eu-west-1\" in eu-west-1: metricQueries of alarm \"lag-eu-west-1-1\""]);
        // A stack rule cannot tell which input to set here, so it does not tell users to set anything.
        assert.match((await checkStack(globalDatastoreLagAlarms, unreadable)).violations[0], /Fix: the rule checks it once the value is known, in a later preview or update\.$/);
        const withAnother = [...unreadable, { type: TYPES.metricAlarm, name: "lag-eu-west-1-1-b", props: lagAlarm(EU, 1) }];
        assert.deepEqual(await found(withAnother), []);
    });

    it("reports a missing shard even when another alarm is unreadable: a known gap is a violation, not a doubt", async () => {
        const stack = changeResource(without(compliantStack(), lagAlarmName(EU, 2)), lagAlarmName(EU, 1), { threshold: UNKNOWN });
        assert.deepEqual(await found(stack), [`${MUST}: "cache-eu-west-1" in eu-west-1 has none for shard 0002 (of 3)`]);
    });

    it("reports 'could not verify' when the shard count is unknown on the datastore and its primary", async () => {
        let stack = changeResource(compliantStack(), "datastore", { numNodeGroups: UNKNOWN }, { feeds: { numNodeGroups: [`key-${PRIMARY_REGION}`] } });
        stack = changeResource(stack, `cache-${PRIMARY_REGION}`, { numNodeGroups: UNKNOWN }, { feeds: { numNodeGroups: [`key-${PRIMARY_REGION}`] } });
        const { violations } = await checkStack(globalDatastoreLagAlarms, stack);
        assert.equal(violations.length, 2);
        assert.match(violations[0], /^could not verify global-datastore-lag-alarms on ElastiCache replication group "cache-us-west-2" in us-west-2: numNodeGroups of the datastore and of its primary "cache-us-east-1" is unknown during preview/);
    });
});
