import * as pulumi from "@pulumi/pulumi";
import { Generation, StackConfig, allGenerations, memberRegions } from "../config";
import { generationResourceName } from "../naming";
import { GlobalDatastore, createRegionUsers } from "../datastore";
import { WriterEndpoint } from "../endpoints";
import { RegionMonitoring } from "../monitoring";
import { RecoveryRole } from "../recovery-role";
import { CacheRegion } from "../region";

export type Role = "primary" | "secondary";

/** One generation's datastore and members, as the stack outputs them. */
export interface GenerationSummary {
    active: boolean;
    foundingRegion: string;
    seedSnapshot?: string;
    /** Only the founder and the datastore are declared; the secondaries join later. */
    founderOnly: boolean;
    retiring: boolean;
    /** While retiring: the suffix of the final snapshot names its deletion will take. */
    finalSnapshotSuffix?: string;
    globalDatastoreId: pulumi.Output<string>;
    /** Per member region (only the founding one while founder-only): replication group id, configuration endpoint and port. */
    regions: Record<string, { replicationGroupId: pulumi.Output<string>; configurationEndpoint: pulumi.Output<string>; port: pulumi.Output<number> }>;
}

export interface RegionSummary {
    role: Role;
    replicationGroupId: pulumi.Output<string>;
    configurationEndpoint: pulumi.Output<string>;
    port: pulumi.Output<number>;
    /** Where the member's ElastiCache events go. */
    eventTopicArn: pulumi.Output<string>;
    /** Where the region's alarms go. */
    alarmTopicArn: pulumi.Output<string>;
    kmsKeyArn: pulumi.Output<string>;
    /** Where a temporary restore (backup-drill) places its cache: the region's subnet group and security group. */
    subnetGroupName: pulumi.Output<string>;
    securityGroupId: pulumi.Output<string>;
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
    /** The active generation's members (only its founder while it is founder-only). */
    readonly regions: Record<string, RegionSummary>;
    readonly generation: number;
    /** The highest generation number ever declared (config highestGeneration): recovery checks it never goes down. */
    readonly highestGeneration: number;
    /** Every generation the stack declares, by number. */
    readonly generations: Record<string, GenerationSummary>;
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

        // One set of users per region for every generation, named as generation 1's always were. They
        // used to be children of generation 1's datastore component: the alias keeps them in place.
        const formerParent = pulumi.createUrn(generationResourceName(name, 1), "elasticache-global:index:GlobalDatastore", this);
        const userGroupIds = Object.fromEntries(regions.flatMap((region) => {
            const group = createRegionUsers(`${name}-${region}`, foundations[region], region,
                { naming, engine: config.engine, auth: config.auth, tags }, [{ parent: formerParent }]);
            return group ? [[region, group.userGroupId] as const] : [];
        }));

        // Each generation is a whole datastore with names of its own; only the active one serves writes.
        const declareGeneration = (g: Generation) => new GlobalDatastore(generationResourceName(name, g.number), {
            naming: { ...naming, generation: g.number },
            engine: config.engine,
            engineVersion: config.engineVersion,
            nodeType: config.nodeType,
            shards: config.shards,
            replicasPerShard: config.replicasPerShard,
            port: config.port,
            foundingRegion: g.foundingRegion,
            foundations,
            backupRetentionDays: config.backupRetentionDays,
            snapshotWindow: config.snapshotWindow,
            maintenanceWindow: config.maintenanceWindow,
            applyImmediately: config.applyImmediately,
            auth: config.auth,
            userGroupIds,
            seedSnapshot: g.seedSnapshot,
            founderOnly: g.founderOnly,
            finalSnapshotSuffix: g.finalSnapshotSuffix,
            protect: !g.retiring,
            tags: g.number === 1 ? tags : { ...tags, "elasticache-global:generation": String(g.number) },
        }, { parent: this });
        const generations = allGenerations(config);
        const datastores = Object.fromEntries(generations.map((g) => [g.number, declareGeneration(g)]));
        const datastore = datastores[config.generation];

        const endpoint = new WriterEndpoint(name, {
            naming,
            primaryRegion: config.primaryRegion,
            members: datastore.members,
            regions,
            globalDatastoreId: datastore.globalDatastoreId,
            route53: config.route53,
            tags,
        }, { parent: this });

        // IAM is global: one role for the whole datastore, declared without a region.
        const recoveryRole = new RecoveryRole(name, {
            naming,
            replicationGroupArns: Object.values(datastore.members).map((m) => m.arn),
            globalDatastoreId: datastore.globalDatastoreId,
            principals: config.recoveryRolePrincipals,
            tags,
        }, { parent: this });

        this.regions = {};
        this.generations = {};
        for (const g of generations) {
            const active = g.number === config.generation;
            const members = datastores[g.number].members;
            const summary: GenerationSummary = {
                active, foundingRegion: g.foundingRegion, founderOnly: g.founderOnly ?? false, retiring: g.retiring ?? false,
                ...(g.finalSnapshotSuffix ? { finalSnapshotSuffix: g.finalSnapshotSuffix } : {}),
                ...(g.seedSnapshot ? { seedSnapshot: g.seedSnapshot } : {}),
                globalDatastoreId: datastores[g.number].globalDatastoreId,
                regions: {},
            };
            // A founder-only generation has one member: no alarms or dashboard where it has none.
            for (const region of regions.filter((r) => members[r])) {
                // An inactive generation takes no writes from applications; its founder is its primary.
                const role: Role = region === (active ? config.primaryRegion : g.foundingRegion) ? "primary" : "secondary";
                const monitoring = new RegionMonitoring(`${generationResourceName(name, g.number)}-${region}`, {
                    region,
                    naming: { ...naming, generation: g.number },
                    shards: config.shards,
                    nodesPerShard: config.replicasPerShard + 1,
                    thresholds: config.alarms,
                    alarmTopicArn: foundations[region].alarmTopicArn,
                    tags,
                }, { parent: this });
                const member = members[region];
                summary.regions[region] = { replicationGroupId: member.replicationGroupId, configurationEndpoint: member.configurationEndpoint, port: member.port };
                if (active) {
                    this.regions[region] = {
                        role,
                        replicationGroupId: member.replicationGroupId,
                        configurationEndpoint: member.configurationEndpoint,
                        port: member.port,
                        eventTopicArn: foundations[region].eventTopicArn,
                        alarmTopicArn: foundations[region].alarmTopicArn,
                        kmsKeyArn: foundations[region].kmsKeyArn,
                        subnetGroupName: foundations[region].subnetGroupName,
                        securityGroupId: foundations[region].securityGroupId,
                        dashboardName: monitoring.dashboardName,
                    };
                }
            }
            this.generations[String(g.number)] = summary;
        }
        this.generation = config.generation;
        this.highestGeneration = config.highestGeneration;
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
            generation: this.generation,
            highestGeneration: this.highestGeneration,
            generations: this.generations,
            writerParameterName: this.writerParameterName,
            readerParameterName: this.readerParameterName,
            writerEndpoint: this.writerEndpoint,
            recoveryRoleArn: this.recoveryRoleArn,
        });
    }
}
