/**
 * Snapshot and maintenance windows. Both are UTC. The snapshot window recurs daily; the maintenance
 * window weekly. AWS rejects overlapping windows only at apply time, so we check here.
 */

const DAYS = ["sun", "mon", "tue", "wed", "thu", "fri", "sat"] as const;
const MINUTES_PER_DAY = 24 * 60;
const MINUTES_PER_WEEK = 7 * MINUTES_PER_DAY;

/** A half-open interval in minutes from the start of the week (Sunday 00:00 UTC). */
export interface Interval {
    start: number;
    end: number;
}

function hhmm(text: string): number | undefined {
    const m = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(text);
    return m ? Number(m[1]) * 60 + Number(m[2]) : undefined;
}

/** Daily window "hh:mm-hh:mm" as [start, duration] in minutes, or an error text. */
export function parseSnapshotWindow(text: string): { start: number; minutes: number } | string {
    const parts = text.split("-");
    const start = parts.length === 2 ? hhmm(parts[0]) : undefined;
    const end = parts.length === 2 ? hhmm(parts[1]) : undefined;
    if (start === undefined || end === undefined) {
        return "is not a daily window of the form hh:mm-hh:mm (UTC), for example 03:00-05:00";
    }
    const minutes = (end - start + MINUTES_PER_DAY) % MINUTES_PER_DAY;
    if (minutes < 60) {
        return `lasts ${minutes} minutes; a snapshot window must last at least 60 minutes`;
    }
    return { start, minutes };
}

/** Weekly window "ddd:hh:mm-ddd:hh:mm" as an interval, or an error text. */
export function parseMaintenanceWindow(text: string): Interval | string {
    const m = /^([a-z]{3}):(\d\d:\d\d)-([a-z]{3}):(\d\d:\d\d)$/.exec(text.toLowerCase());
    const startDay = m ? DAYS.indexOf(m[1] as (typeof DAYS)[number]) : -1;
    const endDay = m ? DAYS.indexOf(m[3] as (typeof DAYS)[number]) : -1;
    const startTime = m ? hhmm(m[2]) : undefined;
    const endTime = m ? hhmm(m[4]) : undefined;
    if (startDay < 0 || endDay < 0 || startTime === undefined || endTime === undefined) {
        return "is not a weekly window of the form ddd:hh:mm-ddd:hh:mm (UTC, days sun..sat), for example sun:06:00-sun:07:00";
    }
    const start = startDay * MINUTES_PER_DAY + startTime;
    const minutes = (endDay * MINUTES_PER_DAY + endTime - start + MINUTES_PER_WEEK) % MINUTES_PER_WEEK;
    if (minutes < 60 || minutes > MINUTES_PER_DAY) {
        return `lasts ${minutes} minutes; a maintenance window must last from 60 minutes to 24 hours`;
    }
    return { start, end: start + minutes };
}

function overlaps(a: Interval, b: Interval): boolean {
    // Compare on a circular week: shift b by a week either way.
    return [-MINUTES_PER_WEEK, 0, MINUTES_PER_WEEK].some((shift) => a.start < b.end + shift && b.start + shift < a.end);
}

/** True when the daily snapshot window overlaps the weekly maintenance window on any day. */
export function windowsOverlap(snapshot: { start: number; minutes: number }, maintenance: Interval): boolean {
    for (let day = 0; day < 7; day++) {
        const start = day * MINUTES_PER_DAY + snapshot.start;
        if (overlaps({ start, end: start + snapshot.minutes }, maintenance)) {
            return true;
        }
    }
    return false;
}
