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

/** The engine's default port, the one `elasticache-port-not-public` watches unless configured. */
export const DEFAULT_CACHE_PORT = 6379;

/** Version floors of `elasticache-engine-version`: versions still under standard support. */
export const DEFAULT_MIN_ENGINE_VERSION: Record<Engine, string> = { redis: "6.2", valkey: "7.2" };
