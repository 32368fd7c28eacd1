/**
 * The drill report's picture: write availability per shard over time, as a standalone SVG drawn with
 * Apache ECharts' server-side renderer (no browser, no DOM). One row per shard: green while the
 * canary's writes were acknowledged, red while they failed; failovers and other events as labelled
 * vertical lines; time in seconds from the start of the drill.
 */
import * as echarts from "echarts";
import { AvailabilityTimeline, Interval } from "../dataplane/timeline";

export interface TimelineSvgOptions {
    /** Pixels. Default 1000. */
    width?: number;
    /** Pixels per shard row. Default 40. The rows together are at least MIN_PLOT_PX tall, so event labels fit beside their lines. */
    heightPerShard?: number;
}

export const UP_COLOR = "#2e9e44";
export const DOWN_COLOR = "#d62728";
const EVENT_COLOR = "#3b4a6b";
/** Room for the title and legend above the rows, and for the time axis and its name below. */
const TOP_PX = 80;
const BOTTOM_PX = 60;
/** Event labels run along their vertical lines: the plot must be tall enough for a short sentence. */
export const MIN_PLOT_PX = 160;

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
    const height = TOP_PX + BOTTOM_PX + Math.max(MIN_PLOT_PX, t.shards.length * (opts.heightPerShard ?? 40));
    const seconds = (ms: number) => (ms - t.start) / 1000;
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
            data: t.events.map((e) => ({
                xAxis: seconds(e.at),
                label: { formatter: e.shard ? `${e.shard}: ${e.label}` : e.label, position: "insideEndTop", color: EVENT_COLOR, fontSize: 10 },
            })),
        },
    });

    // Server-side rendering takes no DOM element.
    const chart = echarts.init(null as unknown as Parameters<typeof echarts.init>[0], null, { renderer: "svg", ssr: true, width, height });
    try {
        chart.setOption({
            animation: false,
            title: { text: t.title, left: "center", top: 8 },
            legend: { top: 36, data: series.map((s) => (s as { name: string }).name).filter((n) => n !== "events") },
            grid: { left: 110, right: 40, top: TOP_PX, bottom: BOTTOM_PX },
            xAxis: {
                type: "value", min: 0, max: Math.max(seconds(t.end), 1),
                name: `seconds since ${new Date(t.start).toISOString()}`, nameLocation: "middle", nameGap: 30,
            },
            yAxis: {
                type: "category", data: t.shards.map((s) => s.shard), inverse: true, name: "shard", nameLocation: "start",
            },
            series,
        });
        return chart.renderToSVGString();
    } finally {
        chart.dispose();
    }
}
