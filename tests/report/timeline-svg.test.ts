/** The drill report's SVG timeline: well-formed, one row per shard, outages in red, events labelled, fast on big runs. */
import * as assert from "node:assert/strict";
import { AvailabilityTimeline, Interval, ShardAvailability } from "../../recovery/dataplane/timeline";
import { DOWN_COLOR, UP_COLOR, renderTimelineSvg, roundAxis, upIntervals } from "../../recovery/report/timeline-svg";

const START = Date.UTC(2025, 0, 15, 10, 0, 0);

/**
 * A small XML well-formedness check: one root element, every tag closed in order, attributes quoted,
 * and no bare "<" or "&" in text. Enough to catch broken output without an XML parser dependency.
 */
function checkWellFormed(xml: string): { root: string; elements: number } {
    const body = xml.replace(/<!\[CDATA\[[\s\S]*?\]\]>/g, "").replace(/<!--[\s\S]*?-->/g, "").replace(/^<\?xml[^>]*\?>/, "").trim();
    const tag = /<(\/?)([A-Za-z][\w:.-]*)((?:\s+[\w:.-]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;
    const stack: string[] = [];
    let root: string | undefined;
    let elements = 0;
    let last = 0;
    for (const m of body.matchAll(tag)) {
        const text = body.slice(last, m.index);
        assert.doesNotMatch(text, /<|&(?!(amp|lt|gt|quot|apos|#\d+|#x[0-9a-f]+);)/i, `bad text before offset ${m.index}: ${text.slice(0, 80)}`);
        if (root !== undefined && stack.length === 0) {
            assert.fail(`content after the root element at offset ${m.index}`);
        }
        last = m.index + m[0].length;
        const [, closing, name, , selfClosing] = m;
        if (closing) {
            assert.equal(stack.pop(), name, `</${name}> at offset ${m.index} closes the wrong element`);
        } else {
            elements += 1;
            root ??= name;
            if (!selfClosing) {
                stack.push(name);
            }
        }
    }
    assert.equal(body.slice(last).trim(), "", "nothing after the root element");
    assert.deepEqual(stack, [], "every element is closed");
    assert.ok(body.startsWith("<"), "starts with a tag");
    assert.ok(!/<[A-Za-z]/.test(body.replace(tag, "")), "every tag is well formed (quoted attributes)");
    return { root: root ?? "", elements };
}

function shard(name: string, down: Interval[] = []): ShardAvailability {
    return { shard: name, label: `slots of ${name}`, samples: [], down };
}

function timeline(shards: ShardAvailability[], events: AvailabilityTimeline["events"] = []): AvailabilityTimeline {
    return { title: "Drill of stack staging", start: START, end: START + 120_000, shards, events };
}

/** The fill colours of the SVG's shapes (paths and rects), hover styles excluded. */
function fills(svg: string): string[] {
    return [...svg.matchAll(/<(?:path|rect)\b[^>]*\sfill="([^"]+)"/g)].map((m) => m[1].toLowerCase());
}

describe("renderTimelineSvg", () => {
    const withOutage = timeline(
        [shard("0001"), shard("0002", [{ from: START + 30_000, to: START + 33_500 }]), shard("0003")],
        [{ at: START + 29_000, label: "TestFailover called", shard: "0002" }, { at: START + 34_000, label: "promoted" }, { at: START + 90_000, label: "recovered <node> & done" }],
    );

    it("renders a well-formed SVG document with the title and both axis names", () => {
        const svg = renderTimelineSvg(withOutage);
        const { root, elements } = checkWellFormed(svg);
        assert.equal(root, "svg");
        assert.ok(elements > 10);
        assert.match(svg, /^<svg [^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
        assert.match(svg, />Drill of stack staging</);
        assert.match(svg, />seconds since 2025-01-15T10:00:00\.000Z</);
        assert.match(svg, />shard</);
    });

    it("labels one row per shard, in the timeline's order", () => {
        const svg = renderTimelineSvg(withOutage);
        const labels = [...svg.matchAll(/>(000\d)<\/text>/g)].map((m) => m[1]);
        assert.deepEqual(labels, ["0001", "0002", "0003"]);
    });

    it("draws the down interval in red, and no red shape at all when nothing failed", () => {
        const red = DOWN_COLOR.toLowerCase();
        const outage = fills(renderTimelineSvg(withOutage));
        assert.ok(outage.includes(red), `fills: ${outage.join(", ")}`);
        assert.ok(outage.includes(UP_COLOR.toLowerCase()));
        const healthy = renderTimelineSvg(timeline([shard("0001"), shard("0002")]));
        assert.ok(!fills(healthy).includes(red), "red means an outage");
        assert.doesNotMatch(healthy, /writes failing/, "no legend entry for failures that did not happen");
    });

    it("draws the red bar where the outage was: from 30 s to 33.5 s on the 0002 row", () => {
        const svg = renderTimelineSvg(withOutage, { width: 1240 });
        // The plot spans x = 110 .. 1200 for 0 .. 120 s (grid left 110, right 40): 30 s is at 382.5, 3.5 s is 31.8 px wide.
        const bar = new RegExp(`<path d="M([\\d.]+) ([\\d.]+)l([\\d.]+) 0[^"]*" fill="${DOWN_COLOR}"`, "i").exec(svg);
        assert.ok(bar, "a red bar");
        assert.ok(Math.abs(Number(bar[1]) - 382.5) < 1, `starts at x=${bar[1]}`);
        assert.ok(Math.abs(Number(bar[3]) - 31.79) < 1, `is ${bar[3]} px wide`);
        // Below the title (36 px), two legend rows (40 px) and the event numbers (26 px), three rows share the plot's 120 px from
        // y = 102: the second row's centre is at 162, its bar 0.6 of 40 px tall.
        assert.ok(Math.abs(Number(bar[2]) - 150) < 1, `top at y=${bar[2]}`);
    });

    it("numbers the events above their lines and lists them under the chart, with their time and shard, escaped", () => {
        const svg = renderTimelineSvg(withOutage);
        assert.match(svg, />1 {2}29\.000 s {2}0002: TestFailover called</);
        assert.match(svg, />2 {2}34\.000 s {2}promoted</);
        assert.match(svg, />3 {2}90\.000 s {2}recovered &lt;node&gt; &amp; done</);
        // 29 s and 34 s are 35 px apart on this chart: one marker.
        assert.deepEqual([...svg.matchAll(/font-weight:bold;"[^>]*>(\d+(?:-\d+)?)<\/text>/g)].map((m) => m[1]), ["1-2", "3"]);
        const dashed = [...svg.matchAll(/<path [^>]*stroke-dasharray/g)];
        assert.equal(dashed.length, 3, "one vertical line per event");
    });

    it("gives events too close to tell apart one marker, \"1-2\", and keeps each line and list entry", () => {
        const close = timeline([shard("0001")], [{ at: START + 30_000, label: "kill started" }, { at: START + 30_027, label: "first failed write" }]);
        const svg = renderTimelineSvg(close);
        assert.deepEqual([...svg.matchAll(/font-weight:bold;"[^>]*>(\d+(?:-\d+)?)<\/text>/g)].map((m) => m[1]), ["1-2"]);
        assert.equal([...svg.matchAll(/<path [^>]*stroke-dasharray/g)].length, 2);
        assert.match(svg, />1 {2}30\.000 s {2}kill started</);
        assert.match(svg, />2 {2}30\.027 s {2}first failed write</);
    });

    it("prints the timeline's notes under the chart, wrapped into lines", () => {
        const note = "Red on other shards during the kill of shard-2: while the killed primary's slots have no primary, the whole cluster refuses writes.";
        const svg = renderTimelineSvg({ ...withOutage, notes: [note] }, { width: 600 });
        const lines = [...svg.matchAll(/>([^<]*)<\/text>/g)].map((m) => m[1]).filter((t) => note.replace(/'/g, "&#39;").includes(t) && t.length > 10);
        assert.ok(lines.length >= 2, `wrapped: ${lines.join(" | ")}`);
        assert.equal(lines.join(" "), note.replace(/'/g, "&#39;"));
    });

    it("puts ticks on round numbers, the last at or after the end", () => {
        assert.deepEqual(roundAxis(6.772), { max: 7, interval: 1 });
        assert.deepEqual(roundAxis(120), { max: 120, interval: 20 });
        assert.deepEqual(roundAxis(640.123), { max: 700, interval: 100 });
        assert.deepEqual(roundAxis(0.35), { max: 1, interval: 0.1 }, "at least a second");
        assert.deepEqual(roundAxis(3.3), { max: 3.5, interval: 0.5 });
        const ticks = [...renderTimelineSvg(timeline([shard("0001")])).matchAll(/text-anchor="middle"[^>]*y="6"[^>]*>([\d.]+)<\/text>/g)].map((m) => m[1]);
        assert.deepEqual(ticks, ["0", "20", "40", "60", "80", "100", "120"]);
    });

    it("renders 10 shards of 10,000 samples each in well under 2 s", () => {
        const shards = Array.from({ length: 10 }, (_, i) => {
            const samples = Array.from({ length: 10_000 }, (_, n) => ({ at: START + n * 12, ok: !(n >= 4000 + i * 100 && n < 4300 + i * 100) }));
            return { shard: `shard-${i + 1}`, label: `shard ${i + 1}`, samples, down: [{ from: START + (4000 + i * 100) * 12, to: START + (4300 + i * 100) * 12 }] };
        });
        const big: AvailabilityTimeline = { title: "big", start: START, end: START + 120_000, shards,
            events: shards.map((s, i) => ({ at: START + (4000 + i * 100) * 12, label: "failover", shard: s.shard })) };
        const began = process.hrtime.bigint();
        const svg = renderTimelineSvg(big);
        const ms = Number(process.hrtime.bigint() - began) / 1e6;
        assert.ok(ms < 2000, `took ${ms.toFixed(0)} ms`);
        assert.equal(checkWellFormed(svg).root, "svg");
        assert.equal(fills(svg).filter((f) => f === DOWN_COLOR.toLowerCase()).length, 11, "ten red bars and the legend's red mark");
    });

    it("rejects an empty or reversed timeline and bad dimensions, naming the field and what is accepted", () => {
        assert.throws(() => renderTimelineSvg(timeline([])), /the timeline has no shards\. Accepted: at least one shard/);
        assert.throws(() => renderTimelineSvg({ ...withOutage, end: START - 1 }), /runs from .* to .*\. Accepted: epoch milliseconds with end >= start/);
        assert.throws(() => renderTimelineSvg(withOutage, { width: 50 }), /width is 50\. Accepted: a whole number of pixels from 300 to 10000/);
        assert.throws(() => renderTimelineSvg(withOutage, { heightPerShard: 2.5 }), /heightPerShard is 2\.5\. Accepted/);
    });

    describe("upIntervals", () => {
        it("is what the down intervals leave of the run, for overlapping, unsorted and edge intervals", () => {
            assert.deepEqual(upIntervals(0, 100, []), [{ from: 0, to: 100 }]);
            assert.deepEqual(upIntervals(0, 100, [{ from: 50, to: 60 }, { from: 10, to: 20 }, { from: 15, to: 25 }]),
                [{ from: 0, to: 10 }, { from: 25, to: 50 }, { from: 60, to: 100 }]);
            assert.deepEqual(upIntervals(0, 100, [{ from: 0, to: 100 }]), []);
            assert.deepEqual(upIntervals(0, 100, [{ from: 90, to: 120 }]), [{ from: 0, to: 90 }]);
        });
    });
});
