/**
 * The Route 53 writer record, when the stack configures one. Applications that resolve it, rather than
 * read the SSM writer parameter, may still write to the old primary, which rejoin retires; writes they
 * send there are lost. No Route 53 client is installed with the recovery programs (the outage run
 * leaves the record to a human too, since its control plane sits in us-east-1), so rejoin cannot read
 * the record: it refuses until a human confirms with --dns-checked that the record names the serving
 * cluster, and prints the commands to check and change it.
 */
import { StackConfig } from "../../../components/config/types";
import { flagName } from "../flags";
import { route53Command } from "../retarget/outage";
import { RefusedError } from "../retarget/preflight";

/** The AWS CLI command that shows the record as Route 53 serves it. */
export function route53CheckCommand(config: StackConfig): string | undefined {
    if (!config.route53) {
        return undefined;
    }
    const { zoneId, recordName } = config.route53;
    return `aws route53 list-resource-record-sets --hosted-zone-id ${zoneId} --start-record-name ${recordName} --start-record-type CNAME --max-items 1`;
}

/** What the plan says about the record; undefined when the stack has none. */
export function dnsPlanLine(config: StackConfig, servingEndpoint: string, dnsChecked: boolean): string | undefined {
    if (!config.route53) {
        return undefined;
    }
    return dnsChecked
        ? `the Route 53 record ${config.route53.recordName} names ${servingEndpoint} (confirmed with ${flagName("dnsChecked")}; rejoin cannot read Route 53)`
        : `refuse before any change: the Route 53 record ${config.route53.recordName} must name ${servingEndpoint}, and rejoin cannot read it; ` +
          `check it, then confirm with ${flagName("dnsChecked")}`;
}

/** The refusal when the stack has a record and no human confirmed it; undefined otherwise. */
export function dnsRefusal(config: StackConfig, servingGroupId: string, servingEndpoint: string, dnsChecked: boolean): RefusedError | undefined {
    if (!config.route53 || dnsChecked) {
        return undefined;
    }
    return new RefusedError(`stack ${config.stack} configures the Route 53 writer record ${config.route53.recordName} (zone ${config.route53.zoneId}), ` +
        "which rejoin cannot read (no Route 53 client is installed with the recovery programs). Applications that resolve it may still write to " +
        `the old primary, which rejoin retires. Check that it names ${servingGroupId}'s endpoint ${servingEndpoint}: ${route53CheckCommand(config)} ; ` +
        `if it does not, change it: ${route53Command(config, servingEndpoint)} . Then run rejoin again with ${flagName("dnsChecked")}. Nothing was changed.`);
}
