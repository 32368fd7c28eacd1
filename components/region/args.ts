import { NamingInput } from "../naming";
import { RegionNetwork } from "../config";

export interface CacheRegionArgs {
    /** The AWS region every child is declared in. */
    region: string;
    naming: NamingInput;
    /** Existing private subnets, or a new VPC with three private subnets. */
    network: RegionNetwork;
    /** Port admitted by the security group; must match the replication group's port. */
    port: number;
    /** Retention of the slow-log and engine-log groups, in days. */
    logRetentionDays: number;
    /** Email addresses subscribed to the region's event topic and alarm topic. Default: none. */
    notificationEmails?: string[];
    /** Tags for every child that takes tags. Default: none. */
    tags?: Record<string, string>;
}

/** Number of private subnets (and availability zones) in a VPC the program creates. */
export const CREATED_SUBNET_COUNT = 3;
