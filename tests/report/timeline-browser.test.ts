/**
 * The drill's SVG timeline as a browser shows it. The server-side renderer lays text out with its own
 * estimate of each font; a reader's browser draws with its real fonts, so only a real browser can tell
 * whether labels collide. Each chart is rendered in headless Chromium: a screenshot is taken, and the
 * page's own layout (the bounding box of every text element and of every legend mark) is read back and
 * checked: no two texts overlap, no text runs over a legend mark or a bar, all text is inside the image.
 * One browser serves every page (a start costs some seconds of CPU), and the layouts of all charts come
 * from one page, each chart measured from its own top left corner.
 */
import * as assert from "node:assert/strict";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { AvailabilityTimeline } from "../../recovery/dataplane/timeline";
import { DOWN_COLOR, UP_COLOR, renderTimelineSvg } from "../../recovery/report/timeline-svg";
import { launchHeadless, requireChromium } from "../helpers/chromium";

const T = Date.UTC(2025, 0, 15, 10, 0, 0);

interface Box {
    x: number;
    y: number;
    w: number;
    h: number;
}

interface Layout {
    width: number;
    height: number;
    texts: Array<Box & { text: string }>;
    /** Filled shapes in the chart's two colours: bars and legend marks. */
    shapes: Array<Box & { fill: string }>;
}

/**
 * Reads, for each chart on the page (a <div data-chart="name"> around its SVG), every text's and every
 * green or red shape's box relative to the chart's top left corner once the page has laid it out, into
 * a <pre> as { name: layout }.
 */
const MEASURE = `
const colours = ${JSON.stringify([UP_COLOR, DOWN_COLOR].map((c) => c.toLowerCase()))};
const layouts = {};
for (const chart of document.querySelectorAll("div[data-chart]")) {
    const svg = chart.querySelector("svg");
    const origin = svg.getBoundingClientRect();
    const box = (el) => { const r = el.getBoundingClientRect(); return { x: r.left - origin.left, y: r.top - origin.top, w: r.width, h: r.height }; };
    layouts[chart.dataset.chart] = {
        width: origin.width, height: origin.height,
        texts: [...svg.querySelectorAll("text")].filter((t) => t.textContent.trim() !== "").map((t) => ({ text: t.textContent, ...box(t) })),
        shapes: [...svg.querySelectorAll("path, rect")].filter((s) => colours.includes((s.getAttribute("fill") || "").toLowerCase()))
            .map((s) => ({ fill: s.getAttribute("fill"), ...box(s) })),
    };
}
const pre = document.createElement("pre");
pre.id = "layout";
pre.textContent = JSON.stringify(layouts);
document.body.appendChild(pre);
`;

function unescapeHtml(text: string): string {
    return text.replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, "\"").replace(/&#39;/g, "'").replace(/&amp;/g, "&");
}

/** How far two boxes overlap, in pixels of each direction (both positive when they do). */
function overlap(a: Box, b: Box): { x: number; y: number } {
    return { x: Math.min(a.x + a.w, b.x + b.w) - Math.max(a.x, b.x), y: Math.min(a.y + a.h, b.y + b.h) - Math.max(a.y, b.y) };
}

/** Less than half a pixel of contact is anti-aliasing, not a collision. */
const TOLERANCE_PX = 0.5;

function collides(a: Box, b: Box): boolean {
    const o = overlap(a, b);
    return o.x > TOLERANCE_PX && o.y > TOLERANCE_PX;
}

/** The PNG's width and height, from its IHDR chunk. */
function pngSize(png: Buffer): { width: number; height: number } {
    assert.equal(png.subarray(0, 8).toString("hex"), "89504e470d0a1a0a", "a PNG file");
    return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}

function svgSize(svg: string): { width: number; height: number } {
    const m = /^<svg[^>]*\swidth="(\d+)"[^>]*\sheight="(\d+)"/.exec(svg);
    assert.ok(m, "the SVG states its size");
    return { width: Number(m[1]), height: Number(m[2]) };
}

/** A local drill run: a CLUSTER FAILOVER whose events come 27 ms apart, then a kill during which other shards refuse writes. */
function localRun(): AvailabilityTimeline {
    return {
        title: "Local drill, run 1: canary write availability per shard", start: T, end: T + 6772,
        shards: [
            { shard: "shard-1", label: "", samples: [], down: [{ from: T + 1500, to: T + 1595 }] },
            { shard: "shard-2", label: "", samples: [], down: [{ from: T + 3520, to: T + 6200 }] },
            { shard: "shard-3", label: "", samples: [], down: [{ from: T + 5200, to: T + 6180 }] },
        ],
        events: [
            { at: T + 1500, label: "cluster-failover started", shard: "shard-1" },
            { at: T + 1527, label: "promoted (roles settled)", shard: "shard-1" },
            { at: T + 1595, label: "writes acknowledged again", shard: "shard-1" },
            { at: T + 3500, label: "kill started", shard: "shard-2" },
            { at: T + 3770, label: "first failed write", shard: "shard-2" },
            { at: T + 6100, label: "promoted (roles settled)", shard: "shard-2" },
            { at: T + 6210, label: "writes acknowledged again", shard: "shard-2" },
        ],
        notes: ["Red on other shards during the kill of shard-2: while the killed primary's slots have no primary, the whole cluster refuses " +
            "writes on every shard, until a replica is promoted (Redis Cluster stops serving when a hash slot is not covered: " +
            "cluster-require-full-coverage, yes by default)"],
    };
}

/** A long drill against a stack: six shards failed over in turn, events at every distance from each other, a narrow chart. */
function crowded(): AvailabilityTimeline {
    const shards = Array.from({ length: 6 }, (_, i) => ({
        shard: `000${i + 1}`, label: "", samples: [], down: [{ from: T + 60_000 + i * 95_000, to: T + 61_800 + i * 95_000 }],
    }));
    const events = shards.flatMap((s, i) => [
        { at: T + 58_000 + i * 95_000, label: "TestFailover called", shard: s.shard },
        { at: T + 60_010 + i * 95_000, label: "first failed write", shard: s.shard },
        { at: T + 60_037 + i * 95_000, label: "promoted", shard: s.shard },
        { at: T + 61_800 + i * 95_000, label: "writes acknowledged again", shard: s.shard },
    ]);
    return { title: "Failover drill of stack staging: canary write availability per shard", start: T, end: T + 640_123, shards, events,
        notes: ["A note long enough to wrap over several lines of the chart's width, to check that wrapped lines keep their distance from each " +
            "other and from the list of events above them, and stay inside the picture however wide the browser's font is."] };
}

function healthy(): AvailabilityTimeline {
    return { title: "A drill where nothing failed", start: T, end: T + 12_345, shards: [{ shard: "shard-1", label: "", samples: [], down: [] }], events: [] };
}

describe("the SVG timeline in a browser (headless Chromium)", function () {
    this.timeout(240_000);
    const charts: Record<string, { timeline: AvailabilityTimeline; width?: number }> = {
        "local-run": { timeline: localRun() },
        crowded: { timeline: crowded(), width: 800 },
        healthy: { timeline: healthy() },
    };
    const rendered: Record<string, { svg: string; layout: Layout }> = {};
    let dir: string | undefined;

    /**
     * Renders every chart in Chromium: a screenshot of each (checked to be the SVG's size), then one
     * page with all of them for their layouts.
     */
    before(async function () {
        const chromium = await requireChromium(this);
        dir = await fs.mkdtemp(path.join(os.tmpdir(), "timeline-browser-"));
        const svgs = Object.entries(charts).map(([name, { timeline, width }]) => ({ name, svg: renderTimelineSvg(timeline, width ? { width } : {}) }));
        const browser = await launchHeadless(chromium);
        try {
            for (const { name, svg } of svgs) {
                const size = svgSize(svg);
                const svgFile = path.join(dir, `${name}.svg`);
                await fs.writeFile(svgFile, svg);
                const screenshot = path.join(dir, `${name}.png`);
                await fs.writeFile(screenshot, await browser.screenshot(svgFile, size.width, size.height));
                assert.deepEqual(pngSize(await fs.readFile(screenshot)), size, `the screenshot ${screenshot} shows the whole chart`);
            }
            const width = Math.max(...svgs.map(({ svg }) => svgSize(svg).width));
            const height = svgs.reduce((sum, { svg }) => sum + svgSize(svg).height, 0);
            const page = path.join(dir, "charts.html");
            await fs.writeFile(page, `<!doctype html><html><body style="margin:0">` +
                `${svgs.map(({ name, svg }) => `<div data-chart="${name}" style="line-height:0">${svg}</div>`).join("")}<script>${MEASURE}</script></body></html>`);
            const dom = await browser.dumpDom(page, width, height);
            const json = /<pre id="layout">([\s\S]*?)<\/pre>/.exec(dom)?.[1];
            assert.ok(json, `the page reported its layout: ${dom.slice(0, 300)}`);
            const layouts = JSON.parse(unescapeHtml(json)) as Record<string, Layout>;
            for (const { name, svg } of svgs) {
                assert.ok(layouts[name], `the page measured ${name}`);
                rendered[name] = { svg, layout: layouts[name] };
            }
        } finally {
            await browser.close();
        }
    });

    after(async () => {
        if (dir && !process.env.KEEP_SCREENSHOTS) {
            await fs.rm(dir, { recursive: true, force: true });
        }
    });

    /** The x axis's tick labels: the texts on the row of the "0" tick, left to right. */
    function ticks(layout: Layout): number[] {
        const zero = layout.texts.find((t) => t.text === "0");
        assert.ok(zero, "a 0 tick");
        return layout.texts.filter((t) => Math.abs(t.y - zero.y) < 1 && /^\d+(\.\d+)?$/.test(t.text)).sort((a, b) => a.x - b.x).map((t) => Number(t.text));
    }

    function checkNoCollisions(layout: Layout): void {
        assert.ok(layout.texts.length > 5, `texts: ${layout.texts.length}`);
        for (const [i, a] of layout.texts.entries()) {
            for (const b of layout.texts.slice(i + 1)) {
                assert.ok(!collides(a, b), `"${a.text}" ${JSON.stringify(a)} overlaps "${b.text}" ${JSON.stringify(b)}`);
            }
            for (const shape of layout.shapes) {
                assert.ok(!collides(a, shape), `"${a.text}" ${JSON.stringify(a)} runs over a ${shape.fill} mark or bar ${JSON.stringify(shape)}`);
            }
            assert.ok(a.x >= 0 && a.y >= 0 && a.x + a.w <= layout.width + TOLERANCE_PX && a.y + a.h <= layout.height + TOLERANCE_PX,
                `"${a.text}" ${JSON.stringify(a)} is inside the ${layout.width} x ${layout.height} image`);
        }
    }

    it("two events 27 ms apart, the legend and the note: no text overlaps another, a legend mark or a bar", async () => {
        const { layout } = rendered["local-run"];
        checkNoCollisions(layout);
        const texts = layout.texts.map((t) => t.text);
        // Both legend entries are there, and the events 27 ms apart are told apart in the list under the chart.
        assert.ok(texts.includes("writes acknowledged") && texts.includes("writes failing"), texts.join(" | "));
        assert.ok(texts.some((t) => /^1 {2}1\.500 s {2}shard-1: cluster-failover started$/.test(t)), texts.join(" | "));
        assert.ok(texts.some((t) => /^2 {2}1\.527 s {2}shard-1: promoted \(roles settled\)$/.test(t)), texts.join(" | "));
        assert.ok(texts.some((t) => /^Red on other shards during the kill of shard-2/.test(t)), "the red bars of other shards are explained");
        // Round ticks: whole seconds, the last one past the end of the drill (6.772 s).
        assert.deepEqual(ticks(layout), [0, 1, 2, 3, 4, 5, 6, 7]);
    });

    it("a crowded, narrow chart: six shards, events 27 ms to minutes apart, a wrapped note", async () => {
        const { layout } = rendered.crowded;
        checkNoCollisions(layout);
        assert.deepEqual(ticks(layout), [0, 100, 200, 300, 400, 500, 600, 700], "round ticks, the last past the end (640.1 s)");
    });

    it("a healthy run: one legend entry, no event list, nothing overlaps", async () => {
        const { svg, layout } = rendered.healthy;
        checkNoCollisions(layout);
        assert.doesNotMatch(svg, /writes failing/);
    });
});
