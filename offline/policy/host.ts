/**
 * Runs a policy pack the way `pulumi preview --policy-pack <dir>` does: as its own process, started with
 * the engine's arguments and the pack directory as working directory, talking the Analyzer gRPC
 * protocol on the port it prints. Nothing of the pack is loaded into this process, so what passes
 * here passes for the same reasons under the CLI.
 */
import type { ChildProcess } from "child_process";
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";
import * as analyzer from "@pulumi/pulumi/proto/analyzer_pb";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import { WatchedProcess, spawnWatched } from "../../recovery/local/watchdog";
import { PROJECT_DIR } from "../run";
import { PackInfo, PolicyInfo, PolicyPackConfig } from "./config";
import { AnalyzedResource, EnforcementLevel, analyzeRequest, analyzeStackRequest, levelFromWire, levelToWire, toStruct } from "./wire";

// The channel credentials must come from the grpc-js copy the generated client was built against.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_grpc_pb"))] })) as
    typeof import("@grpc/grpc-js");
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Empty } = require(require.resolve("google-protobuf/google/protobuf/empty_pb",
    { paths: [path.dirname(require.resolve("@pulumi/pulumi/proto/analyzer_pb"))] })) as { Empty: new () => unknown };

export const DEFAULT_PACK_DIR = path.join(PROJECT_DIR, "policies");
const LAUNCHER = path.join(__dirname, "launch-pack.ts");
const TRANSPILE_HOOK = path.join(PROJECT_DIR, "scripts", "transpile.js");

/** A policy violation as the CLI reports it. */
export interface Violation {
    policyName: string;
    level: EnforcementLevel;
    /** The resource the violation is about; "" for a stack policy that named none. */
    urn: string;
    message: string;
    description: string;
    packName: string;
    packVersion: string;
}

export interface StartOptions {
    /** Wait this long for the port before giving up. Default 60 000 ms. */
    startTimeoutMs?: number;
    /** Per-call deadline for each RPC. Default 30 000 ms. */
    callTimeoutMs?: number;
    /**
     * How the pack's process starts. "transpile-only" (default): run-policy-pack through launch-pack.ts,
     * which loads the pack's TypeScript with the project's Sucrase hook (scripts/transpile.js) instead of
     * ts-node's type-checking compiler (`tsc --noEmit` checks it once for the whole project). "cli": exactly
     * as the Pulumi CLI's policy analyzer plugin does, `node <run-policy-pack> <engine> .` from the pack
     * directory, unmodified, so ts-node type-checks the pack with its own compiler options on every start.
     */
    launcher?: "transpile-only" | "cli";
    /** Stack facts the engine gives the pack (ConfigureStack and PULUMI_* variables). Default: none. */
    stack?: { stack: string; project: string; organization?: string; dryRun?: boolean; tags?: Record<string, string> };
}

export class PolicyPackError extends Error {}

/**
 * A started policy pack. Always `close()` it (or use withPolicyPack). Its process runs under the
 * watchdog the local Redis cluster uses (recovery/local/watchdog.ts): when this process ends without
 * closing it, by a signal or SIGKILL included, the pack is killed too.
 */
export class PolicyPackProcess {
    private constructor(private readonly child: WatchedProcess, private readonly client: AnalyzerClient,
        private readonly callTimeoutMs: number, private readonly stderr: () => string, readonly packDir: string,
        /** The loopback port the pack's analyzer server listens on. */
        readonly port: number) {}

    /** The pack's own process id (tests check that it is gone after close). */
    get pid(): number {
        return this.child.pid;
    }

    static async start(packDir = DEFAULT_PACK_DIR, options: StartOptions = {}): Promise<PolicyPackProcess> {
        const dir = path.resolve(packDir);
        if (!fs.existsSync(path.join(dir, "PulumiPolicy.yaml"))) {
            throw new PolicyPackError(`no policy pack in ${dir} (the CLI needs its PulumiPolicy.yaml)`);
        }
        const asCli = options.launcher === "cli";
        const env: NodeJS.ProcessEnv = { ...process.env };
        if (options.stack) {
            env.PULUMI_STACK = env.PULUMI_NODEJS_STACK = options.stack.stack;
            env.PULUMI_PROJECT = env.PULUMI_NODEJS_PROJECT = options.stack.project;
            env.PULUMI_DRY_RUN = env.PULUMI_NODEJS_DRY_RUN = String(options.stack.dryRun ?? true);
        }
        // No engine listens: run-policy-pack requires the argument but never dials it.
        const args = asCli
            ? [require.resolve("@pulumi/pulumi/cmd/run-policy-pack", { paths: [dir] }), "127.0.0.1:0", "."]
            : ["-r", TRANSPILE_HOOK, LAUNCHER, "127.0.0.1:0", "."];
        let child: WatchedProcess;
        try {
            child = await spawnWatched(process.execPath, args, { cwd: dir, env, name: "policy-pack" });
        } catch (e) {
            throw new PolicyPackError(`policy pack did not start: ${(e as Error).message}`);
        }
        let stderr = "";
        child.stderr.on("data", (d: Buffer) => {
            stderr = (stderr + d.toString()).slice(-16 * 1024);
        });
        let port: number;
        try {
            port = await readPort(child.shell, options.startTimeoutMs ?? 60_000, () => stderr);
        } catch (e) {
            child.signal("SIGKILL");
            throw e;
        }
        const client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), {
            "grpc.max_receive_message_length": 400 * 1024 * 1024,
            "grpc.max_send_message_length": 400 * 1024 * 1024,
        });
        const host = new PolicyPackProcess(child, client, options.callTimeoutMs ?? 30_000, () => stderr, dir, port);
        try {
            if (options.stack) {
                await host.configureStack(options.stack);
            }
        } catch (e) {
            await host.close();
            throw e;
        }
        return host;
    }

    // The generated client's overloads do not narrow to one signature; every method takes (req, metadata, options, callback).
    private call<Req, Res>(name: string, method: (...args: any[]) => unknown, req: Req): Promise<Res> {
        return new Promise((resolve, reject) => {
            method.call(this.client, req, new grpc.Metadata(), { deadline: Date.now() + this.callTimeoutMs }, (err: Error | null, res: Res) => {
                if (err) {
                    const tail = this.stderr().trim();
                    reject(new PolicyPackError(`policy pack ${name} failed: ${err.message}${tail ? `\npack stderr:\n${tail}` : ""}`));
                } else {
                    resolve(res);
                }
            });
        });
    }

    async info(): Promise<PackInfo> {
        const res = await this.call<unknown, analyzer.AnalyzerInfo>("GetAnalyzerInfo", this.client.getAnalyzerInfo, new Empty());
        const kinds: Record<number, PolicyInfo["kind"]> = {
            [analyzer.PolicyType.POLICY_TYPE_RESOURCE]: "resource",
            [analyzer.PolicyType.POLICY_TYPE_STACK]: "stack",
        };
        const initialConfig: PolicyPackConfig = {};
        res.getInitialconfigMap().forEach((v: analyzer.PolicyConfig, k: string) => {
            initialConfig[k] = { enforcementLevel: levelFromWire(v.getEnforcementlevel()), properties: v.getProperties()?.toJavaScript() ?? {} };
        });
        return {
            name: res.getName(),
            version: packYamlVersion(this.packDir) ?? res.getVersion(),
            initialConfig,
            policies: res.getPoliciesList().map((p) => {
                const schema = p.getConfigschema();
                return {
                    name: p.getName(),
                    description: p.getDescription(),
                    enforcementLevel: levelFromWire(p.getEnforcementlevel()),
                    kind: kinds[p.getPolicyType()] ?? "unknown",
                    configSchema: schema ? {
                        properties: (schema.getProperties()?.toJavaScript() ?? {}) as Record<string, Record<string, unknown>>,
                        required: schema.getRequiredList(),
                    } : undefined,
                };
            }),
        };
    }

    /** Sends a reconciled config (see reconcilePolicyPackConfig). */
    async configure(config: PolicyPackConfig): Promise<void> {
        const req = new analyzer.ConfigureAnalyzerRequest();
        const map = req.getPolicyconfigMap();
        for (const [policy, c] of Object.entries(config)) {
            if (!c.enforcementLevel) {
                continue; // a policy the pack does not have, with options only: nothing the pack would read
            }
            const pc = new analyzer.PolicyConfig();
            pc.setEnforcementlevel(levelToWire(c.enforcementLevel));
            pc.setProperties(toStruct(c.properties));
            map.set(policy, pc);
        }
        await this.call("Configure", this.client.configure, req);
    }

    private async configureStack(stack: NonNullable<StartOptions["stack"]>): Promise<void> {
        const req = new analyzer.AnalyzerStackConfigureRequest();
        req.setStack(stack.stack);
        req.setProject(stack.project);
        req.setOrganization(stack.organization ?? "");
        req.setDryRun(stack.dryRun ?? true);
        for (const [k, v] of Object.entries(stack.tags ?? {})) {
            req.getTagsMap().set(k, v);
        }
        await this.call("ConfigureStack", this.client.configureStack, req);
    }

    /** Analyze one resource (what the engine does for each resource of a preview). */
    async analyze(resource: AnalyzedResource): Promise<Violation[]> {
        return (await this.analyzeWithApplicability(resource)).violations;
    }

    /** Analyze, with the policies that reported themselves not applicable to the resource. */
    async analyzeWithApplicability(resource: AnalyzedResource): Promise<Analysis> {
        const res = await this.call<analyzer.AnalyzeRequest, analyzer.AnalyzeResponse>("Analyze", this.client.analyze, analyzeRequest(resource));
        return analysis(res, resource.urn);
    }

    /** AnalyzeStack over all resources (what the engine does once the preview has them all). */
    async analyzeStack(resources: AnalyzedResource[]): Promise<Violation[]> {
        return (await this.analyzeStackWithApplicability(resources)).violations;
    }

    /** AnalyzeStack, with the stack policies that reported themselves not applicable to the stack. */
    async analyzeStackWithApplicability(resources: AnalyzedResource[]): Promise<Analysis> {
        const res = await this.call<analyzer.AnalyzeStackRequest, analyzer.AnalyzeResponse>("AnalyzeStack", this.client.analyzeStack, analyzeStackRequest(resources));
        return analysis(res, "");
    }

    /** Stops the pack; safe to call twice. */
    async close(): Promise<void> {
        this.client.close();
        if (this.child.exited() !== undefined) {
            return;
        }
        this.child.signal("SIGTERM");
        const timer = setTimeout(() => this.child.signal("SIGKILL"), 2000);
        // The watchdog exits once the pack has exited, and has reaped it by then.
        await this.child.exit;
        clearTimeout(timer);
    }
}

/** What one Analyze or AnalyzeStack answered: violations, and the policies that did not apply (with the reason they gave). */
export interface Analysis {
    violations: Violation[];
    notApplicable: { policyName: string; reason: string }[];
}

/** Violations and not-applicable policies of an AnalyzeResponse; `analyzedUrn` is the resource's (empty for AnalyzeStack). */
export function analysis(res: analyzer.AnalyzeResponse, analyzedUrn: string): Analysis {
    return {
        violations: res.getDiagnosticsList().map((d) => violation(d, analyzedUrn)),
        notApplicable: res.getNotApplicableList().map((n) => ({ policyName: n.getPolicyName(), reason: n.getReason() })),
    };
}

function violation(d: analyzer.AnalyzeDiagnostic, analyzedUrn: string): Violation {
    return {
        policyName: d.getPolicyname(),
        level: levelFromWire(d.getEnforcementlevel()),
        // A resource policy reports without a URN: the engine attributes it to the analyzed resource.
        urn: d.getUrn() || analyzedUrn,
        message: d.getMessage(),
        description: d.getDescription(),
        packName: d.getPolicypackname(),
        packVersion: d.getPolicypackversion(),
    };
}

/** The CLI prefers the version in PulumiPolicy.yaml over the one the pack reports. */
function packYamlVersion(dir: string): string | undefined {
    const file = path.join(dir, "PulumiPolicy.yaml");
    if (!fs.existsSync(file)) {
        return undefined;
    }
    const version = (parse(fs.readFileSync(file, "utf8")) ?? {}).version;
    return version === undefined || version === null || version === "" ? undefined : String(version);
}

function readPort(child: ChildProcess, timeoutMs: number, stderr: () => string): Promise<number> {
    return new Promise((resolve, reject) => {
        let stdout = "";
        const fail = (why: string) => {
            cleanup();
            const tail = stderr().trim();
            reject(new PolicyPackError(`policy pack did not start: ${why}${tail ? `\npack stderr:\n${tail}` : ""}`));
        };
        const onData = (d: Buffer) => {
            stdout += d.toString();
            const newline = stdout.indexOf("\n");
            if (newline < 0) {
                return;
            }
            const first = stdout.slice(0, newline).trim();
            cleanup();
            // Anything the pack prints later must not block it on a full pipe.
            child.stdout!.resume();
            if (/^\d+$/.test(first)) {
                resolve(Number(first));
            } else {
                fail(`expected its port on the first line of stdout, got ${JSON.stringify(first.slice(0, 200))}`);
            }
        };
        const onExit = (code: number | null, signal: string | null) => fail(`it exited (${signal ?? `code ${code}`}) before printing its port`);
        const onError = (e: Error) => fail(e.message);
        const timer = setTimeout(() => fail(`no port within ${timeoutMs} ms`), timeoutMs);
        const cleanup = () => {
            clearTimeout(timer);
            child.stdout!.off("data", onData);
            child.off("exit", onExit);
            child.off("error", onError);
        };
        child.stdout!.on("data", onData);
        child.once("exit", onExit);
        child.once("error", onError);
    });
}

/** Starts the pack, runs `fn`, and stops the pack whatever happens. */
export async function withPolicyPack<T>(packDir: string, options: StartOptions, fn: (pack: PolicyPackProcess) => Promise<T>): Promise<T> {
    const pack = await PolicyPackProcess.start(packDir, options);
    try {
        return await fn(pack);
    } finally {
        await pack.close();
    }
}
