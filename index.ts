/**
 * The program: read and validate the stack configuration, declare the deployment, export what
 * applications, operators and the recovery programs need.
 */
import { loadStackConfig } from "./components/config";
import { GlobalCache } from "./components/global-cache";
import { ROOT_NAME } from "./components/naming";

const config = loadStackConfig();
const cache = new GlobalCache(ROOT_NAME, config);

export const primaryRegion = cache.primaryRegion;
export const foundingRegion = cache.foundingRegion;
export const globalDatastoreId = cache.globalDatastoreId;
/** Per region: replication group id, configuration endpoint, port and current role. */
export const regions = Object.fromEntries(Object.entries(cache.regions).map(([region, r]) => [region, {
    role: r.role,
    replicationGroupId: r.replicationGroupId,
    configurationEndpoint: r.configurationEndpoint,
    port: r.port,
    dashboardName: r.dashboardName,
    // What backup-drill needs to restore a snapshot into this region's network with this region's key.
    subnetGroupName: r.subnetGroupName,
    securityGroupId: r.securityGroupId,
    kmsKeyArn: r.kmsKeyArn,
}]));
/** The active generation: the datastore the writer endpoint names. */
export const generation = cache.generation;
/** The highest generation number ever declared: restore-from-snapshot never reuses a number at or below it. */
export const highestGeneration = cache.highestGeneration;
/** Every generation the stack declares (the active one, one being built, old ones kept until retired). */
export const generations = cache.generations;
export const writerParameterName = cache.writerParameterName;
export const readerParameterName = cache.readerParameterName;
export const writerEndpoint = cache.writerEndpoint;
/** Per region: the topic of the replication group's ElastiCache events, and the (encrypted) topic of the alarms. */
export const eventTopicArns = Object.fromEntries(Object.entries(cache.regions).map(([region, r]) => [region, r.eventTopicArn]));
export const alarmTopicArns = Object.fromEntries(Object.entries(cache.regions).map(([region, r]) => [region, r.alarmTopicArn]));
/** The IAM role to assume for the recovery programs (npm run recovery); its name is <namePrefix>-elasticache-recovery. */
export const recoveryRoleArn = cache.recoveryRoleArn;
