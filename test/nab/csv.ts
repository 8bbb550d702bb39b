/**
 * Parsing of NAB data files (`timestamp,value` CSV).
 *
 * The files come from several sources: some use CRLF line endings and some lack a final
 * newline, so the parser accepts both and never invents or drops a data row.
 */

/** One NAB series: the timestamp strings kept verbatim, and their numeric values. */
export interface NabSeries {
  /** Timestamps exactly as written in the file (`YYYY-MM-DD HH:MM:SS`). */
  readonly timestamps: readonly string[];
  /** One value per timestamp, in file order. */
  readonly values: readonly number[];
}

/**
 * Parses the text of a NAB data file.
 *
 * @param text whole file content; the first line is a header naming `timestamp` and `value`
 * @throws Error when the header lacks those columns or a value is not a finite number
 */
export function parseNabCsv(text: string): NabSeries {
  const lines = text.split(/\r?\n/);
  // A trailing newline yields one empty last element; a missing one yields none.
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new Error('NAB file is empty');
  const header = lines[0].split(',').map((h) => h.trim());
  const timestampColumn = header.indexOf('timestamp');
  const valueColumn = header.indexOf('value');
  if (timestampColumn < 0 || valueColumn < 0) {
    throw new Error(`NAB header must name timestamp and value, got "${lines[0]}"`);
  }
  const timestamps: string[] = [];
  const values: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const value = Number(cells[valueColumn]);
    if (cells[valueColumn] === undefined || cells[valueColumn].trim() === '' || !Number.isFinite(value)) {
      throw new Error(`line ${i + 1}: value "${cells[valueColumn]}" is not a finite number`);
    }
    timestamps.push(cells[timestampColumn].trim());
    values.push(value);
  }
  return { timestamps, values };
}

/**
 * Reads the `anomaly_score` column of a NAB results file (any further columns are ignored).
 *
 * @throws Error when there is no `anomaly_score` column or a score is not a number
 */
export function parseNabResultsCsv(text: string): {
  readonly timestamps: string[];
  readonly scores: number[];
} {
  const lines = text.split(/\r?\n/);
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  if (lines.length === 0) throw new Error('NAB results file is empty');
  const header = lines[0].split(',').map((h) => h.trim());
  const timestampColumn = header.indexOf('timestamp');
  const scoreColumn = header.indexOf('anomaly_score');
  if (timestampColumn < 0 || scoreColumn < 0) {
    throw new Error(`NAB results header must name timestamp and anomaly_score, got "${lines[0]}"`);
  }
  const timestamps: string[] = [];
  const scores: number[] = [];
  for (let i = 1; i < lines.length; i++) {
    const cells = lines[i].split(',');
    const score = Number(cells[scoreColumn]);
    if (Number.isNaN(score))
      throw new Error(`line ${i + 1}: anomaly_score "${cells[scoreColumn]}" is not a number`);
    timestamps.push(cells[timestampColumn].trim());
    scores.push(score);
  }
  return { timestamps, scores };
}

/** Parses `YYYY-MM-DD HH:MM:SS[.ffffff]` as UTC epoch milliseconds (NAB timestamps carry no zone). */
export function parseNabTimestamp(timestamp: string): number {
  const m = /^(\d{4})-(\d{2})-(\d{2})[ T](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?$/.exec(timestamp.trim());
  if (!m) throw new Error(`not a NAB timestamp: "${timestamp}"`);
  const millis = m[7] ? Math.round(Number(`0.${m[7]}`) * 1000) : 0;
  return Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +m[6], millis);
}
