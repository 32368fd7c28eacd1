/**
 * Test-only: one case of a scanner's own test suite (or of a control's documented pass/fail condition),
 * translated into the Pulumi inputs of the resource it judges, with the scanner's verdict.
 *
 * The builders take the inputs as @pulumi/aws v7 declares them (ClusterArgs, ReplicationGroupArgs ...
 * with every Input unwrapped), so `tsc` rejects a case written in a form no typed program can send:
 * `autoMinorVersionUpgrade: false` on a cluster, for one, where v7 takes the string "false".
 */
import type { Unwrap } from "@pulumi/pulumi";
import type { ClusterArgs, ReplicationGroupArgs } from "@pulumi/aws/elasticache";
import type { SecurityGroupArgs, SecurityGroupRuleArgs } from "@pulumi/aws/ec2";
import type { SecurityGroupIngressRuleArgs } from "@pulumi/aws/vpc";
import { TYPES } from "../../../policies/lib/types";

/** The scanners and control catalogues whose cases are translated here. */
export type Peer = "Security Hub" | "AWS Config" | "Control Tower" | "checkov" | "trivy" | "KICS" | "cdk-nag" | "guard rules";

/** The four whose verdicts a profile in policies/config/profiles/ reproduces. */
export const PROFILED: Record<string, Peer> = {
    "security-hub": "Security Hub",
    "aws-config": "AWS Config",
    checkov: "checkov",
    trivy: "trivy",
};

/** What the peer says of the resource: `skip` when it does not judge it (checkov's UNKNOWN, a guard rule's SKIP). */
export type Verdict = "pass" | "fail" | "skip";

export interface PeerCase {
    peer: Peer;
    /** The control's id as the pack's anchors name it, without the peer: "CKV_AWS_29", "ElastiCache.4". */
    control: string;
    /** Where the case comes from: repository and path, or the documentation page, and which resource or example. */
    source: string;
    resource: { type: string; name: string; props: Record<string, unknown> };
    verdict: Verdict;
    /**
     * The peer is wrong about this resource: the pack keeps its own verdict, and the case stays out of
     * the profile's equality. `why` says what the peer misses.
     */
    peerWrong?: { ours: Exclude<Verdict, "skip">; why: string };
}

type Plain<T> = { [K in keyof T]?: Unwrap<T[K]> };

/** Inputs of aws.elasticache.Cluster, as v7 types them. */
export function cluster(name: string, props: Plain<ClusterArgs>): PeerCase["resource"] {
    return { type: TYPES.cluster, name, props };
}

/** Inputs of aws.elasticache.ReplicationGroup, as v7 types them. */
export function group(name: string, props: Plain<ReplicationGroupArgs>): PeerCase["resource"] {
    return { type: TYPES.replicationGroup, name, props: { description: `${name} (translated case)`, ...props } };
}

/**
 * An EC2-Classic cache security group. @pulumi/aws 7.x no longer has the type
 * (aws.elasticache.SecurityGroup was removed with EC2-Classic); older providers took a name, a
 * description defaulting to "Managed by Pulumi", and securityGroupNames.
 */
export function legacyCacheSecurityGroup(name: string, props: { description?: string; securityGroupNames?: string[] }): PeerCase["resource"] {
    return { type: TYPES.legacySecurityGroup, name, props: { name, ...props } };
}

export function securityGroup(name: string, props: Plain<SecurityGroupArgs>): PeerCase["resource"] {
    return { type: TYPES.ec2SecurityGroup, name, props };
}

export function securityGroupRule(name: string, props: Plain<SecurityGroupRuleArgs>): PeerCase["resource"] {
    return { type: TYPES.ec2SecurityGroupRule, name, props };
}

export function ingressRule(name: string, props: Plain<SecurityGroupIngressRuleArgs>): PeerCase["resource"] {
    return { type: TYPES.vpcIngressRule, name, props };
}

/** A KMS key ARN, as an aws.kms.Key's `arn` output is once known. */
export const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/6f1c2a3b-0000-4000-8000-000000000001";
