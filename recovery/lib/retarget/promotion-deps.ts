/**
 * What the control-plane steps of retarget-primary (promotion.ts, detach.ts) share: their clients,
 * narrative and report, and how they hand the polling loop its context.
 */
import { Clock } from "../clock";
import { Progress } from "../progress";
import { RunReport } from "../report";
import { ClientsFor, WaitContext } from "./control-plane";

export interface PromotionDeps {
    /** Clients for reads and polling. */
    read: ClientsFor;
    /** Clients for changes: one attempt per call. */
    change: ClientsFor;
    progress: Progress;
    report: RunReport;
    signal?: AbortSignal;
    /** Source of jitter in [0, 1) for the pause between refused detaches. Default Math.random. */
    random?: () => number;
}

export function waitContext(deps: PromotionDeps, step: string): WaitContext {
    return { clock: deps.progress.clock as Clock, emit: deps.progress.emit, step, signal: deps.signal };
}

/** Milliseconds left until `deadline`, at least 1 so a wait still polls once and reports the last state. */
export function remaining(clock: Clock, deadline: number): number {
    return Math.max(1, deadline - clock.now());
}
