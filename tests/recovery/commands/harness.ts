/**
 * Test-only: runs recovery commands through the CLI entry against the fake control plane and the fake
 * stack driver, on a virtual clock, with captured output and a throwaway report directory.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../../offline/run";
import { main } from "../../../recovery/cli";
import { CommandContext } from "../../../recovery/commands/context";
import { RegionClients, createRegionClients } from "../../../recovery/lib/clients";
import { StackNotFoundError } from "../../../recovery/lib/stack-driver";
import { ConfirmIo } from "../../../recovery/lib/confirm";
import { ReportDocument } from "../../../recovery/lib/report";
import { Durations, FakeAws, PROD_SEED } from "../fake";
import { writerParameterName } from "../../../components/naming";
import { SeedArgs } from "../fake/seed";
import { FakePolicyEvaluator, FakeStackDriver } from "../fake/stack-driver";

export const STACK = "prod";
export const WRITER_PARAM = "aws:ssm/parameter:Parameter";

export class Captured {
    text = "";
    write(chunk: string): boolean {
        this.text += chunk;
        return true;
    }
}

/** openStack knows only STACK; any other name fails the way a missing stack does. */
export interface Harness {
    aws: FakeAws;
    driver: FakeStackDriver;
    /**
     * When set, opening any stack fails with this error (a BackendUnreachableError or
     * PulumiCliMissingError: the stack cannot be reached from this machine). Default: opens.
     */
    openStackFails?: Error;
    /** When true, opening any stack never answers (a state backend that hangs instead of failing). Default false. */
    openStackHangs?: boolean;
    stdout: Captured;
    stderr: Captured;
    reportDir: string;
    confirmIo: ConfirmIo;
    abort: AbortController;
    run(...argv: string[]): Promise<number>;
    /** Mutating AWS calls and stack changes (setConfig, refresh, up) so far. */
    changes(): string[];
    /** The newest JSON report. */
    lastReport(): ReportDocument;
    cleanup(): void;
}

export interface HarnessOptions {
    seed?: SeedArgs;
    /** How long the fake's operations take in virtual time (default: the fake's DEFAULT_DURATIONS). */
    durations?: Partial<Durations>;
    /** Let the fake detach a member whose promotion is stuck (FakeAwsOptions). Default false: refused, as AWS documents. */
    detachDuringStuckPromotion?: boolean;
    /** Stack config overrides (full keys; undefined deletes). */
    overrides?: Record<string, string | undefined>;
    /** Overrides on top of `overrides` for the deployed state only (default: deployed as configured). */
    deployedWith?: Record<string, string | undefined>;
    confirmIo?: ConfirmIo;
    /** Default: the real per-region clients, which the installed fake intercepts. */
    clients?: () => RegionClients;
    /** The data plane commands reach (a real local Redis cluster in tests). Default: none. */
    connectDataPlane?: CommandContext["connectDataPlane"];
    /** Environment variables commands read (REDIS_PASSWORD). Default: none. */
    env?: Record<string, string | undefined>;
    /** The temporary stacks backup-drill creates. Default: none. */
    temporaryStacks?: (aws: FakeAws) => CommandContext["temporaryStacks"];
    /** Judges every preview and up of the stack as its policy pack (fake/policy-pack.ts: the real one). Default: no pack runs. */
    policy?: FakePolicyEvaluator;
}

export async function harness(opts: HarnessOptions = {}): Promise<Harness> {
    const aws = FakeAws.seed(opts.seed ?? PROD_SEED, { durations: opts.durations, detachDuringStuckPromotion: opts.detachDuringStuckPromotion }).install();
    const driver = await FakeStackDriver.create(STACK, { overrides: opts.overrides, deployedWith: opts.deployedWith, policy: opts.policy });
    outputsNameFakeAwsDatastore(aws, driver);
    const reportDir = fs.mkdtempSync(path.join(os.tmpdir(), "retarget-test-"));
    const h: Harness = {
        aws, driver, reportDir,
        stdout: new Captured(),
        stderr: new Captured(),
        confirmIo: opts.confirmIo ?? { isTTY: false, ask: async () => { throw new Error("the test did not expect a question"); } },
        abort: new AbortController(),
        async run(...argv) {
            h.stdout = new Captured();
            h.stderr = new Captured();
            const context = (): CommandContext => ({
                stdout: h.stdout, stderr: h.stderr, clock: aws.clock, confirmIo: h.confirmIo,
                clients: opts.clients?.() ?? createRegionClients(),
                openStack: async (name) => {
                    if (h.openStackHangs) {
                        return new Promise<never>(() => undefined);
                    }
                    if (h.openStackFails) {
                        throw h.openStackFails;
                    }
                    if (name !== STACK) {
                        throw new StackNotFoundError(name);
                    }
                    return driver;
                },
                projectDir: PROJECT_DIR, reportDir, invocation: "npm run recovery --", signal: h.abort.signal,
                connectDataPlane: opts.connectDataPlane, env: opts.env, temporaryStacks: opts.temporaryStacks?.(aws),
            });
            return main(argv, context, { stdout: h.stdout, stderr: h.stderr });
        },
        changes() {
            return [
                ...aws.mutatingCalls().map((c) => `${c.region} ${c.command}`),
                ...driver.calls.filter((c) => c.op === "setConfig" || c.op === "refresh" || c.op === "up").map((c) => `stack ${c.op}`),
            ];
        },
        lastReport() {
            const files = fs.readdirSync(reportDir).filter((f) => f.endsWith(".json")).sort();
            if (files.length === 0) {
                throw new Error(`no report was written to ${reportDir}`);
            }
            return JSON.parse(fs.readFileSync(path.join(reportDir, files[files.length - 1]), "utf8")) as ReportDocument;
        },
        cleanup() {
            aws.restore();
            fs.rmSync(reportDir, { recursive: true, force: true });
        },
    };
    return h;
}

/** The writer document the stack's SSM writer parameter in `region` holds. */
export function writerDocument(driver: FakeStackDriver, region: string): { region: string; replicationGroupId: string } {
    const params = driver.deployedResources.filter((r) => r.type === WRITER_PARAM && r.name.endsWith(`-writer-${region}`));
    if (params.length !== 1) {
        throw new Error(`expected one writer parameter in ${region}, found ${params.map((p) => p.name).join(", ") || "none"}`);
    }
    return JSON.parse(String(params[0].inputs.insecureValue));
}

/** The writer document the fake control plane's SSM holds in `region` (what applications there read). */
export function ssmWriter(aws: FakeAws, region: string, stack = STACK): { role: string; region: string; replicationGroupId: string; configurationEndpoint: string; port: number; globalDatastoreId: string } {
    const text = aws.parameter(region, writerParameterName({ stack, namePrefix: stack }));
    if (text === undefined) {
        throw new Error(`no writer parameter in ${region}`);
    }
    return JSON.parse(text);
}

const RG = "aws:elasticache/replicationGroup:ReplicationGroup";
const GRG = "aws:elasticache/globalReplicationGroup:GlobalReplicationGroup";

/** The part of a datastore id after the region code: the suffix the program chose. */
function datastoreSuffix(id: string): string {
    return id.slice(id.indexOf("-") + 1);
}

/**
 * The fake stack and the fake control plane are separate worlds; a real refresh reads the cloud. This
 * makes the driver's refresh read the data-holding resources from the fake control plane the way the
 * Terraform AWS provider's read functions (the upstream of @pulumi/aws) do:
 * - a replication group that is gone, or `deleting`, leaves the state;
 * - a surviving group's state takes its port, and its datastore's id only while it is a member: the
 *   provider sets global_replication_group_id only when AWS reports one, so a detached group keeps the
 *   old id in state;
 * - a datastore that is gone leaves the state; a surviving one records its current PRIMARY member as
 *   primaryReplicationGroupId (after a failover, the new primary: the drift the program must ignore).
 * The program's offline stand-in for AWS makes up the datastore's region code, so a datastore id from
 * the fake control plane is written as the stack knows it (the stack's id with the same suffix).
 */
export function refreshReadsFakeAws(aws: FakeAws, driver: FakeStackDriver): void {
    const refresh = driver.refresh.bind(driver);
    driver.refresh = async () => {
        aws.model.settle();
        const stackIds = driver.deployedResources.flatMap((r) => r.type === RG && typeof r.inputs.globalReplicationGroupId === "string"
            ? [r.inputs.globalReplicationGroupId] : []);
        const asStackKnowsIt = (id: string) => stackIds.find((known) => datastoreSuffix(known) === datastoreSuffix(id)) ?? id;
        for (const r of driver.deployedResources) {
            if (r.type === RG) {
                const group = aws.model.replicationGroup(String(r.inputs.region), String(r.inputs.replicationGroupId));
                if (!group || group.status === "deleting") {
                    driver.deleteInRealWorld(r.type, r.name);
                    continue;
                }
                // The fake control plane does not model encryption; every group this program creates is encrypted at rest.
                driver.driftRealWorld(r.type, r.name, {
                    port: group.port, atRestEncryptionEnabled: true,
                    ...(group.global ? { globalReplicationGroupId: asStackKnowsIt(group.global.datastoreId) } : {}),
                });
            } else if (r.type === GRG) {
                const suffix = String(r.inputs.globalReplicationGroupIdSuffix);
                const datastore = [...aws.model.datastores.values()].find((ds) => datastoreSuffix(ds.id) === suffix);
                const primary = datastore && aws.model.primaryMember(datastore);
                if (!datastore) {
                    driver.deleteInRealWorld(r.type, r.name);
                } else if (primary) {
                    driver.driftRealWorld(r.type, r.name, { primaryReplicationGroupId: primary.replicationGroupId });
                }
            }
        }
        return refresh();
    };
}

/**
 * The program's offline stand-in for AWS makes up the datastore's region code, and the fake control
 * plane uses the real ones. A real stack's outputs carry the id AWS gave, so this makes the fake
 * stack's globalDatastoreId output name the fake control plane's datastore with the same suffix
 * (left as it is when there is none, or more than one).
 */
export function outputsNameFakeAwsDatastore(aws: FakeAws, driver: FakeStackDriver): void {
    const outputs = driver.outputs.bind(driver);
    driver.outputs = async () => {
        const result = await outputs();
        const made = result.globalDatastoreId?.value;
        if (typeof made === "string") {
            const suffix = made.slice(made.indexOf("-") + 1);
            const real = [...aws.model.datastores.keys()].filter((id) => id.endsWith(`-${suffix}`));
            if (real.length === 1) {
                result.globalDatastoreId = { ...result.globalDatastoreId, value: real[0] };
            }
        }
        return result;
    };
}

/** Full stack config key. */
export function key(name: string): string {
    return `elasticache-global:${name}`;
}
