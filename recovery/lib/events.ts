// The recovery library never prints. It emits these events; a command picks a printer (human lines
// with timestamps, or JSON lines) and the report recorder keeps them for the run's report.
// Every step says what it is doing, what it found and what it will do next.

export type StepResult = "ok" | "failed" | "skipped";
export type Level = "info" | "warn" | "error";

export type RecoveryEvent =
    | { type: "step-started"; at: number; step: string; doing: string }
    | { type: "found"; at: number; step: string; level: Level; what: string; detail?: Record<string, unknown> }
    | { type: "waiting"; at: number; step: string; waitingFor: string; state: string; elapsedMs: number }
    | { type: "next"; at: number; step: string; next: string }
    | { type: "step-finished"; at: number; step: string; result: StepResult; summary: string };

export type Emit = (event: RecoveryEvent) => void;
