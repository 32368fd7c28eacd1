/**
 * RUNBOOK.md as an on-call engineer uses it: the table at the top links to its sections, the command
 * section 2 recommends for an outage is the first one section 3 shows (and the CLI accepts it), and
 * what must be done before a data-plane command is a step of its own, not a parenthesis.
 */
import * as assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { RETARGET_SPEC } from "../recovery/commands/specs";
import { parseFlags } from "../recovery/lib/flags";

const RUNBOOK = fs.readFileSync(path.join(__dirname, "..", "RUNBOOK.md"), "utf8");

/** GitHub's anchor for a heading: lowercase, punctuation dropped, spaces as hyphens. */
function anchor(heading: string): string {
    return heading.trim().toLowerCase().replace(/[^a-z0-9 _-]/g, "").replace(/ /g, "-");
}

/** Headings outside code blocks. */
function headings(markdown: string): string[] {
    return markdown.replace(/```[\s\S]*?```/g, "").split("\n").flatMap((l) => /^#{1,6} (.*)$/.exec(l)?.[1] ?? []);
}

/** The text of the section whose heading starts with `title`, up to the next heading of its level or above. */
function section(title: string): string {
    const start = RUNBOOK.indexOf(`\n## ${title}`);
    assert.ok(start >= 0, `no section ${title}`);
    const next = RUNBOOK.slice(start + 1).search(/\n#{1,2} /);
    return next === -1 ? RUNBOOK.slice(start) : RUNBOOK.slice(start, start + 1 + next);
}

describe("RUNBOOK.md", () => {
    it("links every section number of the table at the top to a heading that exists", () => {
        const table = RUNBOOK.slice(0, RUNBOOK.indexOf("\n# "));
        const rows = table.split("\n").filter((l) => l.startsWith("| ") && !l.startsWith("| What happened"));
        assert.ok(rows.length >= 4, table);
        const anchors = new Set(headings(RUNBOOK).map(anchor));
        for (const row of rows) {
            const cell = row.split("|").at(-2)!;
            const numbers = cell.replace(/\[[^\]]*\]\([^)]*\)/g, "");
            assert.doesNotMatch(numbers, /\d/, `a section number without a link: ${row}`);
            const links = [...cell.matchAll(/\[(\d+a?)\]\(#([^)]+)\)/g)];
            assert.ok(links.length > 0, `no link in ${row}`);
            for (const [, number, target] of links) {
                assert.ok(anchors.has(target), `#${target} is no heading`);
                assert.ok(target.startsWith(`${number}-`), `section ${number} links to #${target}`);
            }
        }
    });

    it("shows the recommended outage command first in section 3, as a dry run and a real run the CLI accepts", () => {
        assert.match(section("2. Decide the mode"), /\| `outage --detach` \(recommended\) \|/);
        const first = /```sh\n([\s\S]*?)```/.exec(section("3. Run it"))![1].trim().split("\n");
        assert.deepEqual(first.map((l) => l.replace(/ --(dry-run|yes)$/, "")), Array(2).fill(
            "npm run recovery -- retarget-primary --stack prod --to us-west-2 --mode outage --detach --force"));
        assert.deepEqual(first.map((l) => / --(dry-run|yes)$/.exec(l)?.[1]), ["dry-run", "yes"]);
        for (const line of first) {
            const { values } = parseFlags(RETARGET_SPEC, line.split(" ").slice(5));
            assert.equal(values.mode, "outage");
            assert.equal(values.detach && values.force, true);
        }
    });

    it("makes the data-plane password and a machine that reaches the cache's subnets steps, not parentheses", () => {
        for (const title of ["8. Restore from a snapshot", "9. A node or shard fails"]) {
            const text = section(title);
            assert.doesNotMatch(text, /\([^()]*REDIS_PASSWORD[^()]*\)/s, `${title}: REDIS_PASSWORD in a parenthesis`);
            assert.doesNotMatch(text, /\([^()]*reaches the cache's subnets[^()]*\)/s, `${title}: the machine in a parenthesis`);
            assert.match(text, /^ {3}\d\. Run from a machine that reaches the cache's subnets/m, title);
            assert.match(text, /^ {3}\d\. Put the password of `--redis-user` .*\n.*`REDIS_PASSWORD`/m, title);
            assert.doesNotMatch(text, /REDIS_PASSWORD=\.\.\./, `${title}: no password on the command line`);
        }
    });
});
