/**
 * The workflows run locally from their ASL files (aws-local-stepfunctions): anomaly responses per
 * second with every device acknowledging at once, one retraining run over a fleet's history, and
 * the in-process fallback scorer's cost per reading.
 *
 *   npm run bench:workflows [-- --anomalies 200 --devices 4 --days 3]
 */
import Database from 'better-sqlite3';
import { Command } from 'commander';
import { EVENT_SCHEMA_VERSION } from '../../core/events';
import type { TelemetryRecord } from '../../core/ports';
import { EndpointScorer } from '../../lambda/shared/endpoint-scorer';
import { createLocalWorkflows } from '../../local/workflows';

const opts = new Command()
  .option('--anomalies <n>', 'critical anomalies, one device each', '200')
  .option('--devices <n>', 'devices in the retraining history', '4')
  .option('--days <n>', 'days of minute readings in the retraining window', '3')
  .option('--readings <n>', 'readings through the fallback scorer', '20000')
  .parse()
  .opts();
const NOW = Date.UTC(2026, 10, 24);
const MINUTE = 60_000;

function noise(i: number, k: number): number {
  const x = Math.sin(i * 12.9898 + k * 78.233) * 43758.5453;
  return (x - Math.floor(x)) * 2 - 1;
}

async function anomalyResponses(n: number) {
  const workflows = createLocalWorkflows({
    db: new Database(':memory:'),
    clock: () => NOW,
    ackPolicy: { pollSeconds: 30, maxPolls: 10 },
    ackPollMs: 1,
    publish: (topic, payload) => {
      const { commandId, schema } = JSON.parse(payload) as { commandId: string; schema: string };
      setImmediate(() => {
        void workflows.handleCommandResponse(
          `${topic}/res`,
          JSON.stringify({ schema, commandId, status: 'ok', at: NOW }),
        );
      });
    },
  });
  const t0 = performance.now();
  const runs = await Promise.all(
    Array.from(
      { length: n },
      (_, i) =>
        workflows.startAnomalyResponse({
          schema: EVENT_SCHEMA_VERSION,
          kind: 'anomaly',
          deviceId: `pump-${i}`,
          site: 'plant-a',
          ts: NOW + 1000,
          score: 0.95,
          severity: 'critical',
          measures: { vibration_rms: 4 },
          source: 'bench',
        }).done,
    ),
  );
  const ms = performance.now() - t0;
  const acknowledged = runs.filter((r) => r.outcome === 'acknowledged').length;
  console.log(
    `anomaly-response: ${n} runs in ${ms.toFixed(0)} ms (${((n / ms) * 1000).toFixed(0)} runs/s), ${acknowledged} acknowledged, ` +
      `${(await workflows.workOrders.list({ status: 'acknowledged', limit: 100 })).items.length >= Math.min(n, 100) ? 'orders stored' : 'ORDERS MISSING'}`,
  );
}

async function retraining(devices: number, days: number) {
  const readings = async (since: number, until: number) => {
    const out: TelemetryRecord[] = [];
    for (let d = 0; d < devices; d++) {
      for (let t = Math.ceil(since / MINUTE) * MINUTE; t < until; t += MINUTE) {
        const i = t / MINUTE;
        out.push({
          deviceId: `pump-${d}`,
          site: 'plant-a',
          time: t,
          seq: i,
          measures: {
            vibration_rms: 1 + 0.05 * noise(i, d),
            bearing_temp_c: 55 + 0.4 * noise(i, d + 7),
            motor_current_a: 12 + 0.2 * noise(i, d + 13),
            pressure_kpa: 300 + 2 * noise(i, d + 21),
          },
        });
      }
    }
    return out;
  };
  const workflows = createLocalWorkflows({
    db: new Database(':memory:'),
    publish: () => undefined,
    clock: () => NOW,
    readings,
    trainingWindowDays: days,
  });
  const t0 = performance.now();
  const run = await workflows.startRetraining().done;
  const ms = performance.now() - t0;
  const rows = devices * days * 24 * 60;
  console.log(
    `retraining: ${devices} devices × ${days} days (${rows} readings) in ${(ms / 1000).toFixed(1)} s, outcome ${run.outcome}`,
  );
}

async function fallbackScoring(n: number) {
  const scorer = new EndpointScorer({ client: undefined as never, model: async () => undefined });
  const batch = (k: number): TelemetryRecord[] =>
    Array.from({ length: 100 }, (_, j) => ({
      deviceId: `pump-${j % 10}`,
      site: 'plant-a',
      time: NOW + (k * 100 + j) * 1000,
      seq: k * 100 + j,
      measures: { vibration_rms: 1 + 0.05 * noise(k * 100 + j, 1), bearing_temp_c: 55 },
    }));
  const t0 = performance.now();
  for (let k = 0; k < n / 100; k++) await scorer.score(batch(k));
  const ms = performance.now() - t0;
  console.log(
    `fallback scoring (in-process detector): ${((ms * 1000) / n).toFixed(1)} µs per reading over ${n} readings`,
  );
}

async function main() {
  await anomalyResponses(Number(opts.anomalies));
  await retraining(Number(opts.devices), Number(opts.days));
  await fallbackScoring(Number(opts.readings));
}

void main();
