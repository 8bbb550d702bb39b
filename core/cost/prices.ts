/**
 * List prices the cost model uses, per region, each with the page it was read on.
 *
 * AWS's own pricing pages render most prices with a script, so the stored copies of those pages
 * often show the text around a price but not the price. Where the figure was read on an AWS page
 * the entry says `aws`; where it was read on another page quoting AWS (a pricing example copied
 * out, a price-list mirror, a cost guide) it says `secondary` and the note says what that page is;
 * where no figure could be found it says `missing` and has no value: the model then reports the
 * quantity of that line without a cost, and never makes a price up. A user fills gaps or replaces
 * figures with `--prices <file.json>` (see docs/cost.md).
 */

/** When these prices were looked up. They change: check the AWS pricing pages before relying on them. */
export const PRICES_CHECKED = '2026-12-01';

export type Region = 'us-east-1' | 'eu-west-1';
export const REGIONS: readonly Region[] = ['us-east-1', 'eu-west-1'];

export type Evidence = 'aws' | 'secondary' | 'missing';

export interface Price {
  /** US dollars per {@link unit}; null when no figure could be found. */
  readonly usd: number | null;
  readonly unit: string;
  readonly evidence: Evidence;
  /** The page the figure was read on (or, when missing, the page that should carry it). */
  readonly source: string;
  readonly note?: string;
}

/** Every price the model reads. Instance-type prices add the type: `sagemaker.instanceHour.ml.m5.large`. */
export const PRICE_KEYS = [
  'iot.connectivity',
  'iot.messaging',
  'iot.rulesTriggered',
  'iot.actionsExecuted',
  'kinesis.shardHour',
  'kinesis.putPayloadUnits',
  'kinesis.extendedRetentionShardHour',
  'kinesis.onDemandStreamHour',
  'kinesis.onDemandDataInGb',
  'kinesis.onDemandDataOutGb',
  'lambda.requests',
  'lambda.armGbSecond',
  'liveanalytics.writes',
  'liveanalytics.memoryGbHour',
  'liveanalytics.magneticGbMonth',
  'liveanalytics.tcuHour',
  'influxdb.storageGbMonth',
  'firehose.ingestGb',
  'firehose.formatConversionGb',
  's3.standardGbMonth',
  'athena.tbScanned',
  'glue.catalogObjectMonth',
  'stepfunctions.transitions',
  'sagemaker.serverlessGbSecond',
  'greengrass.coreDevice',
  'cloudwatch.logsIngestGb',
  'cloudwatch.logsStorageGbMonth',
  'cloudwatch.customMetricMonth',
  'cloudwatch.alarmMonth',
  'cloudwatch.dashboardMonth',
  'kms.keyMonth',
  'vpc.interfaceEndpointHour',
  'vpc.interfaceEndpointGb',
  'kms.requests',
  'apigateway.httpRequests',
  'quicksight.authorMonth',
  'quicksight.readerMonth',
] as const;
export type FixedPriceKey = (typeof PRICE_KEYS)[number];
/** Prices that depend on a chosen size. */
export const SIZED_PRICE_PREFIXES = ['influxdb.instanceHour.', 'sagemaker.instanceHour.'] as const;
export type PriceKey = FixedPriceKey | `${(typeof SIZED_PRICE_PREFIXES)[number]}${string}`;

export type PriceTable = Readonly<Record<string, Price>>;

const PAGE = {
  iot: 'https://aws.amazon.com/iot-core/pricing/',
  greengrass: 'https://aws.amazon.com/greengrass/pricing/',
  kinesis: 'https://aws.amazon.com/kinesis/data-streams/pricing/',
  lambda: 'https://aws.amazon.com/lambda/pricing/',
  timestream: 'https://aws.amazon.com/timestream/pricing/',
  firehose: 'https://aws.amazon.com/firehose/pricing/',
  s3: 'https://aws.amazon.com/s3/pricing/',
  athena: 'https://aws.amazon.com/athena/pricing/',
  glue: 'https://aws.amazon.com/glue/pricing/',
  stepFunctions: 'https://aws.amazon.com/step-functions/pricing/',
  sagemaker: 'https://aws.amazon.com/sagemaker/pricing/',
  cloudwatch: 'https://aws.amazon.com/cloudwatch/pricing/',
  kms: 'https://aws.amazon.com/kms/pricing/',
  apiGateway: 'https://aws.amazon.com/api-gateway/pricing/',
  quicksight: 'https://aws.amazon.com/quicksight/pricing/',
  privatelink: 'https://aws.amazon.com/privatelink/pricing/',
} as const;

/** Where the IoT Core figures of each region were read (both quote AWS's own pricing examples). */
const IOT_EXAMPLE = {
  'eu-west-1':
    'AWS IoT Core pricing example (Europe (Ireland)), as quoted at https://gist.github.com/brianfoody/2c62cecc912dbd97bc759eba427e84cf',
  'us-east-1':
    'AWS IoT Greengrass pricing example (US East (N. Virginia)), as transcribed on 2026-10-07 at https://raw.githubusercontent.com/api-evangelist/amazon-iot-greengrass/refs/heads/main/plans/amazon-iot-greengrass-plans-pricing.yml',
} as const;

const missing = (unit: string, source: string, note?: string): Price => ({
  usd: null,
  unit,
  evidence: 'missing',
  source,
  note: note ?? 'no figure found in the stored pages',
});

/** Prices found for no region (each region's table starts from these and adds what was found). */
function unpriced(): Record<string, Price> {
  return {
    'iot.connectivity': missing('per 1,000,000 connection-minutes', PAGE.iot),
    'iot.messaging': missing('per 1,000,000 messages (5 KB increments), first billion a month', PAGE.iot),
    'iot.rulesTriggered': missing(
      'per 1,000,000 rules triggered (5 KB increments)',
      PAGE.iot,
      'no figure on an AWS page; one third-party blog gives $0.15 without a reliable source, not used',
    ),
    'iot.actionsExecuted': missing('per 1,000,000 actions executed (5 KB increments)', PAGE.iot),
    'kinesis.shardHour': missing(
      'per shard-hour (provisioned)',
      PAGE.kinesis,
      'one third-party lesson uses $0.015 without naming a region, not used',
    ),
    'kinesis.putPayloadUnits': missing(
      'per 1,000,000 PUT payload units (25 KB each, provisioned)',
      PAGE.kinesis,
      'a third-party page quotes $0.014 for US West (Oregon) only',
    ),
    'kinesis.extendedRetentionShardHour': missing(
      'per shard-hour of retention beyond 24 hours (provisioned)',
      PAGE.kinesis,
    ),
    'kinesis.onDemandStreamHour': missing('per stream-hour (on-demand)', PAGE.kinesis),
    'kinesis.onDemandDataInGb': missing(
      'per GB written (on-demand; each record rounded up to 1 KB)',
      PAGE.kinesis,
    ),
    'kinesis.onDemandDataOutGb': missing('per GB read (on-demand)', PAGE.kinesis),
    'lambda.requests': missing('per 1,000,000 requests', PAGE.lambda),
    'lambda.armGbSecond': missing('per GB-second, Arm (duration billed per 1 ms)', PAGE.lambda),
    'liveanalytics.writes': missing('per 1,000,000 writes of 1 KB', PAGE.timestream),
    'liveanalytics.memoryGbHour': missing('per GB-hour of memory store', PAGE.timestream),
    'liveanalytics.magneticGbMonth': missing('per GB-month of magnetic store', PAGE.timestream),
    'liveanalytics.tcuHour': missing('per TCU-hour of queries', PAGE.timestream),
    'influxdb.storageGbMonth': missing('per GB-month of allocated storage', PAGE.timestream),
    'firehose.ingestGb': missing('per GB ingested (5 KB increments per record)', PAGE.firehose),
    'firehose.formatConversionGb': missing(
      'per GB converted to Parquet (5 KB increments per record)',
      PAGE.firehose,
    ),
    's3.standardGbMonth': missing('per GB-month, S3 Standard', PAGE.s3),
    'athena.tbScanned': missing('per TB scanned', PAGE.athena),
    'glue.catalogObjectMonth': missing('per Data Catalog object-month above the free allowance', PAGE.glue),
    'stepfunctions.transitions': missing(
      'per 1,000 state transitions (standard workflows)',
      PAGE.stepFunctions,
    ),
    'sagemaker.serverlessGbSecond': missing('per GB-second of serverless inference compute', PAGE.sagemaker),
    'greengrass.coreDevice': missing('per active core device-month', PAGE.greengrass),
    'cloudwatch.logsIngestGb': missing('per GB of logs ingested', PAGE.cloudwatch),
    'cloudwatch.logsStorageGbMonth': missing('per GB-month of logs stored', PAGE.cloudwatch),
    'cloudwatch.customMetricMonth': missing('per custom metric-month (first 10,000)', PAGE.cloudwatch),
    'cloudwatch.alarmMonth': missing('per standard-resolution alarm metric-month', PAGE.cloudwatch),
    'cloudwatch.dashboardMonth': missing('per dashboard-month', PAGE.cloudwatch),
    'kms.keyMonth': missing('per customer managed key-month', PAGE.kms),
    // The stored PrivateLink page says how endpoints are billed (each hour, each AZ, each GB
    // processed) but its copy here has no rates.
    'vpc.interfaceEndpointHour': missing(
      'per interface endpoint-hour, per availability zone',
      PAGE.privatelink,
    ),
    'vpc.interfaceEndpointGb': missing('per GB processed by interface endpoints', PAGE.privatelink),
    'kms.requests': missing(
      'per 10,000 requests',
      PAGE.kms,
      'a third-party guide gives $0.03 without naming a region, not used',
    ),
    'apigateway.httpRequests': missing('per 1,000,000 HTTP API requests', PAGE.apiGateway),
    'quicksight.authorMonth': missing('per author-month', PAGE.quicksight),
    'quicksight.readerMonth': missing('per reader-month', PAGE.quicksight),
  };
}

const both = {
  'stepfunctions.transitions': {
    usd: 0.025,
    unit: 'per 1,000 state transitions (standard workflows)',
    evidence: 'aws',
    source: PAGE.stepFunctions,
    note: 'state transitions pricing table: US East (N. Virginia) and Europe (Ireland) $0.0250',
  },
  'kms.keyMonth': {
    usd: 1,
    unit: 'per customer managed key-month',
    evidence: 'aws',
    source: PAGE.kms,
    note: '"Each AWS KMS key that you create in KMS costs $1/month"; each rotated backing key adds $1/month',
  },
} satisfies Record<string, Price>;

export const PRICES: Readonly<Record<Region, PriceTable>> = {
  'us-east-1': {
    ...unpriced(),
    ...both,
    'iot.connectivity': {
      usd: 0.08,
      unit: 'per 1,000,000 connection-minutes',
      evidence: 'secondary',
      source: IOT_EXAMPLE['us-east-1'],
      note: 'the example cites IoT Core connections at $0.08/1,000,000 minutes',
    },
    'iot.messaging': {
      usd: 1,
      unit: 'per 1,000,000 messages (5 KB increments), first billion a month',
      evidence: 'secondary',
      source: IOT_EXAMPLE['us-east-1'],
      note: 'the example cites messaging at $1 per million; cheaper tiers above a billion a month were not found, so every message is priced at this rate (an upper bound for large fleets)',
    },
    'greengrass.coreDevice': {
      usd: 0.16,
      unit: 'per active core device-month',
      evidence: 'secondary',
      source: IOT_EXAMPLE['us-east-1'],
      note: '"$0.16 per device per month" (1 to 10,000 devices; above that AWS quotes on request)',
    },
    'lambda.armGbSecond': {
      usd: 0.0000133334,
      unit: 'per GB-second, Arm (duration billed per 1 ms)',
      evidence: 'secondary',
      source: 'https://cloudchipr.com/blog/aws-lambda-pricing',
      note: 'first 7.5 billion GB-seconds a month, "based on the US East (N. Virginia) region"; 1 ms rounding is on the AWS page',
    },
    'lambda.requests': {
      usd: 0.2,
      unit: 'per 1,000,000 requests',
      evidence: 'secondary',
      source:
        'https://git.mcrn.ar/mariano/lambda_local_runner/src/branch/main/docs/lambdas-md/lambda-13-cost.md',
      note: 'the page names no region',
    },
    'liveanalytics.writes': {
      usd: 0.5,
      unit: 'per 1,000,000 writes of 1 KB',
      evidence: 'secondary',
      source: 'https://awsnegotiations.com/blog/timestream-pricing-analysis/',
      note: '"approximate US East rates"; the same figure is on AWS\'s own page as archived on 2020-07-28 (for US East (Ohio))',
    },
    'liveanalytics.memoryGbHour': {
      usd: 0.036,
      unit: 'per GB-hour of memory store',
      evidence: 'secondary',
      source: 'https://awsnegotiations.com/blog/timestream-pricing-analysis/',
      note: '"approximate US East rates"; same figure on the 2020 archived AWS page (US East (Ohio))',
    },
    'liveanalytics.magneticGbMonth': {
      usd: 0.03,
      unit: 'per GB-month of magnetic store',
      evidence: 'secondary',
      source: 'https://awsnegotiations.com/blog/timestream-pricing-analysis/',
      note: '"approximate US East rates"; the 2020 archived AWS page gives $0.0000411 per GB-hour (~$0.03 per GB-month)',
    },
    's3.standardGbMonth': {
      usd: 0.023,
      unit: 'per GB-month, S3 Standard',
      evidence: 'secondary',
      source: 'https://iotclass.org/analytics-ml/cloud-foundations.html',
      note: 'the page names no region (first 50 TB tier assumed)',
    },
    'cloudwatch.logsIngestGb': {
      usd: 0.5,
      unit: 'per GB of logs ingested',
      evidence: 'secondary',
      source: 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/',
      note: 'standard log class, first tier',
    },
    'cloudwatch.dashboardMonth': {
      usd: 3,
      unit: 'per dashboard-month',
      evidence: 'secondary',
      source: 'https://www.factualminds.com/blog/amazon-cloudwatch-pricing-metrics-logs-alarms-dashboards/',
      note: 'the first 3 dashboards a month are free (AWS page); not deducted here',
    },
    'cloudwatch.customMetricMonth': {
      usd: 0.3,
      unit: 'per custom metric-month (first 10,000)',
      evidence: 'secondary',
      source: 'https://signoz.io/guides/cloudwatch-pricing',
      note: 'the page names no region',
    },
  },
  'eu-west-1': {
    ...unpriced(),
    ...both,
    'iot.connectivity': {
      usd: 0.08,
      unit: 'per 1,000,000 connection-minutes',
      evidence: 'secondary',
      source: IOT_EXAMPLE['eu-west-1'],
      note: '"4,320,000,000 minutes of connection * $0.08/1,000,000 minutes of connection"',
    },
    'iot.messaging': {
      usd: 1,
      unit: 'per 1,000,000 messages (5 KB increments), first billion a month',
      evidence: 'secondary',
      source: IOT_EXAMPLE['eu-west-1'],
      note: '"975,000,000 messages * $1.00/1,000,000 messages"; tiers above a billion a month not found, every message priced at this rate',
    },
    'greengrass.coreDevice': {
      usd: 0.18,
      unit: 'per active core device-month',
      evidence: 'secondary',
      source:
        'AWS Price List (AWSGreengrass, EUW1-ActiveGGC-Devices, effective 2022-01-01) as mirrored at https://huggingface.co/datasets/labofsahil/aws-pricing-dataset/blame/9c289a44101109f261359def26b5440978dec43f/AWSGreengrass.csv',
      note: '"$0.18 per Active GGC Device"',
    },
  },
};

/** A region's table with the user's own figures laid over it (USD in each key's unit). */
export function withOverrides(table: PriceTable, overrides: Readonly<Record<string, number>>): PriceTable {
  const out: Record<string, Price> = { ...table };
  for (const [key, usd] of Object.entries(overrides)) {
    const known = table[key];
    const sized = SIZED_PRICE_PREFIXES.some((p) => key.startsWith(p) && key.length > p.length);
    if (!known && !sized) {
      throw new Error(
        `unknown price key '${key}' (known: ${PRICE_KEYS.join(', ')}, ${SIZED_PRICE_PREFIXES.map((p) => `${p}<size>`).join(', ')})`,
      );
    }
    if (!Number.isFinite(usd) || usd < 0)
      throw new Error(`price '${key}' must be a non-negative number of US dollars`);
    out[key] = {
      usd,
      unit: known?.unit ?? (key.startsWith('influxdb.') ? 'per DB instance-hour' : 'per instance-hour'),
      evidence: 'secondary',
      source: 'given with --prices',
    };
  }
  return out;
}

/** The price of `key`, or a missing entry naming the page that should carry it. */
export function priceOf(table: PriceTable, key: PriceKey): Price {
  const found = table[key];
  if (found) return found;
  if (key.startsWith('influxdb.instanceHour.'))
    return missing('per DB instance-hour (Single-AZ)', PAGE.timestream);
  return missing('per instance-hour', PAGE.sagemaker);
}
