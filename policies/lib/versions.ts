/**
 * Engine versions as ElastiCache accepts them: "7.1", "6.2.6", and the Redis OSS 6 style "6.x"
 * (the latest minor of that major).
 */
import { compareVersions, parseVersion } from "../../components/config/engine";

const LATEST_MINOR = /^(\d+)\.x$/;

/** Whether `version` is at least `floor`; undefined when `version` is not a version at all. */
export function versionAtLeast(version: string, floor: string): boolean | undefined {
    const latestOf = LATEST_MINOR.exec(version);
    const floorParts = parseVersion(floor);
    if (!floorParts) {
        throw new Error(`invalid version floor "${floor}"`);
    }
    if (latestOf) {
        // "6.x" runs the newest 6 minor, so it meets any floor inside major 6.
        return Number(latestOf[1]) >= floorParts[0];
    }
    return parseVersion(version) ? compareVersions(version, floor) >= 0 : undefined;
}

/** Pattern for version options in config schemas. */
export const VERSION_PATTERN = "^\\d+\\.\\d+(\\.\\d+)?$";
