import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import type { DuckDBConnection } from '@duckdb/node-api';
import {
  LAKE_TABLES,
  type LakeColumnType,
  type LakeRow,
  type LakeTable,
  partitionPrefix,
} from '../../core/lake/schema';
import type { LakeSink } from '../../lambda/shared/firehose-lake';

const DUCKDB_TYPES: Record<LakeColumnType, string> = {
  string: 'VARCHAR',
  double: 'DOUBLE',
  bigint: 'BIGINT',
  timestamp: 'TIMESTAMP',
};

const quote = (s: string) => `'${s.replace(/'/g, "''")}'`;

/**
 * The data lake on a local disk, laid out as in S3: `<root>/<table>/dt=YYYY-MM-DD/*.parquet`,
 * the same rows (`core/lake/schema.ts`) Firehose converts in AWS, written by DuckDB with the
 * declared column types. One file per table, partition and call, as Firehose writes one object
 * per buffer.
 */
export class ParquetLake {
  private files = 0;

  constructor(
    private readonly conn: DuckDBConnection,
    readonly root: string,
  ) {}

  /** A sink for one table's rows (what a Firehose delivery stream is in AWS). */
  sink(table: LakeTable): LakeSink {
    return { put: (rows) => this.write(table, rows) };
  }

  async write(table: LakeTable, rows: readonly LakeRow[]): Promise<void> {
    const byDay = new Map<string, LakeRow[]>();
    for (const r of rows) byDay.set(r.dt, [...(byDay.get(r.dt) ?? []), r]);
    const columns = table.columns.map((c) => `${c.name}: ${quote(DUCKDB_TYPES[c.type])}`).join(', ');
    for (const [dt, part] of byDay) {
      const dir = path.join(this.root, partitionPrefix(table.name, dt));
      mkdirSync(dir, { recursive: true });
      const n = this.files++;
      const staged = path.join(this.root, `.staging-${n}.json`);
      writeFileSync(staged, part.map((r) => JSON.stringify(r)).join('\n'));
      try {
        await this.conn.run(
          `COPY (SELECT ${table.columns.map((c) => c.name).join(', ')} FROM read_json(${quote(staged)}, ` +
            `format = 'newline_delimited', columns = {${columns}})) ` +
            `TO ${quote(path.join(dir, `part-${String(n).padStart(5, '0')}.parquet`))} (FORMAT parquet)`,
        );
      } finally {
        rmSync(staged, { force: true });
      }
    }
  }

  /**
   * Makes the lake readable as `"<database>"."<table>"`, as the Glue catalog makes it for Athena:
   * a view over the table's Parquet files with `dt` from the path; over no file yet, an empty
   * view with the declared columns (an empty lake answers empty, not an error).
   */
  async attach(database: string): Promise<void> {
    await this.conn.run(`CREATE SCHEMA IF NOT EXISTS "${database}"`);
    for (const table of LAKE_TABLES) {
      const dir = path.join(this.root, table.name);
      const hasFiles = (() => {
        try {
          return readdirSync(dir, { recursive: true }).some((f) => String(f).endsWith('.parquet'));
        } catch {
          return false;
        }
      })();
      const body = hasFiles
        ? `SELECT * FROM read_parquet(${quote(path.join(dir, '*', '*.parquet'))}, hive_partitioning = true, hive_types = {'dt': VARCHAR})`
        : `SELECT ${table.columns.map((c) => `CAST(NULL AS ${DUCKDB_TYPES[c.type]}) AS ${c.name}`).join(', ')}, CAST(NULL AS VARCHAR) AS dt WHERE false`;
      await this.conn.run(`CREATE OR REPLACE VIEW "${database}"."${table.name}" AS ${body}`);
    }
  }
}
