/**
 * The flags of each command, as data. --help, parsing and the typed options all come from here.
 */
import { DEFAULT_MAX_LAG_SECONDS } from "../lib/lag";
import { COMMON_FLAGS, CommandSpec, FlagSpec, FlagValues } from "../lib/flags";
import { EXIT_DONE, EXIT_FAILED, EXIT_RECONCILE_DEFERRED, EXIT_USAGE } from "./exit-codes";

export const RETARGET_MODES = ["planned", "outage", "adopt"] as const;
export type RetargetMode = typeof RETARGET_MODES[number];

const MINUTE = 60_000;

export const RETARGET_FLAGS = [
    COMMON_FLAGS[0],
    { key: "to", kind: "string", required: true, accepted: "the region to make primary, one of the stack's secondary regions (for example us-west-2)", description: "Region to promote: a secondary member of the stack's Global Datastore." },
    {
        key: "mode", kind: "choice", choices: RETARGET_MODES, default: "planned",
        description: "planned: both regions answer, fail over cleanly. outage: the primary's region is down; control-plane calls go only to --to " +
            "(promote, or else detach it), then the writer SSM parameter is written in every region that answers, with no Pulumi. " +
            "adopt: the promotion already happened (console, CLI), only bring the stack in line.",
    },
    { key: "maxLagSeconds", kind: "number", default: DEFAULT_MAX_LAG_SECONDS, min: 0, max: 86400, unit: "seconds", description: "Refuse to promote when the target's replication lag (max over the last 5 minutes) is above this." },
    { key: "force", kind: "boolean", description: "Promote even when the lag is above --max-lag-seconds or unknown (accepting that data loss). " +
        "In an outage the lag metric stops, so the lag is unknown and an outage run needs --force." },
    { key: "detach", kind: "boolean", description: "outage mode only: detach the target at once, without trying a promotion first " +
        "(when the promotion is known not to work; it also avoids leaving the datastore modifying)." },
    { key: "reconcileOnly", kind: "boolean", description: "Skip the promotion; only bring the stack's config and state in line with the current primary " +
        "(the follow-up of a run that ended partial because the stack was unavailable)." },
    { key: "promotionTimeout", kind: "duration", default: 3 * MINUTE, min: 10_000, max: 60 * MINUTE, description: "outage mode: how long to wait for the promotion " +
        "(this run's, or one a rerun finds under way) before detaching the target instead." },
    { key: "waitTimeout", kind: "duration", default: 20 * MINUTE, min: 10_000, max: 6 * 60 * MINUTE, description: "How long to wait for a promotion or detach " +
        "to complete (outage: how long to keep asking, every 15 to 30 s, for a detach AWS refuses) before giving up." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type RetargetOptions = FlagValues<typeof RETARGET_FLAGS>;

export const RETARGET_SPEC: CommandSpec<typeof RETARGET_FLAGS> = {
    name: "retarget-primary",
    summary: "Promote a secondary region to primary, move the writer endpoint and bring the stack in line.",
    examples: [
        "retarget-primary --stack prod --to us-west-2 --dry-run",
        "retarget-primary --stack prod --to us-west-2 --yes",
        "retarget-primary --stack prod --to us-west-2 --mode outage --force --yes",
        "retarget-primary --stack prod --to us-west-2 --mode outage --detach --force --yes",
        "retarget-primary --stack prod --to us-west-2 --mode adopt --yes",
        "retarget-primary --stack prod --to us-west-2 --reconcile-only --yes",
    ],
    flags: RETARGET_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_RECONCILE_DEFERRED],
};

export const REJOIN_FLAGS = [
    COMMON_FLAGS[0],
    { key: "waitTimeout", kind: "duration", default: 60 * MINUTE, min: 10_000, max: 6 * 60 * MINUTE, description: "How long to wait for each deletion to complete before giving up." },
    { key: "detachedAt", kind: "string", accepted: "an ISO 8601 time in the past, such as 2025-01-15T10:04:32Z",
        description: "The start of the window in which the old primary's writes are counted: when the serving cluster stopped receiving them. " +
            "Default: the earliest of its detach events (AWS keeps them 14 days) and the outage run's report in the report directory (the detach, or " +
            "the last replication-lag datapoint when that is earlier). Give it when neither is available." },
    { key: "acceptLostWrites", kind: "boolean", description: "Retire the old clusters even when the old primary took writes after the detach, or that cannot be told " +
        "(a minute without a CloudWatch datapoint, as while its region was down): those writes then survive only in its final snapshot." },
    { key: "dnsChecked", kind: "boolean", description: "Confirms that the Route 53 writer record (config route53.recordName) names the serving cluster's endpoint. " +
        "Required when the stack configures route53: rejoin cannot read Route 53, and applications resolving a stale record would write to the old primary it retires." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type RejoinOptions = FlagValues<typeof REJOIN_FLAGS>;

export const REJOIN_SPEC: CommandSpec<typeof REJOIN_FLAGS> = {
    name: "rejoin",
    summary: "After an outage and detach: retire the old datastore and stale members, rebuild the datastore around the serving cluster.",
    examples: [
        "rejoin --stack prod --dry-run",
        "rejoin --stack prod --yes",
        "rejoin --stack prod --detached-at 2025-01-15T10:04:32Z --yes",
        "rejoin --stack prod --dns-checked --yes",
    ],
    flags: REJOIN_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};
