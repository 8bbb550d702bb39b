import { SEVERITIES, type Severity } from '../../../core/severity';
import { DEVICE_ID_PATTERN, MEASURE_NAME_PATTERN } from '../../../core/telemetry';

/**
 * InfluxQL building blocks. The v1 `/query` endpoint takes no bind parameters on InfluxDB 1.x
 * (InfluxDB 3 has them, 1.x does not), so every identifier is double-quoted with its escapes and
 * every value that reaches the query text is first checked against a strict pattern (device ids,
 * measure names), a closed set (severities) or as an integer (times, counts) — nothing a caller
 * sends gets into a query any other way; free text (an event's source) is compared in code, never
 * in InfluxQL. Quoting rules: https://docs.influxdata.com/influxdb3/core/reference/influxql/quoting/
 * (identifiers in `"…"` with `\"`; string literals in `'…'`).
 */
export class InfluxQLValueError extends Error {
  override readonly name = 'InfluxQLValueError';
}

function noLineBreak(text: string, what: string): void {
  if (/[\n\r]/.test(text)) throw new InfluxQLValueError(`${what} must not contain a line break`);
}

export const influxql = {
  /** A measurement, tag key or field key. */
  ident(name: string): string {
    noLineBreak(name, 'an identifier');
    if (name.length === 0) throw new InfluxQLValueError('an identifier must not be empty');
    return `"${name.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
  },
  deviceId(id: string): string {
    if (!DEVICE_ID_PATTERN.test(id)) throw new InfluxQLValueError(`not a device id: ${JSON.stringify(id)}`);
    return `'${id}'`;
  },
  measure(name: string): string {
    if (!MEASURE_NAME_PATTERN.test(name))
      throw new InfluxQLValueError(`not a measure name: ${JSON.stringify(name)}`);
    return `"${name}"`;
  },
  severity(s: Severity): string {
    if (!SEVERITIES.includes(s)) throw new InfluxQLValueError(`not a severity: ${JSON.stringify(s)}`);
    return `'${s}'`;
  },
  /** An epoch-ms instant: an integer with the `ms` unit, which InfluxQL reads as a time. */
  time(ms: number): string {
    if (!Number.isSafeInteger(ms)) throw new InfluxQLValueError(`not an epoch-ms time: ${ms}`);
    return `${ms}ms`;
  },
  /** A positive whole count (LIMIT). */
  count(n: number): string {
    if (!Number.isSafeInteger(n) || n < 1) throw new InfluxQLValueError(`not a positive count: ${n}`);
    return String(n);
  },
} as const;
