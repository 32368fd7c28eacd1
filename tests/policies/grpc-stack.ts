/**
 * Test-only: a stack's recorded resources as the engine would send them to the pack, with the edits
 * the program cannot express (an open security group, a missing alarm, an extra member ...), and the
 * evaluation of such a stack on a running pack.
 */
import * as assert from "node:assert/strict";
import * as path from "node:path";
import { PROJECT, PROJECT_DIR, ProgramRun, RecordedResource, loadStackFile } from "../../offline/run";
import { PolicyPackConfig, loadPolicyPackConfigFile, reconcilePolicyPackConfig } from "../../offline/policy/config";
import { PolicyPackProcess, Violation } from "../../offline/policy/host";
import { analyzeAll } from "../../offline/policy/evaluate";
import { defaultAwsProvider, fromRecorded } from "../../offline/policy/wire";
import { T } from "../helpers/program";

/** Every rule the pack serves, by name. */
export const PACK_POLICIES = [
    "elasticache-encryption-at-rest", "elasticache-encryption-at-rest-cmk", "elasticache-encryption-in-transit", "elasticache-authentication",
    "elasticache-auth-token", "elasticache-rbac-user-group", "elasticache-user-group-default-user", "elasticache-cluster-mode-enabled",
    "elasticache-automatic-failover", "elasticache-multi-az", "elasticache-replicas-per-shard", "elasticache-shard-count",
    "elasticache-automatic-backups", "elasticache-snapshot-retention", "elasticache-snapshot-window", "elasticache-final-snapshot",
    "elasticache-auto-minor-version-upgrade", "elasticache-engine-version", "elasticache-log-delivery", "elasticache-event-notifications",
    "elasticache-no-default-subnet-group", "elasticache-non-default-port", "elasticache-port-not-public", "elasticache-no-legacy-security-group",
    "elasticache-security-group-description", "global-datastore-eligibility", "global-datastore-regions", "global-datastore-primary-compliant",
    "global-datastore-lag-alarms", "stateful-resources-protected",
];

export const POLICY_CONFIG = (stack: string) => path.join(PROJECT_DIR, "policies", "config", `${stack}.json`);

/** A copy whose resources can be edited without touching the recorded run. */
export function editable(run: ProgramRun): RecordedResource[] {
    return structuredClone(run.resources);
}

export function byName(resources: RecordedResource[], name: string, type = T.replicationGroup as string): RecordedResource {
    const found = resources.filter((r) => r.name === name && r.type === type);
    assert.equal(found.length, 1, `expected one ${type} named ${name}, found ${found.length}`);
    return found[0];
}

/** Sets (or, with undefined, removes) a property in both the inputs and the state, as a changed program would. */
export function setProperty(r: RecordedResource, key: string, value: unknown): void {
    for (const props of [r.inputs, r.state]) {
        if (value === undefined) {
            delete props[key];
        } else {
            props[key] = value;
        }
    }
}

/** A copy of `r` as another resource: new name and URN, other properties overridden. */
export function cloneAs(r: RecordedResource, name: string, properties: Record<string, unknown>): RecordedResource {
    const copy = structuredClone(r);
    copy.name = name;
    copy.urn = r.urn.replace(/::[^:]+$/, `::${name}`);
    Object.assign(copy.inputs, properties);
    Object.assign(copy.state, properties);
    return copy;
}

/** Configures the pack for `stack` from its policies/config file, plus per-test overrides. */
export async function configureFor(pack: PolicyPackProcess, stack: string, overrides: PolicyPackConfig = {}): Promise<PolicyPackConfig> {
    const info = await pack.info();
    const fromFile = loadPolicyPackConfigFile(POLICY_CONFIG(stack));
    // An override adds options to the file's entry for that policy rather than replacing it.
    const merged: PolicyPackConfig = { ...fromFile };
    for (const [policy, c] of Object.entries(overrides)) {
        merged[policy] = { enforcementLevel: c.enforcementLevel ?? fromFile[policy]?.enforcementLevel, properties: { ...fromFile[policy]?.properties, ...c.properties } };
    }
    const config = reconcilePolicyPackConfig(info, merged, POLICY_CONFIG(stack));
    await pack.configure(config);
    return config;
}

export interface Finding extends Violation {
    resourceName: string;
}

/** Analyze on every resource's inputs, then AnalyzeStack on all of their states, with the stack's provider. */
export async function evaluate(pack: PolicyPackProcess, stack: string, resources: RecordedResource[]): Promise<Finding[]> {
    const provider = defaultAwsProvider(stack, PROJECT, { region: loadStackFile(stack).config["aws:region"] });
    const violations = await analyzeAll(pack,
        resources.map((r) => fromRecorded(r, "inputs", provider)),
        resources.map((r) => fromRecorded(r, "state", provider)));
    const names = new Map(resources.map((r) => [r.urn, r.name]));
    return violations.map((v) => ({ ...v, resourceName: names.get(v.urn) ?? "" }));
}

export function describeFindings(findings: Finding[]): string {
    return findings.map((f) => `[${f.level}] ${f.policyName} on ${f.resourceName || f.urn || "stack"}: ${f.message.split("\n").slice(-1)[0]}`).join("\n");
}
