/**
 * The drill report's picture: write availability per shard over time, as a standalone SVG drawn with
 * Apache ECharts' server-side renderer (no browser, no DOM). One row per shard: green while the
 * canary's writes were acknowledged, red while they failed; events as dashed vertical lines; time in
 * seconds from the start of the drill, on round ticks.
 *
 * Nothing is placed where a reader's font could make it collide. The server-side renderer measures text
 * with a built-in estimate, and a browser's font may be wider, so:
 * - the legend stands in a column (ECharts' vertical legend), each label with nothing to its right;
 * - events carry only their number above their line, and events too close to tell apart share one
 *   number range ("2-3"); the numbered list under the chart says what each one is, one per line;
 * - notes (why other shards are red) are lines of their own under that list.
 * A test renders the SVG in headless Chromium and checks from the page's layout that no text overlaps
 * another text or a legend mark (tests/report/timeline-browser.test.ts).
 */
import * as echarts from "echarts";
import { AvailabilityTimeline, Interval, TimelineEvent } from "../dataplane/timeline";

export interface TimelineSvgOptions {
    /** Pixels. Default 1000. */
    width?: number;
    /** Pixels per shard row. Default 40. The rows together are at least MIN_PLOT_PX tall. */
    heightPerShard?: number;
}

export const UP_COLOR = "#2e9e44";
export const DOWN_COLOR = "#d62728";
const EVENT_COLOR = "#3b4a6b";
const TEXT_COLOR = "#333333";
/** The plot is at least this tall, so a single shard's row still reads as a band. */
export const MIN_PLOT_PX = 120;
const GRID_LEFT = 110;
const GRID_RIGHT = 40;
const TITLE_PX = 36;
const LEGEND_ROW_PX = 20;
/** Room above the plot for the event numbers. */
const MARKER_PX = 26;
/** Below the plot: tick labels and the axis name. */
const AXIS_PX = 56;
const LINE_PX = 16;
const FONT_PX = 12;
/** Event numbers closer than this are one marker: "12-13" in 11 px digits is about 30 px wide. */
export const MIN_MARKER_GAP_PX = 40;
/** Characters per line of a note, for a line width well inside the chart in any sans-serif font. */
const NOTE_CHARS_PER_PX = 1 / 8;

function checkDimension(field: string, value: number | undefined, min: number, max: number): void {
    if (value !== undefined && (!Number.isInteger(value) || value < min || value > max)) {
        throw new Error(`renderTimelineSvg: ${field} is ${JSON.stringify(value)}. Accepted: a whole number of pixels from ${min} to ${max}.`);
    }
}

function checkTimeline(t: AvailabilityTimeline): void {
    if (!Number.isFinite(t.start) || !Number.isFinite(t.end) || t.end < t.start) {
        throw new Error(`renderTimelineSvg: the timeline runs from ${t.start} to ${t.end}. Accepted: epoch milliseconds with end >= start.`);
    }
    if (t.shards.length === 0) {
        throw new Error("renderTimelineSvg: the timeline has no shards. Accepted: at least one shard to draw.");
    }
}

/** The parts of [start, end] outside `down`, which is sorted or not, and may overlap. */
export function upIntervals(start: number, end: number, down: readonly Interval[]): Interval[] {
    const up: Interval[] = [];
    let cursor = start;
    for (const d of [...down].sort((a, b) => a.from - b.from)) {
        if (d.from > cursor) {
            up.push({ from: cursor, to: Math.min(d.from, end) });
        }
        cursor = Math.max(cursor, d.to);
    }
    if (cursor < end) {
        up.push({ from: cursor, to: end });
    }
    return up.filter((i) => i.to > i.from);
}

/** A round axis for `seconds`: ticks every 1, 2 or 5 x 10^k seconds, 4 to 10 of them, the last at or after the end. */
export function roundAxis(seconds: number): { max: number; interval: number } {
    const span = Math.max(seconds, 1);
    const raw = span / 6;
    const power = 10 ** Math.floor(Math.log10(raw));
    const interval = [1, 2, 5, 10].map((m) => m * power).find((step) => span / step <= 10)!;
    // Rounded to the step's own precision, so 0.1 x 7 is 0.7 and not 0.7000000000000001.
    const digits = Math.max(0, -Math.floor(Math.log10(interval)));
    return { max: Number((Math.ceil(span / interval - 1e-9) * interval).toFixed(digits)), interval };
}

/** Events with their numbers, in time order; events closer than `minGapMs` to the first of a marker share it. */
export interface Marker {
    at: number;
    /** "3", or "2-4" for events drawn as one marker. */
    label: string;
    events: Array<TimelineEvent & { number: number }>;
}

export function markers(events: readonly TimelineEvent[], minGapMs: number): Marker[] {
    const numbered = [...events].sort((a, b) => a.at - b.at).map((e, i) => ({ ...e, number: i + 1 }));
    const result: Marker[] = [];
    for (const e of numbered) {
        const last = result[result.length - 1];
        if (last && e.at - last.at < minGapMs) {
            last.events.push(e);
        } else {
            result.push({ at: e.at, label: "", events: [e] });
        }
    }
    for (const m of result) {
        const first = m.events[0].number;
        const last = m.events[m.events.length - 1].number;
        m.label = first === last ? String(first) : `${first}-${last}`;
    }
    return result;
}

/** Breaks a note into lines of at most `chars` characters, at spaces. */
function wrap(text: string, chars: number): string[] {
    const lines: string[] = [];
    let line = "";
    for (const word of text.split(/\s+/)) {
        if (line && line.length + 1 + word.length > chars) {
            lines.push(line);
            line = word;
        } else {
            line = line ? `${line} ${word}` : word;
        }
    }
    return line ? [...lines, line] : lines;
}

/** One bar: row index, and the interval in seconds from the start. */
type Bar = [row: number, fromSeconds: number, toSeconds: number];

interface RenderApi {
    value(dimension: number): number;
    coord(point: [number, number]): number[];
    size(span: [number, number]): number[];
}

/** Draws each bar from (from, row) to (to, row) in `color`, filling most of the row's height. */
function barRenderer(color: string) {
    return (_params: unknown, api: RenderApi) => {
        const row = api.value(0);
        const [x0, y] = api.coord([api.value(1), row]);
        const [x1] = api.coord([api.value(2), row]);
        const height = api.size([0, 1])[1] * 0.6;
        return { type: "rect", shape: { x: x0, y: y - height / 2, width: Math.max(x1 - x0, 1), height }, style: { fill: color } };
    };
}

/** The SVG document (one string, starting with "<svg") of the timeline. */
export function renderTimelineSvg(t: AvailabilityTimeline, opts: TimelineSvgOptions = {}): string {
    checkTimeline(t);
    checkDimension("width", opts.width, 300, 10_000);
    checkDimension("heightPerShard", opts.heightPerShard, 10, 400);
    const width = opts.width ?? 1000;
    const seconds = (ms: number) => (ms - t.start) / 1000;
    const axis = roundAxis(seconds(t.end));
    const plotWidth = width - GRID_LEFT - GRID_RIGHT;
    const marks = markers(t.events, (MIN_MARKER_GAP_PX / plotWidth) * axis.max * 1000);
    const clamp = (i: Interval): Interval => ({ from: Math.max(i.from, t.start), to: Math.min(i.to, t.end) });
    const up: Bar[] = [];
    const down: Bar[] = [];
    t.shards.forEach((shard, row) => {
        upIntervals(t.start, t.end, shard.down).forEach((i) => up.push([row, seconds(i.from), seconds(i.to)]));
        shard.down.map(clamp).filter((i) => i.to > i.from).forEach((i) => down.push([row, seconds(i.from), seconds(i.to)]));
    });
    const bars = (name: string, color: string, data: Bar[]) => ({
        type: "custom", name, renderItem: barRenderer(color), encode: { x: [1, 2], y: 0 }, data, itemStyle: { color }, animation: false,
    });
    const series: object[] = [bars("writes acknowledged", UP_COLOR, up)];
    // The red series (and its red legend mark) only when something failed: red on the chart means an outage.
    if (down.length > 0) {
        series.push(bars("writes failing", DOWN_COLOR, down));
    }
    series.push({
        type: "line", name: "events", data: [], animation: false, silent: true,
        markLine: {
            symbol: "none", animation: false, silent: true,
            lineStyle: { color: EVENT_COLOR, type: "dashed", width: 1 },
            // Every event keeps its line; a marker's number stands above the first line it covers (the y axis runs down: its start is the top).
            data: marks.flatMap((m) => m.events.map((e, i) => ({
                xAxis: seconds(e.at),
                label: { show: i === 0, formatter: m.label, position: "start", color: EVENT_COLOR, fontSize: 11, fontWeight: "bold" },
            }))),
        },
    });
    const legendNames = series.map((s) => (s as { name: string }).name).filter((n) => n !== "events");

    const chars = Math.floor((width - GRID_LEFT) * NOTE_CHARS_PER_PX);
    const eventLines = marks.flatMap((m) => m.events.map((e) =>
        `${e.number}  ${seconds(e.at).toFixed(3)} s  ${e.shard ? `${e.shard}: ` : ""}${e.label}`));
    const noteLines = (t.notes ?? []).flatMap((note) => wrap(note, chars));
    const below = [...eventLines, ...(noteLines.length > 0 ? ["", ...noteLines] : [])];

    const legendTop = TITLE_PX;
    const gridTop = legendTop + legendNames.length * LEGEND_ROW_PX + MARKER_PX;
    const plotHeight = Math.max(MIN_PLOT_PX, t.shards.length * (opts.heightPerShard ?? 40));
    const listTop = gridTop + plotHeight + AXIS_PX;
    const height = listTop + below.length * LINE_PX + 16;

    // Server-side rendering takes no DOM element.
    const chart = echarts.init(null as unknown as Parameters<typeof echarts.init>[0], null, { renderer: "svg", ssr: true, width, height });
    try {
        chart.setOption({
            animation: false,
            textStyle: { fontFamily: "sans-serif" },
            title: { text: t.title, left: "center", top: 6, textStyle: { fontSize: 16, color: TEXT_COLOR } },
            legend: {
                orient: "vertical", left: GRID_LEFT, top: legendTop, itemGap: LEGEND_ROW_PX - 14, itemHeight: 14, itemWidth: 24,
                data: legendNames, textStyle: { fontSize: FONT_PX, color: TEXT_COLOR },
            },
            grid: { left: GRID_LEFT, right: GRID_RIGHT, top: gridTop, height: plotHeight },
            xAxis: {
                type: "value", min: 0, max: axis.max, interval: axis.interval,
                name: `seconds since ${new Date(t.start).toISOString()}`, nameLocation: "middle", nameGap: 30,
                axisLabel: { fontSize: FONT_PX }, nameTextStyle: { fontSize: FONT_PX },
            },
            yAxis: {
                type: "category", data: t.shards.map((s) => s.shard), inverse: true,
                name: "shard", nameLocation: "middle", nameRotate: 90, nameGap: 80,
                axisLabel: { fontSize: FONT_PX }, nameTextStyle: { fontSize: FONT_PX },
            },
            graphic: below.length > 0 ? [{
                type: "text", left: GRID_LEFT, top: listTop, silent: true,
                style: { text: below.join("\n"), fontSize: FONT_PX, lineHeight: LINE_PX, fill: TEXT_COLOR },
            }] : [],
            series,
        });
        return chart.renderToSVGString();
    } finally {
        chart.dispose();
    }
}
