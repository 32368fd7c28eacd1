/**
 * Every command's flags and exit codes, as data. --help, parsing and the typed options all come from
 * here. The CLI reads only this file until a command runs, so it imports nothing heavier than the
 * flag parser: the command modules, and the SDK, Pulumi and the data plane behind them, load later.
 */
import { COMMON_FLAGS, CommandSpec, ExitCode, FlagSpec, FlagValues } from "../lib/flags";
import { DEFAULT_MAX_LAG_SECONDS } from "../lib/lag-limit";
import { TAG_VALUE_ACCEPTED } from "../lib/snapshots/tag-value";
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

/** The environment variable that holds the data-plane password (or AUTH token). Never a flag: flags end up in shell history. */
export const REDIS_PASSWORD_ENV = "REDIS_PASSWORD";

/** Exit code 3 means something else here than for retarget-primary: the change happened, its proof is missing. */
export const EXIT_WRITES_NOT_VERIFIED: ExitCode = {
    code: 3,
    meaning: "partial: the failover completed, but writes could not be verified through the data plane (not configured or not reachable); " +
        "the next steps say how to check by hand",
};

/** --redis-user, shared with the drill: the data plane is reached the same way. */
export const REDIS_USER_FLAG = {
    key: "redisUser", kind: "string", accepted: "a password user of the stack's configuration (users), for example app",
    description: `User for the data-plane checks, with the password from the environment variable ${REDIS_PASSWORD_ENV}. ` +
        "Default: the first password user of the stack's configuration (none with an AUTH token).",
} as const satisfies FlagSpec;

export const FAILOVER_SHARD_FLAGS = [
    COMMON_FLAGS[0],
    { key: "region", kind: "string", required: true, accepted: "a region of the stack, for example us-east-1", description: "Region of the replication group whose shard fails over." },
    { key: "shard", kind: "string", required: true, accepted: "a node group id of four digits, such as 0002", description: "The shard (node group) to fail over." },
    REDIS_USER_FLAG,
    { key: "waitTimeout", kind: "duration", default: 30 * MINUTE, min: 10_000, max: 3 * 60 * MINUTE, description: "How long to follow the failover's " +
        "events until \"Finished recovery for cache nodes\" before giving up (a rerun keeps following it)." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type FailoverShardOptions = FlagValues<typeof FAILOVER_SHARD_FLAGS>;

export const FAILOVER_SHARD_SPEC: CommandSpec<typeof FAILOVER_SHARD_FLAGS> = {
    name: "failover-shard",
    summary: "Fail one shard over to a replica in another availability zone (TestFailover), follow it to the end and verify writes.",
    examples: [
        "failover-shard --stack prod --region us-east-1 --shard 0002 --dry-run",
        "failover-shard --stack prod --region us-east-1 --shard 0002 --yes",
        "failover-shard --stack prod --region us-east-1 --shard 0002 --redis-user app --yes --json",
    ],
    flags: FAILOVER_SHARD_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_WRITES_NOT_VERIFIED],
};

/** Exit code 3 of the drill: the failovers happened, one of their measurements is missing. */
export const EXIT_LOSS_UNKNOWN: ExitCode = {
    code: 3,
    meaning: "partial: the failovers ran and their windows were measured, but the canary's reader could not read every shard afterwards, " +
        "so the acknowledged writes lost are unknown for the events and shards the summary names (not 0)",
};

export const DRILL_FLAGS = [
    COMMON_FLAGS[0],
    { key: "shards", kind: "string", default: "all", accepted: "all, or node group ids separated by commas, such as 0001,0003",
        description: "Shards of the primary region's replication group to fail over, in turn (TestFailover: 15 node groups per rolling 24 h)." },
    { key: "globalRoundTrip", kind: "boolean", description: "After the shards: promote the first secondary region (retarget-primary, planned), " +
        "then promote the primary region back, measuring both." },
    REDIS_USER_FLAG,
    { key: "rate", kind: "number", default: 20, min: 1, max: 500, unit: "writes per second per shard", description: "Canary traffic (the same rate of reads)." },
    { key: "settle", kind: "duration", default: 10_000, min: 0, max: 10 * MINUTE, description: "Canary traffic before the first event and after each one, " +
        "before the reader checks for lost writes." },
    { key: "waitTimeout", kind: "duration", default: 30 * MINUTE, min: 10_000, max: 3 * 60 * MINUTE, description: "How long one failover or promotion may take." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type DrillOptions = FlagValues<typeof DRILL_FLAGS>;

export const DRILL_SPEC: CommandSpec<typeof DRILL_FLAGS> = {
    name: "drill",
    summary: "Fail shards over (and optionally the region) while a canary measures the write-unavailability window and the acknowledged writes lost.",
    examples: [
        "drill --stack staging --dry-run",
        "drill --stack staging --shards all --yes --json",
        "drill --stack staging --shards 0001 --global-round-trip --yes",
    ],
    flags: DRILL_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE, EXIT_LOSS_UNKNOWN],
};

/** Snapshots of large shards take a while, and one may have to wait for a backup already running. */
const SNAPSHOT_WAIT_TIMEOUT = 60 * MINUTE;

export const SNAPSHOT_FLAGS = [
    COMMON_FLAGS[0],
    { key: "reason", kind: "string", required: true, accepted: `why the snapshot is taken, ${TAG_VALUE_ACCEPTED}`,
        description: "Why the snapshot is taken; kept on the snapshot as its reason tag, so whoever finds it later knows what it is for." },
    { key: "region", kind: "string", accepted: "a member region of the stack, for example us-west-2",
        description: "Snapshot the member in this region instead of the current primary (a secondary's data trails the primary's by the replication lag). " +
            "Default: the region of the current primary, as the Global Datastore reports it." },
    { key: "requestedBy", kind: "string", accepted: `who asks, ${TAG_VALUE_ACCEPTED}`,
        description: "Who asks for the snapshot (a person, a pipeline run); kept as its requested-by tag. Default: no such tag." },
    { key: "waitTimeout", kind: "duration", default: SNAPSHOT_WAIT_TIMEOUT, min: MINUTE, max: 6 * 60 * MINUTE,
        description: "How long to wait in all: for a backup already running on the group to finish, then for this snapshot to be available." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type SnapshotOptions = FlagValues<typeof SNAPSHOT_FLAGS>;

export const SNAPSHOT_SPEC: CommandSpec<typeof SNAPSHOT_FLAGS> = {
    name: "snapshot",
    summary: "Take a manual snapshot of the current primary, wait until it is available and report its name.",
    examples: [
        "snapshot --stack prod --reason \"before the engine upgrade\" --dry-run",
        "snapshot --stack prod --reason \"before the engine upgrade\" --yes",
        "snapshot --stack prod --reason \"deploy 1a2b3c: node type change\" --requested-by \"deploy workflow\" --yes --json",
    ],
    flags: SNAPSHOT_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

/** Flags of the data-plane verification, shared with backup-drill. */
export const EXPECTED_KEYS_FLAG = { key: "expectedKeys", kind: "string", accepted: "a whole number of keys, such as 1500000",
    description: "How many keys the restored cluster should hold in all. Default: CloudWatch CurrItems of the source cluster's shards at the snapshot's time." } as const satisfies FlagSpec;

export const TOLERANCE_FLAG = { key: "tolerancePercent", kind: "number", default: 5, min: 0, max: 100, unit: "%",
    description: "How far each shard's key count may be from what it should hold." } as const satisfies FlagSpec;
export const VERIFY_REDIS_USER_FLAG = { key: "redisUser", kind: "string", accepted: "an RBAC user name of the stack, such as app",
    description: "User for the data-plane verification (password from the REDIS_PASSWORD environment variable). Default: the stack's first password user." } as const satisfies FlagSpec;

export const RESTORE_FLAGS = [
    COMMON_FLAGS[0],
    { key: "before", kind: "string", accepted: "an ISO 8601 time in the past with a time zone, such as 2026-11-20T14:05:00Z",
        description: "When the corruption started: the newest snapshot whose every node snapshot was taken before this instant is chosen. Required unless --snapshot is given." },
    { key: "snapshot", kind: "string", accepted: "the name of an available snapshot of one of the current generation's replication groups, in any member region",
        description: "Restore this snapshot instead of choosing one by --before." },
    EXPECTED_KEYS_FLAG,
    TOLERANCE_FLAG,
    { key: "markerMaxAge", kind: "duration", default: 15 * MINUTE, min: 0, max: 7 * 24 * 60 * MINUTE,
        description: "A recovery-point marker written longer than this before the snapshot counts as stale (the data is older than the snapshot says) and fails verification." },
    VERIFY_REDIS_USER_FLAG,
    { key: "waitForSecondaries", kind: "boolean", description: "Build the whole new generation, secondaries included, before the cutover (the writer then waits for them). " +
        "Default: the writer moves as soon as the founding group created from the snapshot is verified and its datastore exists; the secondaries join " +
        "afterwards while the cache runs in that one region, and the run follows them to the end." },
    { key: "waitTimeout", kind: "duration", default: 120 * MINUTE, min: 10_000, max: 12 * 60 * MINUTE, description: "How long to wait for each stage AWS takes: " +
        "the founding replication group, created from the snapshot, and its datastore to become available, then the secondaries to join." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type RestoreOptions = FlagValues<typeof RESTORE_FLAGS>;

export const RESTORE_SPEC: CommandSpec<typeof RESTORE_FLAGS> = {
    name: "restore-from-snapshot",
    summary: "After data corruption: build the next generation from the newest good snapshot in any member region, verify its data, cut the writer over, then let its secondaries join.",
    examples: [
        "restore-from-snapshot --stack prod --before 2026-11-20T14:05:00Z --dry-run",
        "restore-from-snapshot --stack prod --before 2026-11-20T14:05:00Z --yes",
        "restore-from-snapshot --stack prod --snapshot prod-us-east-1-2026-11-20-03-00 --yes",
        "restore-from-snapshot --stack prod --before 2026-11-20T14:05:00Z --wait-for-secondaries --yes",
    ],
    flags: RESTORE_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

export const RETIRE_FLAGS = [
    COMMON_FLAGS[0],
    { key: "generation", kind: "string", required: true, accepted: "the number of an inactive generation, from 1 to 99 (stack output generations)",
        description: "The inactive generation to remove (see the stack output `generations`)." },
    { key: "waitTimeout", kind: "duration", default: 60 * MINUTE, min: 10_000, max: 6 * 60 * MINUTE, description: "How long to wait for the final snapshot to become available." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type RetireOptions = FlagValues<typeof RETIRE_FLAGS>;

export const RETIRE_SPEC: CommandSpec<typeof RETIRE_FLAGS> = {
    name: "retire-generation",
    summary: "Remove an inactive generation (an old one kept for investigation, or a failed build) after taking a final snapshot of it.",
    examples: ["retire-generation --stack prod --generation 1 --dry-run", "retire-generation --stack prod --generation 1 --yes"],
    flags: RETIRE_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};

export const BACKUP_DRILL_FLAGS = [
    COMMON_FLAGS[0],
    { key: "snapshot", kind: "string", accepted: "the name of an available snapshot of one of the current generation's replication groups, in any member region",
        description: "Restore this snapshot instead of the newest one." },
    EXPECTED_KEYS_FLAG,
    TOLERANCE_FLAG,
    { key: "markerMaxAge", kind: "duration", default: 26 * 60 * MINUTE, min: 0, max: 7 * 24 * 60 * MINUTE,
        description: "A recovery-point marker written longer than this before the snapshot counts as stale. Default 26h: a daily heartbeat or drill." },
    VERIFY_REDIS_USER_FLAG,
    { key: "keep", kind: "boolean", description: "Leave the temporary stack and its cache in place after the drill, for a closer look (you destroy it)." },
    ...COMMON_FLAGS.slice(1),
] as const satisfies readonly FlagSpec[];

export type BackupDrillOptions = FlagValues<typeof BACKUP_DRILL_FLAGS>;

export const BACKUP_DRILL_SPEC: CommandSpec<typeof BACKUP_DRILL_FLAGS> = {
    name: "backup-drill",
    summary: "Restore the newest snapshot into a temporary stack, verify its data, report restore time and recovery point, destroy the temporary stack.",
    examples: ["backup-drill --stack prod --dry-run", "backup-drill --stack prod --yes", "backup-drill --stack staging --yes --json"],
    flags: BACKUP_DRILL_FLAGS,
    exitCodes: [EXIT_DONE, EXIT_FAILED, EXIT_USAGE],
};
