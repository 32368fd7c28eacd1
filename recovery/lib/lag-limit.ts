/**
 * How much replication lag a promotion accepts by default. Apart from lag.ts, which reads the lag
 * from CloudWatch, so the flags that show this default load no SDK client.
 */

/** Default of --max-lag-seconds: a few seconds of writes is what a planned promotion may cost. */
export const DEFAULT_MAX_LAG_SECONDS = 5;
