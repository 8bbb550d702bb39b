import type { AthenaClient } from '@aws-sdk/client-athena';
import { featureWindowsSelect, type LakeRef, trainingSelect, trainingUnload } from '../../core/lake/queries';
import type { WindowFeatures } from '../../core/ml/predictive';
import { FEATURE_WINDOW_MS } from '../../core/ml/predictive';
import type { TelemetryRecord } from '../../core/ports';
import { type AthenaRunOptions, runAthena, selectAthena } from './athena';

/**
 * Retraining's reads of the lake through Athena: the training rows unloaded as CSV, the
 * evaluation readings, the predictor's feature windows — the statements of `core/lake/queries.ts`.
 */
export class LakeReader {
  constructor(
    private readonly client: AthenaClient,
    private readonly ref: LakeRef,
    private readonly run: AthenaRunOptions,
  ) {}

  /**
   * Writes the training rows of [since, until) as headerless CSV under `s3Uri` and returns how
   * many. Athena puts the UNLOAD's manifest and metadata in the workgroup's result location, so
   * `s3Uri` holds data files only (https://docs.aws.amazon.com/athena/latest/ug/unload.html).
   */
  async unloadTraining(
    measures: readonly string[],
    sinceMs: number,
    untilMs: number,
    s3Uri: string,
  ): Promise<number> {
    const select = trainingSelect(this.ref, { measures, sinceMs, untilMs });
    const [row] = await selectAthena(this.client, `SELECT count(*) FROM (${select}) AS t`, this.run);
    const rows = Number(row?.[0]);
    if (!Number.isFinite(rows)) throw new Error('the training row count came back empty');
    if (rows > 0)
      await runAthena(this.client, trainingUnload(this.ref, { measures, sinceMs, untilMs, s3Uri }), this.run);
    return rows;
  }

  /** Readings holding every one of `measures` in [since, until), at most `limit`. */
  async readings(
    measures: readonly string[],
    sinceMs: number,
    untilMs: number,
    limit: number,
  ): Promise<TelemetryRecord[]> {
    const sql = `${trainingSelect(this.ref, { measures, sinceMs, untilMs, withKeys: true })} LIMIT ${Math.floor(limit)}`;
    const rows = await selectAthena(this.client, sql, this.run);
    return rows.map((r) => {
      const at = measures.length;
      return {
        deviceId: r[at] ?? '',
        site: r[at + 1] ?? '',
        time: Date.parse(`${(r[at + 2] ?? '').replace(' ', 'T')}Z`),
        seq: Number(r[at + 3]),
        measures: Object.fromEntries(measures.map((m, i) => [m, Number(r[i])])),
      };
    });
  }

  async windows(measures: readonly string[], sinceMs: number, untilMs: number): Promise<WindowFeatures[]> {
    const sql = featureWindowsSelect(this.ref, {
      measures,
      sinceMs,
      untilMs,
      windowMinutes: FEATURE_WINDOW_MS / 60_000,
    });
    const out: WindowFeatures[] = [];
    for (const r of await selectAthena(this.client, sql, this.run)) {
      const features = r.slice(3).map((v) => (v === null ? Number.NaN : Number(v)));
      if (features.length !== measures.length * 4 || features.some((f) => !Number.isFinite(f))) continue;
      out.push({ deviceId: r[0]!, site: r[1]!, start: Date.parse(`${r[2]!.replace(' ', 'T')}Z`), features });
    }
    return out;
  }
}
