/**
 * The exit codes of the recovery commands, each with what it means, in one place: the runner returns
 * them, --help and RUNBOOK.md describe them.
 */
import { ExitCode } from "../lib/flags";

export const EXIT_DONE: ExitCode = { code: 0, meaning: "done, nothing to do, or (with --dry-run) the plan is printed" };
export const EXIT_FAILED: ExitCode = { code: 1, meaning: "refused or failed; the message says why (when refused, nothing was changed)" };
export const EXIT_USAGE: ExitCode = { code: 2, meaning: "bad flags; nothing was read or changed" };
export const EXIT_RECONCILE_DEFERRED: ExitCode = {
    code: 3,
    meaning: "partial: the new primary accepts writes, but the stack was not reconciled (state backend or Pulumi CLI unavailable), " +
        "or in an outage the writer parameter could not be written in the target's region or a region that answered with an error; " +
        "the next steps give the --reconcile-only command (in an outage, the command for each region left), and no deployment may run until then",
};
