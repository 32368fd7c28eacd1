/**
 * Default enforcement levels, decided here and nowhere else. A rule's default follows from its
 * severity: what can lose or expose data blocks the deployment, the rest advises. A policy-pack config
 * (policies/config/*.json) overrides both per stack.
 */
import { EnforcementLevel, Severity } from "@pulumi/policy";

const LEVEL_BY_SEVERITY: Record<Severity, EnforcementLevel> = {
    critical: "mandatory",
    high: "mandatory",
    medium: "advisory",
    low: "advisory",
};

export function defaultEnforcementLevel(severity: Severity): EnforcementLevel {
    return LEVEL_BY_SEVERITY[severity];
}

/** The pack-level fallback; every rule sets its own level, so it only matters for rules added without one. */
export const PACK_ENFORCEMENT_LEVEL: EnforcementLevel = "advisory";
