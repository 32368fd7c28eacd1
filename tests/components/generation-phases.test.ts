/**
 * The phases a restore takes a generation through (founder-only, cut over founder-only, whole), the
 * users every generation shares, and the generation numbers and final snapshot names that are never
 * used twice.
 */
import * as assert from "node:assert/strict";
import { ProgramRun } from "../../offline/run";
import { ConfigError, validateConfig } from "../../components/config";
import { planSteps } from "../recovery/fake/stack-driver";
import { T, inRegion, ofType, only, runWith, stackConfigWith } from "../helpers/program";

const REGIONS = ["us-east-1", "us-west-2", "eu-west-1"];
const SNAPSHOT = "test-us-east-1-2026-11-20-0300";

function groupsOf(run: ProgramRun): string[] {
    return ofType(run, T.replicationGroup).map((r) => String(r.inputs.replicationGroupId)).sort();
}

function document(run: ProgramRun, region: string, role: "writer" | "reader") {
    const p = only(inRegion(run, T.parameter, region).filter((x) => x.inputs.name === `/elasticache-global/test/${role}`), `${role} parameter in ${region}`);
    return JSON.parse(String(p.inputs.insecureValue)) as { region: string; replicationGroupId: string; role: string };
}

function problems(overrides: Record<string, unknown>): string[] {
    const { config } = stackConfigWith({ userPasswords: { app: "a-long-enough-password-1" }, ...overrides });
    const raw = Object.fromEntries(Object.entries(config).filter(([k]) => k.startsWith("elasticache-global:")).map(([k, v]) => [k.slice("elasticache-global:".length), v]));
    try {
        validateConfig(raw, "test");
    } catch (e) {
        assert.ok(e instanceof ConfigError, String(e));
        return e.problems;
    }
    return [];
}

describe("Generation phases: founder-only, cut over, whole", () => {
    describe("generation 2 declared founder-only while generation 1 serves", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runWith({ inactiveGenerations: { 2: { foundingRegion: "us-east-1", seedSnapshot: SNAPSHOT, founderOnly: true } } });
        });

        it("declares generation 2's founder, created from the snapshot, and its datastore, and no secondary", () => {
            assert.deepEqual(groupsOf(run), [...REGIONS.map((r) => `test-${r}`), "test-g2-us-east-1"].sort());
            assert.ok(ofType(run, T.globalDatastore).some((d) => d.inputs.globalReplicationGroupIdSuffix === "test-g2"));
            const g2 = only(ofType(run, T.replicationGroup).filter((r) => r.inputs.replicationGroupId === "test-g2-us-east-1"), "g2 founder");
            assert.equal(g2.inputs.snapshotName, SNAPSHOT);
            const gens = run.outputs.generations as Record<string, { founderOnly: boolean; regions: Record<string, unknown> }>;
            assert.equal(gens["2"].founderOnly, true);
            assert.deepEqual(Object.keys(gens["2"].regions), ["us-east-1"]);
        });

        it("watches only the member it has: no generation 2 alarms or dashboards in the other regions", () => {
            const g2Alarms = ofType(run, T.alarm).map((a) => String(a.inputs.name)).filter((n) => n.startsWith("test-g2-"));
            assert.ok(g2Alarms.length > 0);
            assert.ok(g2Alarms.every((n) => n.startsWith("test-g2-us-east-1-")), g2Alarms.join(", "));
        });
    });

    describe("cut over to generation 2 while it is founder-only", () => {
        let run: ProgramRun;
        before(async () => {
            run = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, founderOnly: "true", inactiveGenerations: { 1: { foundingRegion: "us-east-1" } } });
        });

        it("points the writer parameter of every region at the founder, and the readers of regions without a member at it too", () => {
            for (const region of REGIONS) {
                assert.equal(document(run, region, "writer").replicationGroupId, "test-g2-us-east-1", `writer in ${region}`);
                // Never at generation 1's member in that region: it holds the corrupted data.
                assert.equal(document(run, region, "reader").replicationGroupId, "test-g2-us-east-1", `reader in ${region}`);
            }
            assert.deepEqual(Object.keys(run.outputs.regions as object), ["us-east-1"]);
        });

        it("declares generation 2's secondaries once founderOnly is cleared, and the readers follow them", async () => {
            const whole = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, founderOnly: "false", inactiveGenerations: { 1: { foundingRegion: "us-east-1" } } });
            assert.deepEqual(groupsOf(whole).filter((g) => g.startsWith("test-g2-")), REGIONS.map((r) => `test-g2-${r}`).sort());
            assert.equal(document(whole, "us-west-2", "reader").replicationGroupId, "test-g2-us-west-2");
        });

        it("refuses a founder-only active generation whose primary is not its founding region", () => {
            const found = problems({ generation: "2", founderOnly: "true", primaryRegion: "us-west-2", foundingRegion: "us-east-1", secondaryRegions: ["us-east-1", "eu-west-1"] });
            assert.ok(found.some((p) => /^elasticache-global:founderOnly is true: the active generation has only its founding member, in foundingRegion us-east-1, so primaryRegion cannot be us-west-2\. Accepted: false .*, or primaryRegion us-east-1\.$/.test(p)), found.join("\n"));
        });
    });
});

describe("Users shared by every generation", () => {
    let run: ProgramRun;
    before(async () => {
        run = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, inactiveGenerations: { 1: { foundingRegion: "us-east-1" } } });
    });

    it("creates each region's users and user group once, with generation 1's names, used by both generations' members", () => {
        for (const region of REGIONS) {
            assert.deepEqual(inRegion(run, T.userGroup, region).map((g) => g.inputs.userGroupId), ["test-users"]);
            assert.deepEqual(inRegion(run, T.user, region).map((u) => u.inputs.userId).sort(), ["test-app", "test-default-disabled", "test-reporting"]);
            for (const member of inRegion(run, T.replicationGroup, region)) {
                assert.deepEqual(member.inputs.userGroupIds, ["test-users"], String(member.inputs.replicationGroupId));
            }
        }
        // An IAM user's name is its id: the same for every generation, so its IAM policy's user ARN stays.
        const reporting = inRegion(run, T.user, "us-east-1").find((u) => u.inputs.userId === "test-reporting")!;
        assert.equal(reporting.inputs.userName, "test-reporting");
    });

    it("keeps the users of an existing stack: the same logical names, aliased to where generation 1's datastore declared them", async () => {
        const fresh = await runWith();
        const users = fresh.resources.filter((r) => r.type === T.user || r.type === T.userGroup);
        assert.deepEqual(users.map((u) => u.name).sort(), REGIONS.flatMap((r) => [`cache-${r}-default-disabled`, `cache-${r}-user-app`, `cache-${r}-user-reporting`, `cache-${r}-users`]).sort());
        // The state an earlier version of the program left: the same resources, children of generation 1's datastore component.
        const former = (urn: string) => urn.replace("::elasticache-global:index:CacheRegion$", "::elasticache-global:index:GlobalDatastore$");
        const deployed = fresh.resources.map((r) => ({ urn: users.includes(r) ? former(r.urn) : r.urn, type: r.type, name: r.name, custom: r.custom, protect: r.protect, inputs: r.inputs }));
        assert.ok(users.every((u) => former(u.urn) !== u.urn), "the test rewrites every user URN");
        const changes = planSteps(deployed, fresh.resources).filter((s) => s.op !== "same");
        assert.deepEqual(changes.map((s) => `${s.op} ${s.urn}`), []);
    });
});

describe("Generation numbers and final snapshot names are never used twice", () => {
    it("takes the highest generation declared when highestGeneration is unset", async () => {
        const run = await runWith({ inactiveGenerations: { 3: { foundingRegion: "us-east-1" } } });
        assert.equal(run.outputs.highestGeneration, 3);
    });

    it("keeps highestGeneration above every generation declared now, when a retire has removed the highest", async () => {
        const run = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, highestGeneration: "4" });
        assert.equal(run.outputs.highestGeneration, 4);
    });

    it("refuses a highestGeneration below a generation declared now, naming the key, the value and what is accepted", () => {
        const found = problems({ generation: "3", highestGeneration: "2", inactiveGenerations: { 1: { foundingRegion: "us-east-1" } } });
        assert.ok(found.some((p) => p.startsWith("elasticache-global:highestGeneration is 2: generation 3 is declared above it.") &&
            p.endsWith("Accepted: 3 or more, and never less than the value it had.")), found.join("\n"));
    });

    it("names a retiring generation's final snapshots with the retirement's own suffix", async () => {
        const run = await runWith({ generation: "2", seedSnapshot: SNAPSHOT, inactiveGenerations: { 1: { foundingRegion: "us-east-1", retiring: true, finalSnapshotSuffix: "20250115-100000" } } });
        for (const region of REGIONS) {
            const g1 = only(inRegion(run, T.replicationGroup, region).filter((r) => r.inputs.replicationGroupId === `test-${region}`), "g1");
            assert.equal(g1.inputs.finalSnapshotIdentifier, `test-${region}-final-20250115-100000`);
            const g2 = only(inRegion(run, T.replicationGroup, region).filter((r) => r.inputs.replicationGroupId === `test-g2-${region}`), "g2");
            assert.equal(g2.inputs.finalSnapshotIdentifier, `test-g2-${region}-final`);
        }
    });

    it("refuses a final snapshot suffix that is not a time, or on a generation that is not retiring", () => {
        const found = problems({ inactiveGenerations: { 2: { foundingRegion: "us-east-1", retiring: true, finalSnapshotSuffix: "yesterday" }, 3: { foundingRegion: "us-east-1", finalSnapshotSuffix: "20250115-100000" } } });
        assert.ok(found.some((p) => p.includes("inactiveGenerations.2.finalSnapshotSuffix is \"yesterday\". Accepted: YYYYMMDD-HHMMSS")), found.join("\n"));
        assert.ok(found.some((p) => p.includes("inactiveGenerations.3.finalSnapshotSuffix is \"20250115-100000\": only a retiring generation has final snapshot names")), found.join("\n"));
    });
});
