/**
 * The settings a Global Datastore secondary inherits from the datastore's primary and cannot set
 * itself, judged in one place with the defaults AWS and the provider apply to an unset setting. The
 * resource rules judge them on each replication group's inputs; global-datastore-primary-compliant
 * judges them on the primary's state (see Settings in props.ts for what "unset" means there).
 */
import { Engine, ENGINES } from "../../components/config/engine";
import { AT_REST_ENCRYPTION_DEFAULT, CLUSTER_MODE_PARAMETER_GROUP, ENGINE_DEFAULT, TRANSIT_ENCRYPTION_MODE_DEFAULT } from "./defaults";
import { knownValue, Read, Settings, Unverifiable } from "./props";

export interface Verdict {
    ok: boolean;
    /** The program left the setting unset, so the verdict rests on a default (requireExplicit rejects it). */
    fromDefault: boolean;
    /** What the resource does, as messages say it after its name: `sets clusterMode "disabled"`. */
    found: string;
}

export function isCacheEngine(engine: string): engine is Engine {
    return (ENGINES as readonly string[]).includes(engine);
}

/** Engine of a replication group or cluster; unset means the provider's default, redis. */
export function engineFrom(settings: Settings): string {
    const engine = settings<string>("engine");
    if (engine.state === "unknown") {
        throw new Unverifiable(engine.path);
    }
    return engine.state === "known" ? engine.value.toLowerCase() : ENGINE_DEFAULT;
}

/** Shards a replication group declares: numNodeGroups, else the entries of nodeGroupConfigurations. */
export function declaredShards(settings: Settings): Read<number> {
    const count = settings<number>("numNodeGroups");
    if (count.state !== "absent") {
        return count;
    }
    const configured = settings<unknown[]>("nodeGroupConfigurations");
    if (configured.state === "unknown") {
        return configured;
    }
    return configured.state === "known" && configured.value.length > 0 ? { state: "known", value: configured.value.length } : { state: "absent" };
}

/** A switch that AWS leaves off when unset. */
function switchedOn(settings: Settings, key: string): Verdict {
    const value = knownValue(settings<boolean>(key));
    if (value === undefined) {
        return { ok: false, fromDefault: true, found: `leaves ${key} unset (off)` };
    }
    return { ok: value === true, fromDefault: false, found: `sets ${key}: ${value}` };
}

/** Valkey encrypts at rest by default, Redis OSS does not. */
export function judgeAtRestEncryption(settings: Settings): Verdict {
    const value = knownValue(settings<boolean>("atRestEncryptionEnabled"));
    if (value !== undefined) {
        return { ok: value === true, fromDefault: false, found: `sets atRestEncryptionEnabled: ${value}` };
    }
    const engine = engineFrom(settings);
    const byDefault = isCacheEngine(engine) && AT_REST_ENCRYPTION_DEFAULT[engine];
    return {
        ok: byDefault,
        fromDefault: true,
        found: byDefault
            ? `leaves atRestEncryptionEnabled to the ${engine} default (encrypted)`
            : `leaves atRestEncryptionEnabled unset, and ${engine} does not encrypt at rest by default`,
    };
}

export function judgeTransitEncryption(settings: Settings): Verdict {
    return switchedOn(settings, "transitEncryptionEnabled");
}

/** With transit encryption on, an unset mode is "required". */
export function judgeTransitEncryptionMode(settings: Settings): Verdict {
    const mode = knownValue(settings<string>("transitEncryptionMode"));
    if (mode === undefined) {
        return { ok: true, fromDefault: true, found: `leaves transitEncryptionMode to its default ("${TRANSIT_ENCRYPTION_MODE_DEFAULT}")` };
    }
    return {
        ok: mode === "required",
        fromDefault: false,
        found: mode === "required" ? `sets transitEncryptionMode "${mode}"` : `sets transitEncryptionMode "${mode}", which also accepts plain-text connections`,
    };
}

export function judgeAutomaticFailover(settings: Settings): Verdict {
    return switchedOn(settings, "automaticFailoverEnabled");
}

export function judgeMultiAz(settings: Settings): Verdict {
    return switchedOn(settings, "multiAzEnabled");
}

/**
 * clusterMode "enabled". Unset, AWS takes cluster mode from the parameter group: on with a
 * `*.cluster.on` group, and necessarily on with more than one shard. Anything else cannot be shown
 * to be on. An unknown parameter group or shard count matters only when the other does not decide.
 */
export function judgeClusterMode(settings: Settings): Verdict {
    const mode = knownValue(settings<string>("clusterMode"));
    if (mode !== undefined) {
        return { ok: mode === "enabled", fromDefault: false, found: `sets clusterMode "${mode}"` };
    }
    const group = settings<string>("parameterGroupName");
    if (group.state === "known" && CLUSTER_MODE_PARAMETER_GROUP.test(group.value)) {
        return { ok: true, fromDefault: true, found: `leaves clusterMode to its parameter group "${group.value}"` };
    }
    const shards = declaredShards(settings);
    if (shards.state === "known" && shards.value > 1) {
        return { ok: true, fromDefault: true, found: `leaves clusterMode to AWS, which turns it on for ${shards.value} shards` };
    }
    knownValue(group);
    knownValue(shards);
    const groupText = group.state === "known"
        ? `parameter group "${group.value}", which is not a *.cluster.on group,`
        : "the engine's default parameter group";
    const conclusion = group.state === "known" ? "so the pack cannot show cluster mode is on" : "so cluster mode is off";
    return { ok: false, fromDefault: true, found: `leaves clusterMode unset with ${groupText} and 1 shard, ${conclusion}` };
}

export interface InheritedSetting {
    /** The compliant setting, as a fix names it: `clusterMode: "enabled"`. */
    required: string;
    judge(settings: Settings): Verdict;
}

/** What a secondary inherits and cannot set, in the order messages list it. */
export const INHERITED_SETTINGS: readonly InheritedSetting[] = [
    { required: "atRestEncryptionEnabled: true", judge: judgeAtRestEncryption },
    { required: "transitEncryptionEnabled: true", judge: judgeTransitEncryption },
    { required: "transitEncryptionMode: \"required\"", judge: judgeTransitEncryptionMode },
    { required: "automaticFailoverEnabled: true", judge: judgeAutomaticFailover },
    { required: "multiAzEnabled: true", judge: judgeMultiAz },
    { required: "clusterMode: \"enabled\"", judge: judgeClusterMode },
];
