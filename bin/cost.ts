/**
 * `aiot cost`: what a fleet costs a month on the stack's own configuration, against the naive
 * design. The model is core/cost; this reads the inputs and prints.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import {
  type Backend,
  DEFAULT_ASSUMPTIONS,
  DEFAULT_DEPLOYMENT,
  DEFAULT_PROFILE,
  type Deployment,
  estimate,
  type FleetProfile,
  HOURS_PER_MONTH,
  sensitivity,
} from '../core/cost/model';
import { PRICES, REGIONS, type Region, withOverrides } from '../core/cost/prices';
import { formatPrices, formatReport } from '../core/cost/report';
import {
  DEFAULT_STACK_FACTS,
  runsPerMonth,
  stackFactsFromTemplate,
  workflowFactsFromAsl,
} from '../core/cost/stack';
import { CONFIG_KEYS, loadConfig } from '../lib/config';

const BACKENDS: readonly Backend[] = ['timestream-liveanalytics', 'timestream-influxdb'];

const number =
  (name: string, min: number, max: number, integer = false) =>
  (v: string): number => {
    const n = Number(v);
    if (v.trim() === '' || !Number.isFinite(n) || n < min || n > max || (integer && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `${name} must be ${integer ? 'an integer' : 'a number'} in ${min}–${max}`,
      );
    }
    return n;
  };

const collectContext = (v: string, previous: Record<string, string>): Record<string, string> => {
  const eq = v.indexOf('=');
  if (eq <= 0) throw new InvalidArgumentError(`-c takes key=value, got '${v}'`);
  return { ...previous, [v.slice(0, eq)]: v.slice(eq + 1) };
};

function readJson(file: string, what: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new Error(`cannot read ${what} ${file}: ${(e as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new Error(`${what} ${file} is not JSON: ${(e as Error).message}`);
  }
}

/** The deployment from CDK context, validated by the stack's own loader (lib/config.ts). */
export function deploymentFromContext(
  context: Readonly<Record<string, unknown>>,
  options: { backend?: Backend; influxInstanceClass?: string; influxStorageGb?: number; lake?: boolean } = {},
): Deployment {
  const unknown = Object.keys(context).filter((k) => !(CONFIG_KEYS as string[]).includes(k));
  if (unknown.length > 0) {
    throw new Error(`unknown configuration key ${unknown.join(', ')} (known: ${CONFIG_KEYS.join(', ')})`);
  }
  const config = loadConfig((key) => context[key]);
  const workflow = (name: string) =>
    workflowFactsFromAsl(readJson(join(__dirname, '..', 'lib', 'workflows', `${name}.asl.json`), 'workflow'));
  return {
    ...DEFAULT_DEPLOYMENT,
    backend: options.backend ?? config.storageBackend,
    influxInstanceClass: options.influxInstanceClass ?? config.influxInstanceType,
    influxStorageGb: options.influxStorageGb ?? config.influxStorageGb,
    memoryRetentionHours: config.memoryRetentionHours,
    magneticRetentionDays: config.magneticRetentionDays,
    kinesisCapacityMode: config.kinesisCapacityMode,
    kinesisShards: config.kinesisShards,
    kinesisRetentionHours: config.kinesisRetentionHours,
    batchSize: config.batchSize,
    batchWindowSeconds: config.batchWindowSeconds,
    inferenceMode: config.inferenceMode,
    inferenceInstanceType: config.inferenceInstanceType,
    trainingInstanceType: config.trainingInstanceType,
    retrainingRunsPerMonth: runsPerMonth(config.retrainingSchedule, HOURS_PER_MONTH),
    quicksight: config.quicksightPrincipalArn !== '',
    lake: options.lake ?? DEFAULT_DEPLOYMENT.lake,
    workflows: { anomalyResponse: workflow('anomaly-response'), retraining: workflow('retraining') },
  };
}

function contextFromFile(file: string): Record<string, unknown> {
  const json = readJson(file, 'context file');
  const object = (v: unknown): v is Record<string, unknown> =>
    typeof v === 'object' && v !== null && !Array.isArray(v);
  if (!object(json)) throw new Error(`context file ${file} must hold a JSON object`);
  // cdk.json keeps the context under "context", next to CDK's own feature flags (which have a colon).
  const context = object(json.context) ? json.context : json;
  return Object.fromEntries(Object.entries(context).filter(([k]) => !k.includes(':')));
}

function priceOverrides(file: string): Record<string, number> {
  const json = readJson(file, 'price file');
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new Error(`price file ${file} must hold a JSON object of price key → US dollars`);
  }
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(json)) {
    if (typeof v !== 'number') throw new Error(`price file ${file}: '${k}' must be a number of US dollars`);
    out[k] = v;
  }
  return out;
}

export function registerCostCommands(program: Command): void {
  const d = DEFAULT_PROFILE;
  program
    .command('cost')
    .description(
      'monthly AWS cost of a fleet on this stack (per service, per device-month, at rest and under load) next to ' +
        'the naive design: one message per reading through the broker, one record per measure, no edge',
    )
    .option(
      '-c, --context <key=value>',
      'deployment configuration, as for cdk (repeatable)',
      collectContext,
      {},
    )
    .option(
      '--context-file <file>',
      'deployment configuration from a JSON file (cdk.json or its "context" object)',
    )
    .option(
      '--template <file>',
      'count alarms, dashboards and keys in this synthesized template (cdk.out/aiot-*.template.json)',
    )
    .addOption(new Option('--region <region>', 'price table').choices(REGIONS).default('us-east-1'))
    .addOption(
      new Option('--backend <backend>', "hot store (default: the configuration's storageBackend)").choices(
        BACKENDS,
      ),
    )
    .option(
      '--influx-instance <class>',
      "Timestream for InfluxDB instance class (default: the configuration's influxInstanceType, db.influx.medium)",
    )
    .option(
      '--influx-storage-gb <gb>',
      "InfluxDB allocated storage (GB) (default: the configuration's influxStorageGb, 20)",
      number('--influx-storage-gb', 1, 100_000),
    )
    .option('--no-lake', 'leave out the S3 data lake (Firehose, S3, Athena, Glue)')
    .option('--devices <n>', 'devices in the fleet', number('--devices', 1, 100_000_000, true), d.devices)
    .option(
      '--rate <hz>',
      'readings per second per device',
      number('--rate', 0.0001, 1000),
      d.readingsPerSecond,
    )
    .option('--measures <n>', 'measures per reading', number('--measures', 1, 32, true), d.measuresPerReading)
    .option('--batch <n>', 'readings per message', number('--batch', 1, 500, true), d.readingsPerMessage)
    .option(
      '--edge-share <0-1>',
      'share of devices behind a Greengrass core',
      number('--edge-share', 0, 1),
      d.edgeShare,
    )
    .option(
      '--devices-per-core <n>',
      'devices one edge core serves',
      number('--devices-per-core', 1, 100_000, true),
      d.devicesPerCore,
    )
    .option(
      '--edge-window <s>',
      'edge aggregation window (seconds)',
      number('--edge-window', 1, 86_400),
      d.edgeWindowSeconds,
    )
    .option(
      '--anomalies <n>',
      'anomalies per device per day',
      number('--anomalies', 0, 100_000),
      d.anomaliesPerDeviceDay,
    )
    .option(
      '--api-requests <n>',
      'query API requests a month',
      number('--api-requests', 0, 1e12, true),
      d.apiRequestsPerMonth,
    )
    .option(
      '--dashboard-queries <n>',
      'dashboard queries a month',
      number('--dashboard-queries', 0, 1e12, true),
      d.dashboardQueriesPerMonth,
    )
    .option(
      '--qs-authors <n>',
      'QuickSight authors (when quicksightPrincipalArn is set)',
      number('--qs-authors', 0, 1e6, true),
      d.quicksightAuthors,
    )
    .option(
      '--qs-readers <n>',
      'QuickSight readers (when quicksightPrincipalArn is set)',
      number('--qs-readers', 0, 1e6, true),
      d.quicksightReaders,
    )
    .option(
      '--history-months <n>',
      'months of history held in storage',
      number('--history-months', 0, 1200),
      d.historyMonths,
    )
    .option('--prices <file>', 'your own prices (JSON: price key → USD), laid over the table')
    .option('--sensitivity', 'also show which setting moves the aiot total most')
    .option('--detail', 'also list every billed quantity with its price and its evidence')
    .option('--list-prices', 'print the price table of the region with its sources and stop')
    .option('--json', 'print the estimate as JSON')
    .action((o) => {
      const table = withOverrides(PRICES[o.region as Region], o.prices ? priceOverrides(o.prices) : {});
      if (o.listPrices) {
        process.stdout.write(`${formatPrices(table, o.region)}\n`);
        return;
      }
      const context = { ...(o.contextFile ? contextFromFile(o.contextFile) : {}), ...o.context };
      const deployment: Deployment = {
        ...deploymentFromContext(context, {
          backend: o.backend,
          influxInstanceClass: o.influxInstance,
          influxStorageGb: o.influxStorageGb,
          lake: o.lake,
        }),
        stack: o.template ? stackFactsFromTemplate(readJson(o.template, 'template')) : DEFAULT_STACK_FACTS,
      };
      const profile: FleetProfile = {
        devices: o.devices,
        readingsPerSecond: o.rate,
        measuresPerReading: o.measures,
        readingsPerMessage: o.batch,
        edgeShare: o.edgeShare,
        devicesPerCore: o.devicesPerCore,
        edgeWindowSeconds: o.edgeWindow,
        anomaliesPerDeviceDay: o.anomalies,
        apiRequestsPerMonth: o.apiRequests,
        dashboardQueriesPerMonth: o.dashboardQueries,
        quicksightAuthors: o.qsAuthors,
        quicksightReaders: o.qsReaders,
        historyMonths: o.historyMonths,
      };
      const result = estimate(profile, deployment, table, DEFAULT_ASSUMPTIONS);
      const variations = o.sensitivity
        ? sensitivity(profile, deployment, table, DEFAULT_ASSUMPTIONS)
        : undefined;
      if (o.json) {
        process.stdout.write(
          `${JSON.stringify({ region: o.region, profile, deployment, ...result, sensitivity: variations }, null, 2)}\n`,
        );
        return;
      }
      process.stdout.write(
        `${formatReport({ estimate: result, profile, region: o.region, prices: table, sensitivity: variations, detail: o.detail })}\n`,
      );
    });
}
