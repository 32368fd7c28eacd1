import * as assert from "node:assert/strict";
import { StackConfig } from "../../../components/config/types";
import { Decision, DecisionInput, decideRetarget } from "../../../recovery/lib/retarget/decide";
import { Topology, TopologyMember } from "../../../recovery/lib/topology";

const config = { stack: "prod", namePrefix: "prod", primaryRegion: "us-east-1", foundingRegion: "us-east-1", secondaryRegions: ["us-west-2", "eu-west-1"] } as StackConfig;

function member(region: string, role: TopologyMember["role"], memberStatus = "associated"): TopologyMember {
    return { region, replicationGroupId: `prod-${region}`, role, memberStatus };
}

function topology(status: string, members: TopologyMember[]): Topology {
    return { globalDatastoreId: "ldgnf-prod", status, members, source: "config", regionsAsked: [], failures: [] };
}

const HEALTHY = topology("available", [member("us-east-1", "PRIMARY"), member("us-west-2", "SECONDARY"), member("eu-west-1", "SECONDARY")]);
const SWAPPED = topology("available", [member("us-east-1", "SECONDARY"), member("us-west-2", "PRIMARY"), member("eu-west-1", "SECONDARY")]);

function decide(overrides: Partial<DecisionInput>): Decision {
    return decideRetarget({ mode: "planned", reconcileOnly: false, target: "us-west-2", config, topology: HEALTHY, ...overrides });
}

function refusal(overrides: Partial<DecisionInput>): string {
    const d = decide(overrides);
    assert.equal(d.action, "refuse", `expected a refusal, got ${JSON.stringify(d)}`);
    return d.summary;
}

describe("retarget decisions from the observed state", () => {
    it("fails over an associated secondary of an available datastore", () => {
        assert.deepEqual({ ...decide({}), summary: "" }, { action: "failover", datastoreId: "ldgnf-prod", targetGroupId: "prod-us-west-2", summary: "" });
    });

    it("refuses a region that is not the stack's, listing the accepted ones", () => {
        assert.match(refusal({ target: "ap-south-1" }), /--to "ap-south-1" is not a region of stack prod\. Accepted: one of its secondary regions, us-west-2, eu-west-1/);
    });

    it("refuses a stack region that is not a member of the datastore", () => {
        const twoMembers = topology("available", [member("us-east-1", "PRIMARY"), member("eu-west-1", "SECONDARY")]);
        assert.match(refusal({ topology: twoMembers }), /us-west-2 is not a member of Global Datastore ldgnf-prod/);
    });

    it("refuses while the datastore is modifying, saying someone is changing it and to retry", () => {
        assert.match(refusal({ topology: { ...HEALTHY, status: "modifying" } }), /is modifying: someone .* is changing it.*run the same command again/);
    });

    it("refuses a secondary that is not associated", () => {
        const joining = topology("available", [member("us-east-1", "PRIMARY"), member("us-west-2", "SECONDARY", "associating")]);
        assert.match(refusal({ topology: joining }), /us-west-2 is associating/);
    });

    it("goes on to the reconcile when the target is already primary and the stack says so (a rerun after the config was written)", () => {
        assert.deepEqual({ ...decide({ target: "us-east-1" }), summary: "" },
            { action: "reconcile", datastoreId: "ldgnf-prod", targetGroupId: "prod-us-east-1", standalone: false, summary: "" });
    });

    it("continues without a failover when a rerun finds the target already primary (promotion done, config not yet)", () => {
        assert.equal(decide({ topology: SWAPPED }).action, "reconcile");
        assert.equal(decide({ topology: { ...SWAPPED, status: "modifying" } }).action, "wait-promotion");
    });

    it("adopt refuses when the target is not the primary, with the real roles", () => {
        assert.match(refusal({ mode: "adopt" }), /--mode adopt: us-west-2 is not the primary.*us-east-1 prod-us-east-1 PRIMARY/);
    });

    it("outage: waits for a detach already under way, and reconciles a target already standalone", () => {
        const detaching = topology("modifying", [member("us-east-1", "PRIMARY"), member("us-west-2", "SECONDARY", "disassociating")]);
        assert.equal(decide({ mode: "outage", topology: detaching }).action, "wait-detach");
        const standalone = { replicationGroupId: "prod-us-west-2", status: "available", memberClusters: [] };
        assert.deepEqual(decide({ mode: "outage", topology: undefined, targetGroup: standalone }),
            { action: "reconcile", targetGroupId: "prod-us-west-2", standalone: true, summary: "prod-us-west-2 is already detached (standalone) and available: it accepts writes" });
        assert.equal(decide({ mode: "outage", topology: undefined, targetGroup: { ...standalone, status: "modifying" } }).action, "wait-detach");
    });

    it("outage: a secondary whose datastore is modifying (an interrupted promotion, perhaps about to complete) is waited for, then detached; planned still refuses", () => {
        const modifying = { ...HEALTHY, status: "modifying" };
        const d = decide({ mode: "outage", topology: modifying });
        assert.deepEqual({ ...d, summary: "" }, { action: "wait-promotion", datastoreId: "ldgnf-prod", targetGroupId: "prod-us-west-2", summary: "" });
        assert.match(d.summary, /is modifying .*outage mode waits for it up to --promotion-timeout, then detaches the target unless it is in charge by then/);
        assert.equal(decide({ topology: modifying }).action, "refuse");
    });

    it("outage --detach on a modifying datastore detaches without waiting", () => {
        const d = decide({ mode: "outage", detach: true, topology: { ...HEALTHY, status: "modifying" } });
        assert.equal(d.action, "detach");
        assert.match(d.summary, /--detach: detaching it without waiting/);
    });

    it("outage --detach skips the promotion; outage without it tries the failover first", () => {
        assert.equal(decide({ mode: "outage", detach: true }).action, "detach");
        assert.equal(decide({ mode: "outage" }).action, "failover");
        assert.equal(decide({ mode: "outage", detach: true, topology: SWAPPED }).action, "reconcile", "nothing to detach once the target is primary");
    });

    it("without a visible datastore, only outage mode may go on", () => {
        assert.match(refusal({ topology: undefined }), /no Global Datastore with a member in us-west-2 is visible/);
    });
});
