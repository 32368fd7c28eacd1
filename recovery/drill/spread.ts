/** The median and spread of a drill's figures over its runs, for the local drill's aggregate. */

export interface Spread {
    n: number;
    median: number;
    min: number;
    max: number;
}

/** Median (the mean of the middle two for an even count), min and max; undefined for no values. */
export function spread(values: readonly number[]): Spread | undefined {
    if (values.length === 0) {
        return undefined;
    }
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    const median = sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
    return { n: sorted.length, median, min: sorted[0], max: sorted[sorted.length - 1] };
}

/**
 * The spread of counts (lost writes, stale reads), in whole numbers: for an even number of values the
 * median is the higher of the middle two, a count some run had, and on the safe side for losses (the
 * mean of 0 and 75 lost writes, 37.5, is a count no run had).
 */
export function countSpread(values: readonly number[]): Spread | undefined {
    const s = spread(values);
    if (!s) {
        return undefined;
    }
    const sorted = [...values].sort((a, b) => a - b);
    return { ...s, median: sorted[Math.floor(sorted.length / 2)] };
}
