/**
 * InfluxDB line protocol, as every InfluxDB version reads it (1.x `/write`, 2.x and 3.x through
 * their v1-compatible `/write`):
 *
 *   measurement,tagKey=tagValue,… fieldKey=fieldValue,… timestamp
 *
 * Escaping follows the line protocol reference
 * (https://docs.influxdata.com/influxdb/v2/reference/syntax/line-protocol/#special-characters):
 * commas and spaces in measurement names; commas, equals signs and spaces in tag keys, tag
 * values and field keys; double quotes and backslashes inside string field values. A newline
 * cannot be carried anywhere ("Line protocol does not support the newline character \n in tag or
 * field values"). Outside string fields a backslash is itself no escapable character: one at the
 * end escapes the separator after it, and parsers differ on a doubled one, so names, keys and tag
 * values with a backslash are refused here rather than sent to be misread. Every name and tag the
 * adapters write (device ids, sites, severities) is backslash-free by its schema; only an event's
 * free-text `source` could hold one.
 */

export class LineProtocolError extends Error {
  override readonly name = 'LineProtocolError';
}

/** An integer field value (`42i`); a plain number is written as a float. */
export interface IntegerField {
  readonly int: number;
}

export type FieldValue = number | string | boolean | IntegerField;

export interface Point {
  readonly measurement: string;
  /** Empty values are left out: line protocol has no empty tag value. */
  readonly tags: Readonly<Record<string, string>>;
  /** At least one. */
  readonly fields: Readonly<Record<string, FieldValue>>;
  /** Epoch milliseconds (written with `precision=ms`). */
  readonly timeMs: number;
}

function checkText(text: string, what: string): void {
  if (text.length === 0) throw new LineProtocolError(`${what} must not be empty`);
  if (/[\n\r]/.test(text)) throw new LineProtocolError(`${what} must not contain a line break`);
  if (text.includes('\\')) throw new LineProtocolError(`${what} must not contain a backslash`);
}

export function escapeMeasurement(name: string): string {
  checkText(name, 'a measurement name');
  return name.replace(/[, ]/g, (c) => `\\${c}`);
}

/** Tag keys, tag values and field keys share one rule. */
export function escapeKey(text: string, what = 'a tag or field key'): string {
  checkText(text, what);
  return text.replace(/[,= ]/g, (c) => `\\${c}`);
}

export function quoteStringField(value: string): string {
  if (/[\n\r]/.test(value)) throw new LineProtocolError('a string field must not contain a line break');
  return `"${value.replace(/["\\]/g, (c) => `\\${c}`)}"`;
}

function fieldValue(key: string, v: FieldValue): string {
  if (typeof v === 'string') return quoteStringField(v);
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) throw new LineProtocolError(`field "${key}" must be a finite number`);
    // String() gives the shortest text that reads back as the same double, which InfluxDB parses
    // as a float (an unsuffixed number is a float in line protocol).
    return String(v);
  }
  if (!Number.isSafeInteger(v.int)) throw new LineProtocolError(`field "${key}" must be a safe integer`);
  return `${v.int}i`;
}

/** One point as one line (no trailing newline). */
export function encodePoint(p: Point): string {
  if (!Number.isSafeInteger(p.timeMs)) throw new LineProtocolError('the time must be integer epoch ms');
  // Tags sorted by key, as InfluxData advises, so the server need not sort them.
  const tags = Object.keys(p.tags)
    .filter((k) => p.tags[k] !== '')
    .sort()
    .map((k) => `,${escapeKey(k, 'a tag key')}=${escapeKey(p.tags[k]!, `tag "${k}"`)}`)
    .join('');
  const fieldKeys = Object.keys(p.fields);
  if (fieldKeys.length === 0) throw new LineProtocolError('a point needs at least one field');
  const fields = fieldKeys
    .map((k) => `${escapeKey(k, 'a field key')}=${fieldValue(k, p.fields[k]!)}`)
    .join(',');
  return `${escapeMeasurement(p.measurement)}${tags} ${fields} ${p.timeMs}`;
}
