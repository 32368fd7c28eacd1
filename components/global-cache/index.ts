import * as pulumi from "@pulumi/pulumi";
import { StackConfig, memberRegions } from "../config";
import { GlobalDatastore } from "../datastore";
import { WriterEndpoint } from "../endpoints";
import { RegionMonitoring } from "../monitoring";
import { RecoveryRole } from "../recovery-role";
import { CacheRegion } from "../region";

export type Role = "primary" | "secondary";

export interface RegionSummary {
    role: Role;
    replicationGroupId: pulumi.Output<string>;
    configurationEndpoint: pulumi.Output<string>;
    port: pulumi.Output<number>;
    topicArn: pulumi.Output<string>;
    kmsKeyArn: pulumi.Output<string>;
    dashboardName: string;
}

/**
 * The whole deployment: a foundation per region, the Global Datastore and its members, the writer
 * endpoint, and monitoring. Child names carry regions, never roles, so a promotion renames nothing.
 */
export class GlobalCache extends pulumi.ComponentResource {
    readonly primaryRegion: string;
    readonly foundingRegion: string;
    readonly globalDatastoreId: pulumi.Output<string>;
    readonly regions: Record<string, RegionSummary>;
    readonly writerParameterName: string;
    readonly readerParameterName: string;
    readonly writerEndpoint: pulumi.Output<string>;
    /** The role the recovery programs assume (see recovery/lib/permissions.ts). */
    readonly recoveryRoleArn: pulumi.Output<string>;

    constructor(name: string, config: StackConfig, opts?: pulumi.ComponentResourceOptions) {
        super("elasticache-global:index:GlobalCache", name, {}, opts);
        const naming = { stack: config.stack, namePrefix: config.namePrefix };
        const tags = { ...config.tags, "elasticache-global:stack": config.stack, "elasticache-global:name": config.namePrefix };
        const regions = memberRegions(config);

        const foundations = Object.fromEntries(regions.map((region) => [region, new CacheRegion(`${name}-${region}`, {
            region,
            naming,
            network: config.networks[region],
            port: config.port,
            logRetentionDays: config.logRetentionDays,
            notificationEmails: config.notificationEmails,
            tags,
        }, { parent: this })]));

        const datastore = new GlobalDatastore(name, {
            naming,
            engine: config.engine,
            engineVersion: config.engineVersion,
            nodeType: config.nodeType,
            shards: config.shards,
            replicasPerShard: config.replicasPerShard,
            port: config.port,
            foundingRegion: config.foundingRegion,
            foundations,
            backupRetentionDays: config.backupRetentionDays,
            snapshotWindow: config.snapshotWindow,
            maintenanceWindow: config.maintenanceWindow,
            applyImmediately: config.applyImmediately,
            auth: config.auth,
            tags,
        }, { parent: this });

        const endpoint = new WriterEndpoint(name, {
            naming,
            primaryRegion: config.primaryRegion,
            members: datastore.members,
            globalDatastoreId: datastore.globalDatastoreId,
            route53: config.route53,
            tags,
        }, { parent: this });

        // IAM is global: one role for the whole datastore, declared without a region.
        const recoveryRole = new RecoveryRole(name, {
            naming,
            replicationGroupArns: regions.map((region) => datastore.members[region].arn),
            globalDatastoreId: datastore.globalDatastoreId,
            principals: config.recoveryRolePrincipals,
            tags,
        }, { parent: this });

        this.regions = {};
        for (const region of regions) {
            const role: Role = region === config.primaryRegion ? "primary" : "secondary";
            const monitoring = new RegionMonitoring(`${name}-${region}`, {
                region,
                naming,
                role,
                shards: config.shards,
                nodesPerShard: config.replicasPerShard + 1,
                thresholds: config.alarms,
                topicArn: foundations[region].topicArn,
                tags,
            }, { parent: this });
            const member = datastore.members[region];
            this.regions[region] = {
                role,
                replicationGroupId: member.replicationGroupId,
                configurationEndpoint: member.configurationEndpoint,
                port: member.port,
                topicArn: foundations[region].topicArn,
                kmsKeyArn: foundations[region].kmsKeyArn,
                dashboardName: monitoring.dashboardName,
            };
        }
        this.primaryRegion = config.primaryRegion;
        this.foundingRegion = config.foundingRegion;
        this.globalDatastoreId = datastore.globalDatastoreId;
        this.writerParameterName = endpoint.writerParameterName;
        this.readerParameterName = endpoint.readerParameterName;
        this.writerEndpoint = endpoint.writerEndpoint;
        this.recoveryRoleArn = recoveryRole.roleArn;
        this.registerOutputs({
            primaryRegion: this.primaryRegion,
            foundingRegion: this.foundingRegion,
            globalDatastoreId: this.globalDatastoreId,
            regions: this.regions,
            writerParameterName: this.writerParameterName,
            readerParameterName: this.readerParameterName,
            writerEndpoint: this.writerEndpoint,
            recoveryRoleArn: this.recoveryRoleArn,
        });
    }
}
