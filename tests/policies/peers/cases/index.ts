/** Every translated case, by peer. */
import { PeerCase } from "../case";
import { AWS_CONTROL_CASES } from "./aws-controls";
import { CDK_NAG_CASES } from "./cdk-nag";
import { CHECKOV_CASES } from "./checkov";
import { GUARD_RULES_CASES } from "./guard-rules";
import { KICS_CASES } from "./kics";
import { TRIVY_CASES } from "./trivy";

export const ALL_CASES: readonly PeerCase[] = [
    ...AWS_CONTROL_CASES, ...CHECKOV_CASES, ...TRIVY_CASES, ...KICS_CASES, ...CDK_NAG_CASES, ...GUARD_RULES_CASES,
];
