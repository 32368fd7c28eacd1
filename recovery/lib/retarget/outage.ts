/**
 * How an outage run moves the writer and ends. It never runs Pulumi: the program reads the caller's
 * identity and availability zones in the provider's default region, and any preview or update (even a
 * targeted one) runs the whole program, which the failed region can break. So the writer parameter is
 * written directly in every member region that answers, and the stack is brought in line later, by
 * `rejoin` after a detach or by a `--reconcile-only` run after a completed promotion.
 */
import { StackConfig, memberRegions } from "../../../components/config/types";
import { writerParameterName } from "../../../components/naming";
import { RegionClients } from "../clients";
import { Progress } from "../progress";
import { WriterTarget, WriterWrite, describeWrites, putParameterCommand, writeWriterParameters } from "../writer-parameter";
import { firstLine } from "../progress";
import { readPromotion, readTargetGroup } from "./control-plane";
import { Promotion, RetargetResult, RunFacts, describePromotion, retargetCommand } from "./outcome";

/** The Route 53 record is served by a control plane in us-east-1, the region most likely to be the failed one: it is left to a human. */
export function route53Command(config: StackConfig, endpoint: string): string | undefined {
    if (!config.route53) {
        return undefined;
    }
    const batch = { Changes: [{ Action: "UPSERT", ResourceRecordSet: { Name: config.route53.recordName, Type: "CNAME", TTL: 30, ResourceRecords: [{ Value: endpoint }] } }] };
    return `aws route53 change-resource-record-sets --hosted-zone-id ${config.route53.zoneId} --change-batch '${JSON.stringify(batch)}'`;
}

/** The regions the writer parameter is written in: the target first, then the other members. */
export function writerRegions(config: StackConfig, target: string): string[] {
    return [target, ...memberRegions(config).filter((r) => r !== target)];
}

/** The plan's lines for what follows the control-plane part in an outage run. */
export function outagePlanLines(config: StackConfig, target: string): string[] {
    return [
        `write the SSM parameter ${writerParameterName(config)} (Type String, Overwrite) so it names the target's cluster, in ` +
            `${writerRegions(config, target).join(", then ")}: every region that answers; the others are reported`,
        ...(config.route53 ? [`the Route 53 record ${config.route53.recordName} is NOT changed (its control plane is in us-east-1): ` +
            "the next steps give the command to change it by hand"] : []),
        `no Pulumi preview or update: stack ${config.stack} is brought in line later (rejoin, or --reconcile-only after a completed promotion)`,
    ];
}

export interface MovedWriters {
    target: WriterTarget;
    writes: WriterWrite[];
    /**
     * After "primary-unsettled": the datastore as the target's region showed it when the writer moved,
     * for the summary ("datastore modifying, us-west-2 PRIMARY"). Undefined otherwise.
     */
    datastoreState?: string;
}

/** Writes the writer parameter everywhere it can, naming the target as its own region describes it now. */
export async function moveWriters(run: RunFacts, promotion: Promotion, clients: RegionClients, progress: Progress, signal?: AbortSignal): Promise<MovedWriters> {
    const config = run.pre.config;
    const groupId = run.pre.decision.targetGroupId;
    return progress.step("writer", `pointing ${writerParameterName(config)} at ${groupId} in every region that answers`, async (step) => {
        const group = await readTargetGroup((r) => clients.elastiCache(r), run.target, groupId, signal);
        if (!group?.endpoint) {
            throw new Error(`${groupId} in ${run.target} reports no endpoint (DescribeReplicationGroups: ${group ? `status ${group.status}` : "not found"}), ` +
                "so the writer parameter cannot name it. Run the same command again once it does.");
        }
        const standalone = promotion === "detached" || !group.datastoreId;
        const target: WriterTarget = {
            region: run.target, replicationGroupId: groupId, configurationEndpoint: group.endpoint.address, port: group.endpoint.port,
            globalDatastoreId: standalone ? "" : group.datastoreId ?? "",
        };
        const writes = await writeWriterParameters(config, target, writerRegions(config, run.target), clients, step, progress.clock, signal);
        step.summarize(describeWrites(writes));
        if (promotion !== "primary-unsettled") {
            return { target, writes };
        }
        const promotionTarget = { datastoreId: group.datastoreId ?? run.pre.decision.datastoreId ?? "", region: run.target, replicationGroupId: groupId };
        const datastoreState = await readPromotion((r) => clients.elastiCache(r), promotionTarget, signal)
            .then((seen) => seen.state, (e) => `not read (${firstLine(e)})`);
        step.found(`after the writer moved, the datastore shows: ${datastoreState}`, { level: "warn" });
        return { target, writes, datastoreState };
    });
}

export function outageResult(run: RunFacts, promotion: Promotion, moved: MovedWriters): RetargetResult {
    const config = run.pre.config;
    const { target, stackName: stack } = run;
    const old = config.primaryRegion === target ? "the old primary's region" : config.primaryRegion;
    const missed = moved.writes.filter((w): w is Extract<WriterWrite, { reason: string }> => w.result !== "updated");
    const targetWritten = moved.writes.find((w) => w.region === target)?.result === "updated";
    const failed = missed.filter((w) => w.result === "failed");
    const how = promotion === "detached" ? "detached and accepting writes" : promotion === "already" ? "already in charge" : describePromotion(promotion);
    const datastoreId = moved.target.globalDatastoreId || run.pre.decision.datastoreId || "the datastore";
    const unsettled = promotion === "primary-unsettled"
        ? [`Global Datastore ${datastoreId} has not settled: ${moved.datastoreState ?? "state not read"}. ${target} accepts writes (its own region ` +
            `reports it PRIMARY and available), so the writer was moved. Watch it (aws elasticache describe-global-replication-groups ` +
            `--global-replication-group-id ${datastoreId} --show-member-info --region ${target}); start no other change on it meanwhile. If it stays ` +
            "modifying for long after the old region answers again, ask AWS Support to end the stuck operation."]
        : [];
    const dns = route53Command(config, moved.target.configurationEndpoint);
    const nextSteps = [
        ...unsettled,
        ...(missed.length ? [`The writer parameter was NOT updated in ${missed.map((w) => `${w.region} (${w.result}: ${w.reason})`).join("; ")}: ` +
            `applications there still read the old writer. ${promotion === "detached" ? "rejoin updates them first thing once they answer; " : ""}` +
            `until then, when a region answers, run: ${missed.map((w) => putParameterCommand(config, w.region, moved.target)).join(" ; ")}`] : []),
        ...(dns ? [`The Route 53 record ${config.route53!.recordName} still points at the old writer; change it by hand: ${dns}`] : []),
        promotion === "detached"
            ? `The Global Datastore must be rebuilt: ${target} now runs standalone. When ${old} answers again, run ${run.invocation} rejoin --stack ${stack} ` +
              "--dry-run, review it, then run it with --yes; it first points the writer parameter of every region at the serving cluster, then checks " +
              `whether ${old}'s old primary took writes after the detach.`
            : `When ${old} answers again, bring the stack in line: ${retargetCommand({ ...run, mode: "planned" }, " --reconcile-only --dry-run")}, ` +
              `review it, then run it with --yes.`,
        `Do NOT run pulumi up on stack ${stack}, and pause its automatic deployments, until then: its configuration still names ${old} as the primary, ` +
            `so an update would point the writer parameters back at ${old}.`,
    ];
    const writesSummary = describeWrites(moved.writes);
    return {
        outcome: targetWritten && failed.length === 0 ? "succeeded" : "partial",
        plan: run.plan,
        summary: `${target} ${how}${promotion === "primary-unsettled" ? ` (${moved.datastoreState ?? "datastore state not read"})` : ""}; ` +
            `writer parameter ${writesSummary}; the stack was not changed (outage mode never runs Pulumi)`,
        nextSteps,
    };
}
