/** Every call the fake received, so tests can assert what code under test did (or did not do). Test-only. */
import { Service } from "./faults";

export interface LoggedCall {
    service: Service;
    region: string;
    /** Command name without the "Command" suffix, e.g. "FailoverGlobalReplicationGroup". */
    command: string;
    input: Record<string, unknown>;
    /** Virtual time of the call, epoch ms. */
    at: number;
    /** True for calls that change something in AWS (create, modify, failover, delete, test). */
    mutating: boolean;
    /** "ok", or the name of the error the call ended with; "pending" while it runs. */
    outcome: string;
}

/** Read-only calls by prefix; everything else is treated as mutating, so a new command errs on the safe side. */
const READ_ONLY_PREFIXES = ["Describe", "List", "Get"];

export function isMutating(command: string): boolean {
    return !READ_ONLY_PREFIXES.some((prefix) => command.startsWith(prefix));
}

export class CallLog {
    private entries: LoggedCall[] = [];

    record(call: Omit<LoggedCall, "mutating" | "outcome">): LoggedCall {
        const entry: LoggedCall = { ...call, mutating: isMutating(call.command), outcome: "pending" };
        this.entries.push(entry);
        return entry;
    }

    calls(filter: Partial<Pick<LoggedCall, "service" | "region" | "command">> = {}): LoggedCall[] {
        return this.entries.filter((c) =>
            (filter.service === undefined || c.service === filter.service) &&
            (filter.region === undefined || c.region === filter.region) &&
            (filter.command === undefined || c.command === filter.command));
    }

    /** Calls that would have changed something; a dry run must leave this empty. */
    mutatingCalls(): LoggedCall[] {
        return this.entries.filter((c) => c.mutating);
    }

    clear(): void {
        this.entries = [];
    }
}
