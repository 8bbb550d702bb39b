/**
 * The InfluxDB adapters of the storage ports (Amazon Timestream for InfluxDB, or any InfluxDB
 * with the v1 `/write` + `/query` API): see docs/storage.md.
 */
export * from './client';
export * from './event-store';
export * from './from-env';
export * from './influxql';
export * from './line-protocol';
export * from './point-writer';
export * from './query-store';
export * from './schema';
export * from './telemetry-store';
