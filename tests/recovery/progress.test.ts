import * as assert from "node:assert/strict";
import { RecoveryEvent } from "../../recovery/lib/events";
import { formatDuration, humanPrinter, jsonLinesPrinter } from "../../recovery/lib/printer";
import { Progress } from "../../recovery/lib/progress";
import { VirtualClock } from "./fake/virtual-clock";

/** Collects what a printer writes. */
function sink(isTTY = false): { write: (t: string) => void; isTTY: boolean; text: () => string } {
    const chunks: string[] = [];
    return { write: (t) => chunks.push(t), isTTY, text: () => chunks.join("") };
}

const START = Date.UTC(2025, 0, 15, 10, 0, 0);

describe("Progress: steps, findings and next steps, recorded and forwarded", () => {
    it("emits step-started and step-finished around the body, with its summary, and records the step", async () => {
        const clock = new VirtualClock(START);
        const events: RecoveryEvent[] = [];
        const progress = new Progress({ clock, sinks: [(e) => events.push(e)] });
        const value = await progress.step("locate", "finding the Global Datastore", async (step) => {
            await clock.sleep(1500);
            step.found("datastore ldgnf-prod is available", { detail: { members: 3 } });
            step.next("check replication lag in us-west-2");
            step.summarize("3 members, primary us-east-1");
            return 42;
        });
        assert.equal(value, 42);
        assert.deepEqual(events, [
            { type: "step-started", at: START, step: "locate", doing: "finding the Global Datastore" },
            { type: "found", at: START + 1500, step: "locate", level: "info", what: "datastore ldgnf-prod is available", detail: { members: 3 } },
            { type: "next", at: START + 1500, step: "locate", next: "check replication lag in us-west-2" },
            { type: "step-finished", at: START + 1500, step: "locate", result: "ok", summary: "3 members, primary us-east-1" },
        ]);
        assert.deepEqual(progress.events, events);
        const [record] = progress.steps;
        assert.equal(record.finishedAt! - record.startedAt, 1500);
        assert.deepEqual(record.events.map((e) => e.type), ["found", "next"]);
    });

    it("finishes a throwing step as failed with the error's first line, and rethrows the same error", async () => {
        const progress = new Progress({ clock: new VirtualClock(START) });
        const boom = new Error("FailoverGlobalReplicationGroup refused\nsecond line");
        await assert.rejects(progress.step("promote", "promoting us-west-2", async () => { throw boom; }), (e) => e === boom);
        assert.deepEqual(progress.events[progress.events.length - 1],
            { type: "step-finished", at: START, step: "promote", result: "failed", summary: "FailoverGlobalReplicationGroup refused" });
    });

    it("records a step told through emit alone (a helper that only has an Emit), with its findings, result and summary", () => {
        const progress = new Progress({ clock: new VirtualClock(START) });
        progress.emit({ type: "step-started", at: START, step: "stack-update", doing: "pulumi up on stack prod" });
        progress.emit({ type: "found", at: START + 10, step: "stack-update", level: "info", what: "3 resources updated" });
        progress.emit({ type: "step-finished", at: START + 20, step: "stack-update", result: "failed", summary: "up failed" });
        assert.deepEqual(progress.steps.map((s) => ({ ...s, events: s.events.map((e) => e.type) })), [{
            name: "stack-update", doing: "pulumi up on stack prod", startedAt: START, finishedAt: START + 20, result: "failed",
            summary: "up failed", events: ["found"],
        }]);
    });

    it("finishes a step as skipped with its reason", async () => {
        const progress = new Progress({ clock: new VirtualClock(START) });
        await progress.step("detach", "detaching us-west-2", async (step) => step.skip("already standalone"));
        assert.equal(progress.steps[0].result, "skipped");
        assert.equal(progress.steps[0].summary, "already standalone");
    });

    it("keeps going when a printer throws", async () => {
        const recorded: RecoveryEvent[] = [];
        const progress = new Progress({ clock: new VirtualClock(START), sinks: [() => { throw new Error("EPIPE"); }, (e) => recorded.push(e)] });
        await progress.step("a", "doing a", async () => undefined);
        assert.equal(recorded.length, 2);
        assert.equal(progress.events.length, 2);
    });

    it("refuses a step without a name or description", async () => {
        const progress = new Progress({ clock: new VirtualClock(START) });
        await assert.rejects(progress.step("", "x", async () => undefined), /Progress\.step needs a name and what it is doing; got name "", doing "x"/);
    });
});

describe("printers", () => {
    async function sampleRun(emit: (e: RecoveryEvent) => void): Promise<void> {
        const clock = new VirtualClock(START);
        const progress = new Progress({ clock, sinks: [emit] });
        await progress.step("guard", "checking replication lag", async (step) => {
            step.found("lag in us-west-2 is 0.4 s", { detail: { region: "us-west-2" } });
            step.found("the old primary still answers", { level: "warn" });
            step.emit({ type: "waiting", at: clock.now(), step: "guard", waitingFor: "datastore available", state: "modifying", elapsedMs: 12300 });
            await clock.sleep(2250);
        });
        await progress.step("promote", "promoting us-west-2", async () => { throw new Error("InvalidGlobalReplicationGroupState"); }).catch(() => undefined);
    }

    it("human: one line per event, ISO timestamp with milliseconds, step name, warnings and errors stand out", async () => {
        const out = sink(false);
        await sampleRun(humanPrinter(out));
        assert.equal(out.text(), [
            "2025-01-15T10:00:00.000Z [guard] started: checking replication lag",
            "2025-01-15T10:00:00.000Z [guard] found: lag in us-west-2 is 0.4 s (region=us-west-2)",
            "2025-01-15T10:00:00.000Z [guard] WARNING: the old primary still answers",
            "2025-01-15T10:00:00.000Z [guard] waiting for datastore available: modifying (after 12.3s)",
            "2025-01-15T10:00:02.250Z [guard] ok: done [2.3s]",
            "2025-01-15T10:00:02.250Z [promote] started: promoting us-west-2",
            "2025-01-15T10:00:02.250Z [promote] FAILED: InvalidGlobalReplicationGroupState [0ms]",
            "",
        ].join("\n"));
    });

    it("human: colours only on a terminal, and only warnings and errors", async () => {
        const plain = sink(false);
        await sampleRun(humanPrinter(plain));
        assert.doesNotMatch(plain.text(), /\u001b\[/);
        const tty = sink(true);
        await sampleRun(humanPrinter(tty, { color: true }));
        const colored = tty.text().split("\n").filter((l) => l.includes("\u001b["));
        assert.equal(colored.length, 2);
        assert.match(colored[0], /WARNING: the old primary still answers/);
        assert.match(colored[1], /FAILED: InvalidGlobalReplicationGroupState/);
    });

    it("JSON lines: one parseable object per event with its ISO time", async () => {
        const out = sink();
        await sampleRun(jsonLinesPrinter(out));
        const lines = out.text().trimEnd().split("\n").map((l) => JSON.parse(l));
        assert.equal(lines.length, 7);
        assert.deepEqual(lines[0], { time: "2025-01-15T10:00:00.000Z", type: "step-started", at: START, step: "guard", doing: "checking replication lag" });
        assert.equal(lines[6].result, "failed");
    });

    it("formats durations for people", () => {
        assert.deepEqual([850, 12_345, 245_000, 3_723_000].map(formatDuration), ["850ms", "12.3s", "4m 05s", "1h 02m 03s"]);
    });
});
