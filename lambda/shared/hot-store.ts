import { TimestreamQueryClient } from '@aws-sdk/client-timestream-query';
import { TimestreamWriteClient } from '@aws-sdk/client-timestream-write';
import type {
  EventStore,
  HistoryReader,
  PredictionStore,
  TelemetryStore,
  TimeSeriesQueries,
} from '../../core/ports';
import { influxStoresFromEnv } from './influxdb/from-env';
import { TimestreamEventStore } from './timestream-events';
import { TimestreamHistoryReader } from './timestream-history';
import { TimestreamPredictionStore } from './timestream-predictions';
import { TimestreamQueryStore } from './timestream-query';
import { TimestreamTelemetryStore } from './timestream-store';

type Influx = { readonly STORAGE_BACKEND: 'timestream-influxdb' };
type Live<T> = { readonly STORAGE_BACKEND: 'timestream-liveanalytics' } & T;
type Tables = { TELEMETRY_DATABASE: string; TELEMETRY_TABLE: string };
type Events = { EVENTS_DATABASE: string; EVENTS_TABLE: string };

/**
 * The hot store's adapters for a Lambda function, by the backend its environment names
 * (`STORAGE_BACKEND`, set by the stack): InfluxDB (`lambda/shared/influxdb/`) or LiveAnalytics.
 * Each is built on first use only, so a function pays for the clients it calls.
 */
let influx: ReturnType<typeof influxStoresFromEnv> | undefined;
const influxStores = () => {
  influx ??= influxStoresFromEnv();
  return influx;
};

export function telemetryStore(env: Influx | Live<Tables>): TelemetryStore {
  if (env.STORAGE_BACKEND === 'timestream-influxdb') return influxStores().telemetry;
  return new TimestreamTelemetryStore({
    client: new TimestreamWriteClient({}),
    databaseName: env.TELEMETRY_DATABASE,
    tableName: env.TELEMETRY_TABLE,
  });
}

export function eventStore(env: Influx | Live<Events>): EventStore {
  if (env.STORAGE_BACKEND === 'timestream-influxdb') return influxStores().events;
  return new TimestreamEventStore(new TimestreamWriteClient({}), env.EVENTS_DATABASE, env.EVENTS_TABLE);
}

export function predictionStore(env: Influx | Live<Events>): PredictionStore {
  if (env.STORAGE_BACKEND === 'timestream-influxdb') return influxStores().events;
  return new TimestreamPredictionStore(new TimestreamWriteClient({}), env.EVENTS_DATABASE, env.EVENTS_TABLE);
}

export function timeSeriesQueries(env: Influx | Live<{ TELEMETRY_DATABASE: string }>): TimeSeriesQueries {
  if (env.STORAGE_BACKEND === 'timestream-influxdb') return influxStores().query;
  return new TimestreamQueryStore({
    client: new TimestreamQueryClient({}),
    databaseName: env.TELEMETRY_DATABASE,
  });
}

export function historyReader(env: Influx | Live<Tables>): HistoryReader {
  if (env.STORAGE_BACKEND === 'timestream-influxdb') return influxStores().query;
  return new TimestreamHistoryReader(
    new TimestreamQueryClient({}),
    env.TELEMETRY_DATABASE,
    env.TELEMETRY_TABLE,
  );
}
