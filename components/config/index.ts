import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "./keys";
import { ConfigError, RawConfig, configWarnings, validateConfig } from "./validate";

export * from "./types";
export { ConfigError, RawConfig, configWarnings, validateConfig } from "./validate";
export { CONFIG_KEYS, NAMESPACE, SECRET_KEYS, fullKey } from "./keys";
export { Engine } from "./engine";

/**
 * Reads every `elasticache-global:*` key of the current stack as raw text (secrets included: they are
 * validated here and wrapped as secrets where resources use them) and validates the whole set.
 */
export function readRawConfig(): RawConfig {
    const raw: RawConfig = {};
    const prefix = `${NAMESPACE}:`;
    for (const [key, value] of Object.entries(pulumi.runtime.allConfig())) {
        if (key.startsWith(prefix)) {
            raw[key.slice(prefix.length)] = value;
        }
    }
    return raw;
}

/**
 * Loads and validates the stack configuration. Invalid configuration stops the program with a
 * RunError, which Pulumi prints without a stack trace: the messages are the whole story.
 */
export function loadStackConfig() {
    const raw = readRawConfig();
    try {
        const config = validateConfig(raw, pulumi.getStack());
        configWarnings(raw, config).forEach((warning) => pulumi.log.warn(warning));
        return config;
    } catch (e) {
        if (e instanceof ConfigError) {
            throw new pulumi.RunError(e.message);
        }
        throw e;
    }
}
