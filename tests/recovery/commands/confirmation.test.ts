/**
 * Every command that changes something asks first. Each case runs one command with the fewest flags
 * that take it to its confirmation point (rejoin, restore and retire have a second one, when a rerun
 * finishes what an interrupted run started), without --yes and with stdin not a terminal (a CI job, a
 * pipe): it must exit 1, say how to confirm (--yes), make no changing control-plane call, no stack
 * update, no temporary stack and no data-plane command. Data-plane connections are allowed (restore
 * checks, read-only, that this machine reaches the cache before it asks), commands are not.
 */
import * as assert from "node:assert/strict";
import type { Cluster } from "ioredis";
import { EXIT_FAILED } from "../../../recovery/commands/exit-codes";
import { ConfirmIo } from "../../../recovery/lib/confirm";
import { DataPlaneTarget } from "../../../recovery/dataplane/connect";
import { addSnapshots } from "../restore/restore-scenario";
import { FakeTemporaryStacks } from "../restore/temporary-stacks-fake";
import { Harness, HarnessOptions, harness, key } from "./harness";
import { REJOIN, createDatastoreAroundServing, detachedThenBack } from "./rejoin-scenario";

const PASSWORD = "confirmation-test-password-1";
/** The stack operations that change the stack or its state (FakeStackDriver.calls). */
const STACK_CHANGES = ["setConfig", "refresh", "up"];

/** A data plane that records what is asked of it: connecting and disconnecting is allowed, anything else is a command sent. */
class RecordingDataPlane {
    readonly connections: DataPlaneTarget[] = [];
    readonly commands: string[] = [];

    readonly connect = async (target: DataPlaneTarget): Promise<Cluster> => {
        this.connections.push(target);
        const commands = this.commands;
        return new Proxy({}, {
            get(_target, property) {
                if (property === "then") {
                    return undefined; // not a promise: `await connect()` resolves to the proxy itself
                }
                if (property === "disconnect" || property === "quit") {
                    return () => undefined;
                }
                commands.push(String(property));
                return () => {
                    throw new Error(`data-plane ${String(property)} before confirmation (test)`);
                };
            },
        }) as Cluster;
    };
}

interface Scene {
    h: Harness;
    dataPlane: RecordingDataPlane;
    temporaryStacks?: FakeTemporaryStacks;
    /** Control-plane calls and stack operations before the command ran (the scene's own setup may make some). */
    callsBefore: number;
    driverCallsBefore: number;
}

interface Case {
    command: string;
    /** Which of the command's paths to its confirmation this is, when it has more than one. */
    path?: string;
    /** The flags after the command name: the fewest that reach the confirmation point, without --yes. */
    argv: string[];
    /** What makes this command have something to do. Default: the prod stack as deployed. */
    scene?: (opts: HarnessOptions) => Promise<{ h: Harness; temporaryStacks?: FakeTemporaryStacks }>;
}

const plain = async (opts: HarnessOptions) => ({ h: await harness(opts) });

const SEED = "automatic.prod-us-east-1-2025-01-15-03-00";
/** After a restore: generation 2 active (seeded from SEED), generation 1 kept for investigation. */
const AFTER_RESTORE = {
    [key("generation")]: "2",
    [key("seedSnapshot")]: SEED,
    [key("inactiveGenerations")]: JSON.stringify({ 1: { foundingRegion: "us-east-1" } }),
};

/** Runs a command with --yes as part of a scene, and checks it ended as the scene needs. */
async function setUp(h: Harness, expectedCode: number, ...argv: string[]): Promise<void> {
    assert.equal(await h.run(...argv, "--yes"), expectedCode, `setting the scene: ${argv.join(" ")}\n${h.stderr.text}`);
}

const CASES: Case[] = [
    { command: "retarget-primary", argv: ["--stack", "prod", "--to", "us-west-2"] },
    {
        // After an outage detach with us-east-1 back; Pulumi.prod.yaml has a Route 53 record, which rejoin refuses to leave unchecked.
        command: "rejoin", argv: REJOIN.slice(1),
        scene: async (opts) => ({ h: (await detachedThenBack("published", opts)).h }),
    },
    {
        command: "rejoin", path: "finishing an update an earlier rejoin started", argv: REJOIN.slice(1),
        scene: async (opts) => {
            const { h } = await detachedThenBack("published", opts);
            // A real stack's outputs change only when an update completes: the interrupted one leaves them naming the old datastore.
            const stale = await h.driver.outputs();
            h.driver.outputs = async () => structuredClone(stale);
            // The earlier rejoin's update creates the new datastore around the serving cluster, then is interrupted.
            const up = h.driver.up;
            h.driver.up = async () => {
                h.driver.up = up;
                await createDatastoreAroundServing();
                throw new Error("the update was interrupted (test)");
            };
            await setUp(h, EXIT_FAILED.code, ...REJOIN);
            h.aws.clock.advance(h.aws.durations.joinSecondary);
            return { h };
        },
    },
    {
        command: "restore-from-snapshot", argv: ["--stack", "prod", "--before", "2025-01-15T09:30:00Z"],
        scene: async (opts) => {
            const h = await harness(opts);
            addSnapshots(h);
            return { h };
        },
    },
    {
        // Generation 2 was built and verified and the cutover configuration written; the update that moves the writer did not finish.
        command: "restore-from-snapshot", path: "finishing an interrupted cutover", argv: ["--stack", "prod", "--before", "2025-01-15T09:30:00Z"],
        scene: (opts) => plain({ ...opts, overrides: AFTER_RESTORE, deployedWith: {
            [key("generation")]: "1", [key("seedSnapshot")]: undefined,
            [key("inactiveGenerations")]: JSON.stringify({ 2: { foundingRegion: "us-east-1", seedSnapshot: SEED } }),
        } }),
    },
    { command: "retire-generation", argv: ["--stack", "prod", "--generation", "1"], scene: (opts) => plain({ ...opts, overrides: AFTER_RESTORE }) },
    {
        command: "retire-generation", path: "finishing an interrupted removal", argv: ["--stack", "prod", "--generation", "1"],
        scene: async (opts) => {
            const { h } = await plain({ ...opts, overrides: AFTER_RESTORE });
            // The earlier run marked the generation retiring, took the final snapshot and removed it from the configuration; its last update failed.
            h.driver.injectFault("backend-unreachable", { ops: ["up"], times: 1, after: 1 });
            await setUp(h, EXIT_FAILED.code, "retire-generation", "--stack", "prod", "--generation", "1");
            return { h };
        },
    },
    { command: "snapshot", argv: ["--stack", "prod", "--reason", "before the engine upgrade"] },
    {
        command: "backup-drill", argv: ["--stack", "prod"],
        scene: async (opts) => {
            let temporaryStacks: FakeTemporaryStacks | undefined;
            const h = await harness({ ...opts, temporaryStacks: (aws) => (temporaryStacks = new FakeTemporaryStacks(aws)) });
            addSnapshots(h);
            return { h, temporaryStacks };
        },
    },
    { command: "failover-shard", argv: ["--stack", "prod", "--region", "us-east-1", "--shard", "0001"] },
    { command: "drill", argv: ["--stack", "prod"] },
];

describe("every command that changes something asks first: without --yes and without a terminal it refuses and changes nothing", function () {
    this.timeout(60_000);
    let scene: Scene | undefined;
    afterEach(() => {
        scene?.h.cleanup();
        scene = undefined;
    });

    for (const c of CASES) {
        it(`${c.command} ${c.argv.join(" ")}${c.path ? `, ${c.path}` : ""}`, async () => {
            const asked: string[] = [];
            const noTerminal: ConfirmIo = { isTTY: false, ask: async (question) => { asked.push(question); return ""; } };
            const dataPlane = new RecordingDataPlane();
            // The data plane and its password are there, so the commands that need one get as far as their confirmation.
            const made = await (c.scene ?? plain)({ confirmIo: noTerminal, connectDataPlane: dataPlane.connect, env: { REDIS_PASSWORD: PASSWORD } });
            scene = { ...made, dataPlane, callsBefore: made.h.aws.log.calls().length, driverCallsBefore: made.h.driver.calls.length };
            const { h } = scene;

            const code = await h.run(c.command, ...c.argv);

            assert.match(h.stderr.text, /refusing to change anything without confirmation: stdin is not a terminal and --yes was not given/,
                `the run must stop at the confirmation, not before it:\n${h.stderr.text}\n${h.stdout.text}`);
            const rerun = `then run: npm run recovery -- ${c.command} ${c.argv.map((a) => (a.includes(" ") ? `'${a}'` : a)).join(" ")} --yes`;
            assert.ok(h.stderr.text.includes(rerun), `the message says how to confirm: ${rerun}\n${h.stderr.text}`);
            assert.equal(code, EXIT_FAILED.code);
            assert.deepEqual(asked, [], "no question is put to a stdin that is not a terminal");

            const calls = h.aws.log.calls().slice(scene.callsBefore);
            assert.deepEqual(calls.filter((call) => call.mutating).map((call) => `${call.region} ${call.command}`), [], "no changing control-plane call");
            assert.deepEqual(h.driver.calls.slice(scene.driverCallsBefore).filter((call) => STACK_CHANGES.includes(call.op)).map((call) => call.op), [],
                "no stack configuration write, refresh or update");
            assert.deepEqual(scene.temporaryStacks?.created ?? [], [], "no temporary stack");
            assert.deepEqual(dataPlane.commands, [], "no data-plane command");
            assert.match(h.lastReport().nextSteps.join("\n"), /Nothing was changed/);
        });
    }
});
