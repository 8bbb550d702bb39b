import {
  type ColumnInfo,
  type Datum,
  QueryCommand,
  type QueryCommandInput,
  type QueryCommandOutput,
  ValidationException as QueryValidationException,
  type ScalarType,
  TimestreamQueryClient,
} from '@aws-sdk/client-timestream-query';
import {
  type _Record,
  type MeasureValueType,
  type RejectedRecord,
  RejectedRecordsException,
  ResourceNotFoundException,
  ThrottlingException,
  TimestreamWriteClient,
  ValidationException,
  WriteRecordsCommand,
  type WriteRecordsCommandInput,
  type WriteRecordsCommandOutput,
} from '@aws-sdk/client-timestream-write';
import { type DuckDBConnection, DuckDBInstance, DuckDBTimestampValue } from '@duckdb/node-api';
import { mockClient } from 'aws-sdk-client-mock';

/**
 * An in-memory Amazon Timestream for LiveAnalytics: WriteRecords modelled on the documented
 * service behaviour, Query evaluated by DuckDB on a table shaped like the Timestream table, so
 * the SQL the adapters generate is run, not matched against canned answers.
 *
 * Documented behaviour modelled (each rule cites its page):
 * - At most 100 records a WriteRecords call, a record at most 2 KB, dimension names at most 60
 *   bytes, measure names at most 256 bytes, data at most 15 minutes ahead of the service's clock
 *   (https://docs.aws.amazon.com/timestream/latest/developerguide/ts-limits.html). Too many
 *   records is a ValidationException for the whole call (the API's `Records` constraint); the
 *   other limits reject the record.
 * - A record identical to a stored one (same dimensions, time and measure name, same values) is
 *   accepted and stored once; different values without a higher `Version` are rejected, the rest
 *   of the call is written, and the call fails with RejectedRecordsException listing RecordIndex,
 *   Reason and (when the stored version is higher) ExistingVersion
 *   (https://docs.aws.amazon.com/timestream/latest/developerguide/API_RejectedRecord.html,
 *   https://docs.aws.amazon.com/timestream/latest/developerguide/API_WriteRecords.html). The two
 *   reason texts are the ones the service returns, as quoted in
 *   https://github.com/dpattmann/prometheus-timestream-adapter/issues/87 and
 *   https://github.com/aws/aws-sdk-pandas/issues/2018 (no ExistingVersion when the versions are equal).
 * - Records older than the memory store's retention are rejected, unless magnetic-store writes
 *   are on and they are within the magnetic store's retention
 *   (https://docs.aws.amazon.com/timestream/latest/developerguide/data-ingest.html).
 * - The schema grows with the data: a column exists once a record carrying it was written, its
 *   type fixed by the first write (https://repost.aws/questions/QUMvh1CJLKQJayq8wHbkFF2g); a query
 *   naming a column never written fails with ValidationException. Dimension names `measure_name`,
 *   `measure_value`, `time` and `ts_…` are reserved
 *   (https://docs.aws.amazon.com/iot/latest/apireference/API_TimestreamDimension.html).
 * - `DESCRIBE "db"."table"` answers the columns and their types
 *   (https://docs.aws.amazon.com/timestream/latest/developerguide/supported-sql-constructs.DESCRIBE.html).
 *
 * Not modelled faithfully (see test/contracts/README.md): the wording of the retention rejection
 * (undocumented; ours names the timestamp and the retention), DESCRIBE's column headings (ours:
 * Column, Type, Timestream attribute type), magnetic-store writes becoming queryable at once
 * (AWS: within 6 hours), eventual consistency (reads here see every completed write),
 * identifiers resolved case-insensitively by DuckDB (Timestream: case-sensitive), nanosecond
 * times (DuckDB keeps microseconds; the adapters write milliseconds), interval literals in `ns`.
 */

const MAX_RECORDS_PER_CALL = 100;
const MAX_RECORD_BYTES = 2048;
const MAX_DIMENSION_NAME_BYTES = 60;
const MAX_MEASURE_NAME_BYTES = 256;
const FUTURE_INGESTION_MS = 15 * 60_000;

export interface TimestreamTableSettings {
  readonly memoryRetentionHours: number;
  readonly magneticRetentionDays: number;
  readonly magneticStoreWrites: boolean;
}

/** The stack's defaults (lib/config.ts, lib/constructs/storage/timestream-store.ts). */
export const STACK_TABLE_SETTINGS: TimestreamTableSettings = {
  memoryRetentionHours: 24,
  magneticRetentionDays: 365,
  magneticStoreWrites: true,
};

type ColumnKind = 'DIMENSION' | 'MEASURE_NAME' | 'TIMESTAMP' | 'MULTI';
interface Column {
  readonly name: string;
  readonly type: string;
  readonly kind: ColumnKind;
}

interface StoredRecord {
  version: number;
  values: string;
  row: Record<string, string | number | bigint | boolean | null>;
}

class Table {
  readonly columns = new Map<string, Column>([
    ['measure_name', { name: 'measure_name', type: 'varchar', kind: 'MEASURE_NAME' }],
    ['time', { name: 'time', type: 'timestamp', kind: 'TIMESTAMP' }],
  ]);
  readonly records = new Map<string, StoredRecord>();
  constructor(
    readonly database: string,
    readonly name: string,
    readonly settings: TimestreamTableSettings,
  ) {}
  get sqlName(): string {
    return `"${this.database}"."${this.name}"`;
  }
}

const DUCK_TYPE: Readonly<Record<string, string>> = {
  DOUBLE: 'DOUBLE',
  BIGINT: 'BIGINT',
  VARCHAR: 'VARCHAR',
  BOOLEAN: 'BOOLEAN',
  TIMESTAMP: 'TIMESTAMP',
};

const INTERVAL_UNITS: Readonly<Record<string, string>> = {
  us: 'microseconds',
  ms: 'milliseconds',
  s: 'seconds',
  m: 'minutes',
  h: 'hours',
  d: 'days',
};

export interface TimestreamModelOptions {
  /** The service's clock (retention and future limits are judged against it). */
  readonly clock: () => number;
  readonly database: string;
  readonly tables: Readonly<Record<string, TimestreamTableSettings>>;
  /** Rows per Query answer page: small, so the adapters' paging is exercised. @default 3 */
  readonly pageRows?: number;
}

export class TimestreamModel {
  /** While true, every call fails as a network error would (the service cannot be reached). */
  unreachable = false;
  /** The next this-many WriteRecords calls are throttled. */
  throttleWrites = 0;
  /** Every QueryString received, in order. */
  readonly queries: string[] = [];
  private readonly tables = new Map<string, Table>();
  private readonly pending = new Map<string, { columns: ColumnInfo[]; rows: Datum[][] }>();
  private nextToken = 0;

  private constructor(
    private readonly db: DuckDBConnection,
    private readonly instance: DuckDBInstance,
    private readonly opts: TimestreamModelOptions,
  ) {}

  static async create(opts: TimestreamModelOptions): Promise<TimestreamModel> {
    const instance = await DuckDBInstance.create(':memory:');
    const db = await instance.connect();
    // Timestream's functions the adapters use, as DuckDB macros over the same semantics.
    await db.run(`
      CREATE MACRO from_milliseconds(ms) AS epoch_ms(CAST(ms AS BIGINT));
      CREATE MACRO to_milliseconds(t) AS epoch_ms(t);
      CREATE MACRO bin(t, iv) AS time_bucket(iv, t);
      CREATE MACRO ago(iv) AS epoch_ms(getvariable('aiot_now_ms')) - iv;
      CREATE SCHEMA "${opts.database}";`);
    const model = new TimestreamModel(db, instance, opts);
    for (const [name, settings] of Object.entries(opts.tables)) {
      const table = new Table(opts.database, name, settings);
      model.tables.set(`${opts.database}.${name}`, table);
      await db.run(`CREATE TABLE ${table.sqlName} (time TIMESTAMP, measure_name VARCHAR)`);
    }
    return model;
  }

  /** Routes the clients' WriteRecords and Query calls to this model (real SDK clients, mocked transport). */
  attach(clients: { write?: TimestreamWriteClient; query?: TimestreamQueryClient }): void {
    if (clients.write) {
      mockClient(clients.write)
        .on(WriteRecordsCommand)
        .callsFake((input: WriteRecordsCommandInput) => this.writeRecords(input));
    }
    if (clients.query) {
      mockClient(clients.query)
        .on(QueryCommand)
        .callsFake((input: QueryCommandInput) => this.query(input));
    }
  }

  close(): void {
    this.db.closeSync();
    this.instance.closeSync();
  }

  async writeRecords(input: WriteRecordsCommandInput): Promise<WriteRecordsCommandOutput> {
    this.checkReachable();
    if (this.throttleWrites > 0) {
      this.throttleWrites--;
      throw new ThrottlingException({ message: 'Rate exceeded', Message: 'Rate exceeded', $metadata: {} });
    }
    const table = this.tables.get(`${input.DatabaseName}.${input.TableName}`);
    if (!table) {
      throw new ResourceNotFoundException({
        message: `The table ${input.TableName} does not exist.`,
        $metadata: {},
      });
    }
    const records = input.Records ?? [];
    if (records.length < 1 || records.length > MAX_RECORDS_PER_CALL) {
      const message = `1 validation error detected: Value at 'records' failed to satisfy constraint: Member must have length less than or equal to ${MAX_RECORDS_PER_CALL}`;
      throw new ValidationException({ message, Message: message, $metadata: {} });
    }
    const rejected: RejectedRecord[] = [];
    let memory = 0;
    let magnetic = 0;
    const rows: StoredRecord['row'][] = [];
    for (let i = 0; i < records.length; i++) {
      const outcome = await this.writeOne(table, { ...input.CommonAttributes, ...records[i]! }, rows);
      if (typeof outcome === 'string') continue;
      if ('reason' in outcome) {
        rejected.push({
          RecordIndex: i,
          Reason: outcome.reason,
          ...(outcome.existingVersion !== undefined ? { ExistingVersion: outcome.existingVersion } : {}),
        });
      } else if (outcome.magnetic) magnetic++;
      else memory++;
    }
    await this.insert(table, rows);
    if (rejected.length > 0) {
      throw new RejectedRecordsException({
        message: 'One or more records have been rejected. See RejectedRecords for details.',
        RejectedRecords: rejected,
        $metadata: {},
      });
    }
    return {
      $metadata: {},
      RecordsIngested: { Total: memory + magnetic, MemoryStore: memory, MagneticStore: magnetic },
    };
  }

  async query(input: QueryCommandInput): Promise<QueryCommandOutput> {
    this.checkReachable();
    if (input.NextToken) {
      const rest = this.pending.get(input.NextToken);
      if (!rest) throw new QueryValidationException({ message: 'Invalid pagination token', $metadata: {} });
      this.pending.delete(input.NextToken);
      return this.page(rest.columns, rest.rows);
    }
    const sql = (input.QueryString ?? '').trim();
    this.queries.push(sql);
    const describe = /^DESCRIBE\s+"?([A-Za-z0-9_.-]+)"?\."?([A-Za-z0-9_.-]+)"?$/i.exec(sql);
    if (describe) return this.describe(describe[1]!, describe[2]!);
    let result: Awaited<ReturnType<DuckDBConnection['runAndReadAll']>>;
    try {
      await this.db.run(`SET VARIABLE aiot_now_ms = ${Math.floor(this.opts.clock())}`);
      result = await this.db.runAndReadAll(toDuckDb(sql));
    } catch (e) {
      // Timestream answers every query it cannot run (unknown column, syntax) with ValidationException.
      throw new QueryValidationException({ message: (e as Error).message, $metadata: {} });
    }
    const columns: ColumnInfo[] = result.columnNames().map((Name, i) => ({
      Name,
      Type: { ScalarType: scalarType(result.columnTypes()[i]!.toString()) as ScalarType },
    }));
    const rows = result.getRows().map((r) => r.map(toDatum));
    return this.page(columns, rows);
  }

  /** Rows of a table as stored (for read-back assertions), oldest first. */
  async rows(tableName: string): Promise<Record<string, unknown>[]> {
    const table = this.table(tableName);
    const r = await this.db.runAndReadAll(`SELECT * FROM ${table.sqlName} ORDER BY time`);
    const names = r.columnNames();
    return r
      .getRows()
      .map((row) =>
        Object.fromEntries(
          row.map((v, i) => [
            names[i],
            v instanceof DuckDBTimestampValue
              ? Number(v.micros / 1000n)
              : typeof v === 'bigint'
                ? Number(v)
                : v,
          ]),
        ),
      );
  }

  private table(name: string): Table {
    const t = this.tables.get(`${this.opts.database}.${name}`);
    if (!t) throw new Error(`no table ${name}`);
    return t;
  }

  private checkReachable(): void {
    if (this.unreachable) {
      throw Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:443'), {
        name: 'Error',
        code: 'ECONNREFUSED',
        $metadata: {},
      });
    }
  }

  private page(columns: ColumnInfo[], rows: Datum[][]): QueryCommandOutput {
    const size = this.opts.pageRows ?? 3;
    const out: QueryCommandOutput = {
      $metadata: {},
      QueryId: `q-${this.queries.length}`,
      ColumnInfo: columns,
      Rows: rows.slice(0, size).map((Data) => ({ Data })),
    };
    if (rows.length > size) {
      const token = `token-${++this.nextToken}`;
      this.pending.set(token, { columns, rows: rows.slice(size) });
      out.NextToken = token;
    }
    return out;
  }

  private describe(database: string, name: string): QueryCommandOutput {
    const table = this.tables.get(`${database}.${name}`);
    if (!table)
      throw new QueryValidationException({
        message: `Table ${database}.${name} does not exist`,
        $metadata: {},
      });
    const columns: ColumnInfo[] = ['Column', 'Type', 'Timestream attribute type'].map((Name) => ({
      Name,
      Type: { ScalarType: 'VARCHAR' },
    }));
    const rows = [...table.columns.values()].map((c) =>
      [c.name, c.type, c.kind].map((ScalarValue) => ({ ScalarValue })),
    );
    return this.page(columns, rows);
  }

  private async writeOne(
    table: Table,
    r: _Record,
    pending: StoredRecord['row'][],
  ): Promise<'unchanged' | { magnetic: boolean } | { reason: string; existingVersion?: number }> {
    const dimensions = r.Dimensions ?? [];
    for (const d of dimensions) {
      const name = d.Name ?? '';
      if (
        ['measure_name', 'measure_value', 'time'].includes(name) ||
        name.startsWith('ts_') ||
        name.includes(':')
      )
        return { reason: `Dimension name ${name} is reserved.` };
      if (Buffer.byteLength(name) > MAX_DIMENSION_NAME_BYTES)
        return { reason: `Dimension name ${name} exceeds ${MAX_DIMENSION_NAME_BYTES} bytes.` };
    }
    const measureName = r.MeasureName ?? '';
    if (!measureName || Buffer.byteLength(measureName) > MAX_MEASURE_NAME_BYTES)
      return { reason: `Measure name must be 1 to ${MAX_MEASURE_NAME_BYTES} bytes.` };
    const values: { name: string; type: MeasureValueType | string; value: string }[] =
      r.MeasureValueType === 'MULTI'
        ? (r.MeasureValues ?? []).map((m) => ({
            name: m.Name ?? '',
            type: m.Type ?? 'DOUBLE',
            value: m.Value ?? '',
          }))
        : [
            {
              name: `measure_value::${(r.MeasureValueType ?? 'DOUBLE').toLowerCase()}`,
              type: r.MeasureValueType ?? 'DOUBLE',
              value: r.MeasureValue ?? '',
            },
          ];
    if (recordBytes(dimensions, measureName, values) > MAX_RECORD_BYTES)
      return { reason: `The record exceeds the maximum record size of ${MAX_RECORD_BYTES} bytes.` };
    for (const v of values) {
      if (dimensions.some((d) => d.Name === v.name))
        return { reason: `Measure ${v.name} has the name of a dimension.` };
      const existing = table.columns.get(v.name);
      const type = v.type.toLowerCase();
      if (existing && (existing.kind !== 'MULTI' || existing.type !== type))
        return { reason: `Measure ${v.name} has type ${v.type}; the table stores it as ${existing.type}.` };
      if (parseValue(v.type, v.value) === undefined)
        return { reason: `Measure ${v.name} has an invalid ${v.type} value: ${v.value}.` };
    }
    const time = toMs(r.Time ?? '', r.TimeUnit ?? 'MILLISECONDS');
    const now = this.opts.clock();
    const memoryFloor = now - table.settings.memoryRetentionHours * 3_600_000;
    const magneticFloor = now - table.settings.magneticRetentionDays * 86_400_000;
    const floor = table.settings.magneticStoreWrites ? magneticFloor : memoryFloor;
    if (time === undefined) return { reason: `Invalid timestamp ${r.Time}.` };
    if (time < floor || time > now + FUTURE_INGESTION_MS) {
      return {
        reason: `The record timestamp ${new Date(time).toISOString()} is outside the table's retention window [${new Date(floor).toISOString()}, ${new Date(now + FUTURE_INGESTION_MS).toISOString()}].`,
      };
    }
    const identity = JSON.stringify([
      [...dimensions].map((d) => [d.Name, d.Value]).sort(),
      time,
      measureName,
    ]);
    const canonical = JSON.stringify([...values].sort((a, b) => a.name.localeCompare(b.name)));
    const version = r.Version ?? 1;
    const stored = table.records.get(identity);
    if (stored) {
      if (stored.values === canonical) {
        if (version > stored.version) stored.version = version;
        return 'unchanged';
      }
      if (version < stored.version) {
        return {
          reason: `The record version ${version} is lower than the existing version ${stored.version}. A higher version is required to update the measure value.`,
          existingVersion: stored.version,
        };
      }
      if (version === stored.version) {
        return {
          reason:
            'A record already exists with the same time, dimensions, measure name, and record version. A higher record version must be specified in order to update the measure value. Specifying record version is supported by the latest SDKs.',
        };
      }
    }
    for (const d of dimensions)
      await this.addColumn(table, { name: d.Name!, type: 'varchar', kind: 'DIMENSION' });
    for (const v of values)
      await this.addColumn(table, { name: v.name, type: v.type.toLowerCase(), kind: 'MULTI' });
    const row: StoredRecord['row'] = { time, measure_name: measureName };
    for (const d of dimensions) row[d.Name!] = d.Value ?? null;
    for (const v of values) row[v.name] = parseValue(v.type, v.value)!;
    if (stored) {
      // An upsert (a higher Version): what this call queued goes in first, then the old row goes.
      await this.insert(table, pending.splice(0));
      await this.db.run(`DELETE FROM ${table.sqlName} WHERE ${matchRow(stored.row)}`);
    }
    pending.push(row);
    table.records.set(identity, { version, values: canonical, row });
    return { magnetic: time < memoryFloor };
  }

  /** One INSERT per set of columns: a call's records land together, as one write. */
  private async insert(table: Table, rows: readonly StoredRecord['row'][]): Promise<void> {
    const groups = new Map<string, StoredRecord['row'][]>();
    for (const row of rows) {
      const key = Object.keys(row).join('\u0000');
      groups.set(key, [...(groups.get(key) ?? []), row]);
    }
    for (const group of groups.values()) {
      const names = Object.keys(group[0]!);
      const values: unknown[] = [];
      const tuples = group.map((row) => {
        const slots = names.map((n) => {
          values.push(n === 'time' ? BigInt(row[n] as number) : row[n]);
          return n === 'time' ? `epoch_ms(CAST($${values.length} AS BIGINT))` : `$${values.length}`;
        });
        return `(${slots.join(', ')})`;
      });
      await this.db.run(
        `INSERT INTO ${table.sqlName} (${names.map(quote).join(', ')}) VALUES ${tuples.join(', ')}`,
        values as never,
      );
    }
  }

  private async addColumn(table: Table, column: Column): Promise<void> {
    if (table.columns.has(column.name)) return;
    table.columns.set(column.name, column);
    await this.db.run(
      `ALTER TABLE ${table.sqlName} ADD COLUMN ${quote(column.name)} ${DUCK_TYPE[column.type.toUpperCase()]}`,
    );
  }
}

function quote(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function matchRow(row: StoredRecord['row']): string {
  return Object.entries(row)
    .filter(([n]) => n === 'time' || n === 'measure_name' || typeof row[n] === 'string')
    .map(([n, v]) =>
      n === 'time'
        ? `time = epoch_ms(CAST(${Number(v)} AS BIGINT))`
        : `${quote(n)} = '${String(v).replace(/'/g, "''")}'`,
    )
    .join(' AND ');
}

/** Write size as metered (https://docs.aws.amazon.com/timestream/latest/developerguide/metering-and-pricing.writes.html). */
function recordBytes(
  dimensions: readonly { Name?: string; Value?: string }[],
  measureName: string,
  values: readonly { name: string; type: string; value: string }[],
): number {
  let size = 8 + Buffer.byteLength(measureName);
  for (const d of dimensions) size += Buffer.byteLength(d.Name ?? '') + Buffer.byteLength(d.Value ?? '');
  for (const v of values) {
    size += Buffer.byteLength(v.name);
    size += v.type === 'BOOLEAN' ? 1 : v.type === 'VARCHAR' ? Buffer.byteLength(v.value) : 8;
  }
  return size;
}

function parseValue(type: string, text: string): number | bigint | string | boolean | undefined {
  switch (type) {
    case 'DOUBLE': {
      const n = Number(text);
      return text.trim() !== '' && Number.isFinite(n) ? n : undefined;
    }
    case 'BIGINT':
      return /^-?\d+$/.test(text) ? BigInt(text) : undefined;
    case 'BOOLEAN':
      return text === 'true' ? true : text === 'false' ? false : undefined;
    case 'VARCHAR':
      return text;
    default:
      return undefined;
  }
}

function toMs(time: string, unit: string): number | undefined {
  if (!/^\d+$/.test(time)) return undefined;
  const n = Number(time);
  const ms = { MILLISECONDS: n, SECONDS: n * 1000, MICROSECONDS: n / 1000, NANOSECONDS: n / 1e6 }[unit];
  return ms === undefined ? undefined : Math.floor(ms);
}

function scalarType(duck: string): string {
  if (/^(BIGINT|INTEGER|SMALLINT|TINYINT|HUGEINT|UBIGINT|UINTEGER)$/.test(duck)) return 'BIGINT';
  if (/^(DOUBLE|FLOAT|DECIMAL.*)$/.test(duck)) return 'DOUBLE';
  if (duck.startsWith('TIMESTAMP')) return 'TIMESTAMP';
  if (duck === 'BOOLEAN') return 'BOOLEAN';
  if (duck === 'INTERVAL') return 'INTERVAL_DAY_TO_SECOND';
  return 'VARCHAR';
}

/** A value as Timestream sends it: text, times as `yyyy-mm-dd hh:mm:ss.fffffffff` (UTC). */
function toDatum(v: unknown): Datum {
  if (v === null || v === undefined) return { NullValue: true };
  if (v instanceof DuckDBTimestampValue) {
    const micros = v.micros;
    const iso = new Date(Number(micros / 1000n)).toISOString();
    const fraction = String(((micros % 1_000_000n) + 1_000_000n) % 1_000_000n).padStart(6, '0');
    return { ScalarValue: `${iso.slice(0, 10)} ${iso.slice(11, 19)}.${fraction}000` };
  }
  return { ScalarValue: String(v) };
}

/**
 * Timestream SQL → DuckDB SQL. The two share their grammar for everything the adapters write;
 * what differs is rewritten token by token (string literals and quoted names untouched):
 * interval literals (`5m`) become DuckDB intervals, `now()` the model's clock. A construct that
 * cannot be emulated faithfully fails the query instead of answering something else.
 */
export function toDuckDb(sql: string): string {
  let out = '';
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      while (j < sql.length) {
        if (sql[j] === c && sql[j + 1] === c) j += 2;
        else if (sql[j] === c) break;
        else j++;
      }
      out += sql.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    const prev = i > 0 ? sql[i - 1]! : ' ';
    if (/[0-9]/.test(c) && !/[A-Za-z0-9_.]/.test(prev)) {
      const m = /^(\d+)(ns|us|ms|s|m|h|d)(?![A-Za-z0-9_])/.exec(sql.slice(i));
      if (m) {
        const unit = INTERVAL_UNITS[m[2]!];
        if (!unit) throw new Error(`interval literal ${m[0]} is not emulated (DuckDB keeps microseconds)`);
        out += `INTERVAL '${m[1]} ${unit}'`;
        i += m[0].length;
        continue;
      }
    }
    if (/[A-Za-z_]/.test(c) && !/[A-Za-z0-9_]/.test(prev)) {
      const m = /^now\s*\(\s*\)/i.exec(sql.slice(i));
      if (m) {
        out += `epoch_ms(getvariable('aiot_now_ms'))`;
        i += m[0].length;
        continue;
      }
    }
    out += c;
    i++;
  }
  return out;
}

/** A model with the stack's two tables (`telemetry`, `events`) and clients wired to it. */
export async function timestreamBackend(clock: () => number, database = 'aiot-test') {
  const model = await TimestreamModel.create({
    clock,
    database,
    tables: { telemetry: STACK_TABLE_SETTINGS, events: STACK_TABLE_SETTINGS },
  });
  const write = new TimestreamWriteClient({ region: 'us-east-1' });
  const query = new TimestreamQueryClient({ region: 'us-east-1' });
  model.attach({ write, query });
  return { model, write, query, database };
}
