/** Test helpers: run the real program under mocks with a stack file plus overrides, and query what it declared. */
import * as assert from "node:assert/strict";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import * as v8 from "node:v8";
import { UNKNOWN, replaceUnknowns } from "../../offline/policy/wire";
import { PROGRAM_RUN_CACHE_ENV } from "./program-runs-env";
import { ProgramRun, RecordedResource, RunOptions, StackFile, isSecret, loadStackFile, runProgram } from "../../offline/run";

export const T = {
    replicationGroup: "aws:elasticache/replicationGroup:ReplicationGroup",
    globalDatastore: "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup",
    user: "aws:elasticache/user:User",
    userGroup: "aws:elasticache/userGroup:UserGroup",
    subnetGroup: "aws:elasticache/subnetGroup:SubnetGroup",
    vpc: "aws:ec2/vpc:Vpc",
    subnet: "aws:ec2/subnet:Subnet",
    securityGroup: "aws:ec2/securityGroup:SecurityGroup",
    ingress: "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule",
    kmsKey: "aws:kms/key:Key",
    logGroup: "aws:cloudwatch/logGroup:LogGroup",
    topic: "aws:sns/topic:Topic",
    subscription: "aws:sns/topicSubscription:TopicSubscription",
    parameter: "aws:ssm/parameter:Parameter",
    alarm: "aws:cloudwatch/metricAlarm:MetricAlarm",
    dashboard: "aws:cloudwatch/dashboard:Dashboard",
    record: "aws:route53/record:Record",
} as const;

/** Stack-file config with overrides: undefined deletes a key, strings stay as they are, the rest becomes JSON. */
export function stackConfigWith(overrides: Record<string, unknown>, baseStack = "prod"): { config: Record<string, string>; secretKeys: string[] } {
    const base = loadStackFile(baseStack);
    const config = { ...base.config };
    for (const [key, value] of Object.entries(overrides)) {
        const full = `elasticache-global:${key}`;
        if (value === undefined) {
            delete config[full];
        } else {
            config[full] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { config, secretKeys: base.secretKeys };
}

export async function runWith(overrides: Record<string, unknown> = {}, baseStack = "prod", stack = "test"): Promise<ProgramRun> {
    const { config, secretKeys } = stackConfigWith(overrides, baseStack);
    return runProgramShared(stack, config, secretKeys);
}

/**
 * The program run for each configuration: a run takes most of a second of CPU, and the recovery tests'
 * fake stacks ask for the same few configurations hundreds of times. The program declares the same
 * resources for the same stack name, configuration and mode (it reads nothing else), so the first run's
 * result is kept and every caller gets its own deep copy to change as it likes.
 *
 * Kept in this process, and, when `npm test` runs the suite (scripts/test.ts sets PROGRAM_RUN_CACHE_ENV
 * to a directory of its own for that one run), on disk for its other mocha workers: each worker would
 * otherwise run the same configurations again.
 */
const sharedRuns = new Map<string, Promise<ProgramRun>>();
// The mocks are process-wide: one run at a time, whoever asks.
let programQueue: Promise<unknown> = Promise.resolve();

/**
 * Arrays and plain objects copied, everything else (strings, UNKNOWN symbols, class instances) shared.
 * Every caller of runProgramShared pays for one copy of a whole run (hundreds of calls a suite), so
 * this is a plain loop: Object.entries and fromEntries cost about three times as much.
 */
export function deepCopy<T>(value: T): T {
    if (typeof value !== "object" || value === null) {
        return value;
    }
    if (Array.isArray(value)) {
        const copy = new Array<unknown>(value.length);
        for (let i = 0; i < value.length; i++) {
            copy[i] = deepCopy(value[i]);
        }
        return copy as T;
    }
    const prototype = Object.getPrototypeOf(value);
    if (prototype !== Object.prototype && prototype !== null) {
        return value;
    }
    const copy: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
        const item = deepCopy((value as Record<string, unknown>)[key]);
        if (key === "__proto__") {
            // An own property named __proto__, as the original has, not a new prototype.
            Object.defineProperty(copy, key, { value: item, writable: true, enumerable: true, configurable: true });
        } else {
            copy[key] = item;
        }
    }
    return copy as T;
}

// v8.serialize keeps undefined, nested arrays and plain objects as they are, but takes no symbols: UNKNOWN travels as this.
const UNKNOWN_ON_DISK = { "elasticache-global:unknown": true } as const;

/** The run as v8.serialize keeps it; throws where it would not come back the same (a class instance, a symbol, a function). */
function toDisk(run: ProgramRun): unknown {
    const plain = (value: unknown): boolean => (Array.isArray(value) ? value.every(plain)
        : typeof value === "object" && value !== null ? Object.getPrototypeOf(value) === Object.prototype && Object.values(value).every(plain)
            : typeof value !== "symbol" && typeof value !== "function");
    const kept = replaceUnknowns(run, UNKNOWN_ON_DISK);
    if (!plain(kept)) {
        throw new Error("not plain data");
    }
    return kept;
}

function fromDisk(value: unknown): unknown {
    if (Array.isArray(value)) {
        return value.map(fromDisk);
    }
    if (typeof value === "object" && value !== null) {
        const entries = Object.entries(value);
        if (entries.length === 1 && entries[0][0] === "elasticache-global:unknown" && entries[0][1] === true) {
            return UNKNOWN;
        }
        return Object.fromEntries(entries.map(([k, v]) => [k, fromDisk(v)]));
    }
    return value;
}

/**
 * The run from the shared directory, or runs it and leaves it there. A run that cannot be kept (a value
 * v8.serialize or toDisk refuses) is simply not shared; a file is written whole under a temporary name
 * and renamed, so a worker never reads half of one.
 */
async function runThroughDisk(dir: string, key: string, run: () => Promise<ProgramRun>): Promise<ProgramRun> {
    const file = path.join(dir, `${crypto.createHash("sha256").update(key).digest("hex")}.v8`);
    try {
        return fromDisk(v8.deserialize(fs.readFileSync(file))) as ProgramRun;
    } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== "ENOENT") {
            throw e;
        }
    }
    const result = await run();
    let bytes: Buffer | undefined;
    try {
        bytes = v8.serialize(toDisk(result));
    } catch {
        // Not kept: this worker still has it in memory.
    }
    if (bytes) {
        const partial = `${file}.${process.pid}.partial`;
        fs.writeFileSync(partial, bytes);
        fs.renameSync(partial, file);
    }
    return result;
}

/**
 * runProgram(stack, config, secretKeys, [], options), run once per distinct argument set (see
 * sharedRuns) and copied for each caller. A run that throws is not kept: the next caller runs it again
 * and sees the error itself.
 */
export async function runProgramShared(stack: string, config: Record<string, string>, secretKeys: readonly string[] = [], options: RunOptions = {}): Promise<ProgramRun> {
    const key = JSON.stringify([stack, Object.entries(config).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)), [...secretKeys].sort(), options.firstPreview === true]);
    let run = sharedRuns.get(key);
    if (!run) {
        const execute = () => runProgram(stack, { ...config }, [...secretKeys], [], options);
        const dir = process.env[PROGRAM_RUN_CACHE_ENV];
        run = programQueue.then(() => (dir ? runThroughDisk(dir, key, execute) : execute()));
        programQueue = run.catch(() => undefined);
        sharedRuns.set(key, run);
        run.catch(() => sharedRuns.delete(key));
    }
    return deepCopy(await run);
}

/** runStack(stack, undefined, options) through runProgramShared: the stack file as it is, run once per mode. */
export async function runStackShared(stack: string, options: RunOptions = {}): Promise<ProgramRun & { file: StackFile }> {
    const file = loadStackFile(stack);
    return { ...await runProgramShared(stack, file.config, file.secretKeys, options), file };
}

export function ofType(run: ProgramRun, type: string): RecordedResource[] {
    return run.resources.filter((r) => r.type === type);
}

export function inRegion(run: ProgramRun, type: string, region: string): RecordedResource[] {
    return ofType(run, type).filter((r) => r.state.region === region);
}

export function only(resources: RecordedResource[], what: string): RecordedResource {
    assert.equal(resources.length, 1, `expected exactly one ${what}, found ${resources.length}`);
    return resources[0];
}

export function memberIn(run: ProgramRun, region: string): RecordedResource {
    return only(inRegion(run, T.replicationGroup, region), `replication group in ${region}`);
}

/** Secret values as {secret: value}, so comparisons see both the value and that it stayed secret. */
export function plain(value: unknown): unknown {
    if (isSecret(value)) {
        return { secret: plain(value.value) };
    }
    if (Array.isArray(value)) {
        return value.map(plain);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
    }
    return value;
}
