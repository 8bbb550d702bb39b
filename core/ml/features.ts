import type { TelemetryRecord } from '../ports';

/**
 * The measures models are trained on, in column order: the vibration, temperature, current and
 * pressure of the rotating machines the fleet simulator and the demo devices report.
 */
export const TRAINING_MEASURES = [
  'vibration_rms',
  'bearing_temp_c',
  'motor_current_a',
  'pressure_kpa',
] as const;

/**
 * One feature row per reading, in {@link TRAINING_MEASURES} order. A measure a reading lacks takes
 * the device's last value; a row before every measure has been seen once is skipped, so a model
 * never learns a made-up zero.
 */
export function featureRows(
  records: readonly TelemetryRecord[],
  measures: readonly string[] = TRAINING_MEASURES,
): { deviceId: string; time: number; values: number[] }[] {
  return featureRowsInOrder(
    [...records].sort((a, b) => a.deviceId.localeCompare(b.deviceId) || a.time - b.time),
    measures,
  );
}

/** {@link featureRows} of records already in order of device, then time (not sorted again). */
export function featureRowsInOrder(
  sorted: readonly TelemetryRecord[],
  measures: readonly string[] = TRAINING_MEASURES,
): { deviceId: string; time: number; values: number[] }[] {
  const last = new Map<string, (number | undefined)[]>();
  const out: { deviceId: string; time: number; values: number[] }[] = [];
  for (const r of sorted) {
    const prev = last.get(r.deviceId) ?? measures.map(() => undefined);
    const values = measures.map((m, i) => {
      const v = r.measures[m];
      return v !== undefined && Number.isFinite(v) ? v : prev[i];
    });
    last.set(r.deviceId, values);
    if (values.every((v): v is number => v !== undefined))
      out.push({ deviceId: r.deviceId, time: r.time, values });
  }
  return out;
}

export const toCsv = (rows: readonly { values: readonly number[] }[]): string =>
  rows.map((r) => r.values.join(',')).join('\n') + (rows.length ? '\n' : '');

/** Summary statistics of one measure over a window (the predictive-maintenance features). */
export function windowFeatures(values: readonly number[]): {
  mean: number;
  std: number;
  min: number;
  max: number;
  slope: number;
} {
  const n = values.length;
  if (n === 0) return { mean: 0, std: 0, min: 0, max: 0, slope: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / n;
  const std = Math.sqrt(values.reduce((a, v) => a + (v - mean) ** 2, 0) / n);
  const tMean = (n - 1) / 2;
  let cov = 0;
  let varT = 0;
  values.forEach((v, i) => {
    cov += (i - tMean) * (v - mean);
    varT += (i - tMean) ** 2;
  });
  return { mean, std, min: Math.min(...values), max: Math.max(...values), slope: varT > 0 ? cov / varT : 0 };
}
