import type { RejectionKind } from '../../../core/ports';
import type { InfluxClient } from './client';

/**
 * InfluxData's advice for one write request: 5,000 lines
 * (https://docs.influxdata.com/influxdb/v2/write-data/best-practices/optimize-writes/#batch-writes;
 * InfluxDB 3 takes up to 10,000). A device message holds at most 500 readings.
 */
export const DEFAULT_BATCH_SIZE = 5000;

export interface RefusedLine {
  /** Index into the lines given to {@link PointWriter.write}. */
  readonly index: number;
  readonly kind: RejectionKind;
  readonly reason: string;
}

/** `partial write: … dropped=N`: how many parsed points InfluxDB 1.x refused. */
function droppedCount(message: string): number | undefined {
  const m = /\bdropped=(\d+)/.exec(message);
  return m ? Number(m[1]) : undefined;
}

function refusalKind(message: string): RejectionKind {
  return /retention/i.test(message) ? 'out-of-retention' : 'invalid';
}

/**
 * Writes lines in batches and finds out exactly which lines the server refused.
 *
 * InfluxDB reports refused lines in forms that differ by version and cause: 1.x answers 400
 * `partial write: <first reason> dropped=N` having written the rest (a parse error names the
 * line, a point beyond the retention policy names none); 2.x answers 400 for a malformed batch
 * having written nothing, and 422 when some points were refused; 3.x answers 400 listing up to
 * 100 refused lines (https://docs.influxdata.com/influxdb3/core/write-data/troubleshoot/,
 * https://docs.influxdata.com/influxdb/v2/write-data/troubleshoot/). One method works for all:
 * a refused batch is split in halves and each half written again, down to single lines, whose
 * refusal is then certain and carries the server's own reason for that line. Writing a line
 * again is harmless (a point with the same measurement, tags, time and fields is the same
 * point), so lines the server had already taken are simply rewritten.
 *
 * Cost: a batch of n lines with k refused takes at most about 2·k·log2(n) extra requests and
 * never more than 2n − 1 in all; a batch refused whole (`dropped=` equal to its size) takes one.
 */
export class PointWriter {
  constructor(
    private readonly client: InfluxClient,
    private readonly database: string,
    private readonly batchSize: number = DEFAULT_BATCH_SIZE,
  ) {
    if (!Number.isSafeInteger(batchSize) || batchSize < 1) throw new RangeError('batchSize must be ≥ 1');
  }

  /** Writes every line it can; returns the refused ones, by index. Throws when InfluxDB is unreachable. */
  async write(lines: readonly string[]): Promise<RefusedLine[]> {
    const refused: RefusedLine[] = [];
    for (let start = 0; start < lines.length; start += this.batchSize) {
      const indices = Array.from(
        { length: Math.min(this.batchSize, lines.length - start) },
        (_, i) => start + i,
      );
      refused.push(...(await this.writeBatch(lines, indices)));
    }
    return refused;
  }

  private async writeBatch(lines: readonly string[], indices: readonly number[]): Promise<RefusedLine[]> {
    const res = await this.client.write(this.database, indices.map((i) => lines[i]).join('\n'));
    if (res.ok) return [];
    const kind = refusalKind(res.message);
    if (indices.length === 1 || droppedCount(res.message) === indices.length) {
      return indices.map((index) => ({ index, kind, reason: res.message }));
    }
    const mid = indices.length >> 1;
    return [
      ...(await this.writeBatch(lines, indices.slice(0, mid))),
      ...(await this.writeBatch(lines, indices.slice(mid))),
    ];
  }
}
