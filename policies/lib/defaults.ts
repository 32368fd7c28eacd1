/**
 * What AWS or the provider uses when a property is left unset. Rules accept these defaults when they
 * are compliant, unless the rule's config sets `requireExplicit: true`.
 */
import { Engine } from "../../components/config/engine";

/** Valkey encrypts at rest by default; Redis OSS does not. */
export const AT_REST_ENCRYPTION_DEFAULT: Record<Engine, boolean> = { valkey: true, redis: false };

/** Turning transit encryption on at creation means "required" unless "preferred" is asked for. */
export const TRANSIT_ENCRYPTION_MODE_DEFAULT = "required";

/** The provider's default for autoMinorVersionUpgrade. */
export const AUTO_MINOR_VERSION_UPGRADE_DEFAULT = true;

/** The Valkey and Redis OSS port, the one `elasticache-port-not-public` watches unless configured. */
export const DEFAULT_CACHE_PORT = 6379;

/** Port of a cache that sets none, by engine (memcached clusters listen elsewhere). */
export const DEFAULT_PORT_BY_ENGINE: Readonly<Record<string, number>> = { valkey: DEFAULT_CACHE_PORT, redis: DEFAULT_CACHE_PORT, memcached: 11211 };

/** The provider's default engine for replication groups and clusters. */
export const ENGINE_DEFAULT = "redis";

/**
 * With clusterMode unset, AWS takes cluster mode from the parameter group (`cluster-enabled`). The
 * default groups that turn it on are named `default.<family>.cluster.on`; other names tell nothing.
 */
export const CLUSTER_MODE_PARAMETER_GROUP = /\.cluster\.on$/;

/** Version floors of `elasticache-engine-version`: versions still under standard support. */
export const DEFAULT_MIN_ENGINE_VERSION: Record<Engine, string> = { redis: "6.2", valkey: "7.2" };
