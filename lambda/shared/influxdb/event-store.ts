import type { z } from 'zod';
import { type AnomalyEvent, AnomalyEventSchema } from '../../../core/events';
import { type PredictionEvent, PredictionEventSchema } from '../../../core/ml/predictive';
import type { EventStore, PredictionStore } from '../../../core/ports';
import { formatIssues } from '../../../core/telemetry';
import { emptyWhenNotFound, type InfluxClient } from './client';
import { influxql } from './influxql';
import { encodePoint, LineProtocolError, type Point } from './line-protocol';
import { DEFAULT_BATCH_SIZE, PointWriter } from './point-writer';
import { anomalyPoint, MEASUREMENTS, predictionPoint, predictionSource } from './schema';

export interface InfluxEventStoreOptions {
  readonly client: InfluxClient;
  readonly database: string;
  /** Lines per write request. @default 5000 */
  readonly batchSize?: number;
}

/** Some events could not be stored; the others were. */
export class InfluxEventsRefusedError extends Error {
  override readonly name = 'InfluxEventsRefusedError';
  constructor(
    message: string,
    readonly refused: readonly { index: number; reason: string }[],
  ) {
    super(message);
  }
}

interface Keyed {
  readonly deviceId: string;
  readonly ts: number;
  readonly source: string;
  readonly line: string;
}

function checked<S extends z.ZodType>(schema: S, value: unknown, what: string): z.infer<S> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`${what} is invalid: ${formatIssues(parsed.error)}`);
  return parsed.data;
}

function encoded(point: Point, what: string): string {
  try {
    return encodePoint(point);
  } catch (e) {
    if (e instanceof LineProtocolError) throw new TypeError(`${what} is invalid: ${e.message}`);
    throw e;
  }
}

/**
 * The EventStore and PredictionStore ports on InfluxDB. An event is identified by device, time
 * and source, as in the local store: writing it again (a retried delivery) keeps the first copy.
 * InfluxDB alone would not — severity and site are tags, so a second copy differing in either
 * would be a second point — hence the store reads which of the batch's events are already stored
 * and sends only the others. Events are checked against their schema first; an invalid one
 * fails the call before anything is written.
 */
export class InfluxEventStore implements EventStore, PredictionStore {
  private readonly writer: PointWriter;

  constructor(private readonly opts: InfluxEventStoreOptions) {
    this.writer = new PointWriter(opts.client, opts.database, opts.batchSize ?? DEFAULT_BATCH_SIZE);
  }

  async putAnomalies(events: readonly AnomalyEvent[]): Promise<void> {
    const keyed = events.map((e, i) => {
      const what = `anomaly ${i}`;
      const event = checked(AnomalyEventSchema, e, what);
      return {
        deviceId: event.deviceId,
        ts: event.ts,
        source: event.source,
        line: encoded(anomalyPoint(event), what),
      };
    });
    await this.putFirstCopies(MEASUREMENTS.anomaly, 'score', keyed, 'anomaly');
  }

  async putPredictions(events: readonly PredictionEvent[]): Promise<void> {
    const keyed = events.map((p, i) => {
      const what = `prediction ${i}`;
      const prediction = checked(PredictionEventSchema, p, what);
      return {
        deviceId: prediction.deviceId,
        ts: prediction.ts,
        source: predictionSource(prediction),
        line: encoded(predictionPoint(prediction), what),
      };
    });
    await this.putFirstCopies(MEASUREMENTS.prediction, 'probability', keyed, 'prediction');
  }

  private async putFirstCopies(
    measurement: string,
    anyField: string,
    events: readonly Keyed[],
    what: string,
  ): Promise<void> {
    const seen = await this.storedKeys(measurement, anyField, events);
    const sent: number[] = [];
    const lines: string[] = [];
    events.forEach((e, index) => {
      const key = `${e.deviceId}\u0000${e.ts}\u0000${e.source}`;
      if (seen.has(key)) return;
      seen.add(key);
      sent.push(index);
      lines.push(e.line);
    });
    const refused = await this.writer.write(lines);
    if (refused.length > 0) {
      const list = refused.map((r) => ({ index: sent[r.index]!, reason: r.reason }));
      throw new InfluxEventsRefusedError(
        `InfluxDB refused ${list.length} of ${events.length} ${what} events (the others are stored): ` +
          list.map((r) => `${what} ${r.index}: ${r.reason}`).join('; '),
        list,
      );
    }
  }

  /** Keys (device, time, source) of the events already stored, over each device's time span. */
  private async storedKeys(
    measurement: string,
    anyField: string,
    events: readonly Keyed[],
  ): Promise<Set<string>> {
    const keys = new Set<string>();
    const spans = new Map<string, { from: number; to: number }>();
    for (const e of events) {
      const span = spans.get(e.deviceId);
      spans.set(
        e.deviceId,
        span ? { from: Math.min(span.from, e.ts), to: Math.max(span.to, e.ts) } : { from: e.ts, to: e.ts },
      );
    }
    for (const [deviceId, span] of spans) {
      const [result] = await this.opts.client
        .query(
          this.opts.database,
          `SELECT ${influxql.ident(anyField)}, "source" FROM ${influxql.ident(measurement)} ` +
            `WHERE "deviceId" = ${influxql.deviceId(deviceId)} AND time >= ${influxql.time(span.from)} AND time <= ${influxql.time(span.to)}`,
        )
        .catch(emptyWhenNotFound);
      for (const row of result?.rows ?? [])
        keys.add(`${deviceId}\u0000${String(row.time)}\u0000${String(row.source)}`);
    }
    return keys;
  }
}
