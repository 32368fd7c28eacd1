/**
 * What ElastiCache accepts as a tag value. Kept apart from take.ts, which sends the tags, so the
 * snapshot command's flags are described and checked without loading the SDK.
 */

/** ElastiCache tag values: up to 256 of these characters (the tag pattern ElastiCache documents). */
const TAG_VALUE = /^[a-zA-Z0-9 _.:/=+@-]*$/;
const TAG_VALUE_MAX = 256;
export const TAG_VALUE_ACCEPTED = "1 to 256 characters of letters, digits, spaces and _ . : / = + - @, not starting with aws:";

/** Why `text` cannot be a tag value, or undefined when it can. */
export function tagValueProblem(text: string): string | undefined {
    if (text.trim() === "") {
        return "it is empty";
    }
    if (text.length > TAG_VALUE_MAX) {
        return `it is ${text.length} characters long`;
    }
    const bad = [...new Set([...text].filter((c) => !TAG_VALUE.test(c)))];
    if (bad.length > 0) {
        return `it contains ${bad.map((c) => JSON.stringify(c)).join(", ")}, which ElastiCache tags do not accept`;
    }
    return /^aws:/i.test(text) ? "it starts with aws:, which AWS keeps for itself" : undefined;
}
