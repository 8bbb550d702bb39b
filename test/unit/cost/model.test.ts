import {
  DEFAULT_DEPLOYMENT,
  type Deployment,
  estimate,
  type FleetProfile,
  priceLines,
  sensitivity,
  streamInvocations,
  telemetryPayloadBytes,
  total,
  type UsageLine,
  usage,
} from '../../../core/cost/model';
import { PRICE_KEYS, PRICES, type PriceTable, withOverrides } from '../../../core/cost/prices';
import { parseTelemetry, TELEMETRY_SCHEMA_VERSION } from '../../../core/telemetry';

const MONTH_S = 730 * 3600;
const GB = 1024 ** 3;

/** Every price $1 per unit: a line's cost is its quantity, so the formulas can be read off. */
const flat: PriceTable = withOverrides(
  PRICES['us-east-1'],
  Object.fromEntries(
    [...PRICE_KEYS, 'influxdb.instanceHour.db.influx.medium', 'sagemaker.instanceHour.ml.m5.large'].map(
      (k) => [k, 1],
    ),
  ),
);

const fleet = (over: Partial<FleetProfile> = {}): FleetProfile => ({
  devices: 100,
  readingsPerSecond: 1,
  measuresPerReading: 8,
  readingsPerMessage: 10,
  edgeShare: 0,
  devicesPerCore: 50,
  edgeWindowSeconds: 60,
  anomaliesPerDeviceDay: 0,
  apiRequestsPerMonth: 0,
  dashboardQueriesPerMonth: 0,
  quicksightAuthors: 0,
  quicksightReaders: 0,
  historyMonths: 0,
  ...over,
});
// The hand-worked examples are on LiveAnalytics (its metering is the one worked by hand); the
// default backend, InfluxDB, has its own test below.
const deployment = (over: Partial<Deployment> = {}): Deployment => ({
  ...DEFAULT_DEPLOYMENT,
  backend: 'timestream-liveanalytics',
  lake: false,
  retrainingRunsPerMonth: 0,
  ...over,
});

const line = (lines: UsageLine[], service: string, item: RegExp): UsageLine => {
  const found = lines.find((l) => l.service === service && item.test(l.item));
  if (!found) throw new Error(`no line ${service}: ${item}`);
  return found;
};

describe('cost model', () => {
  it('when nothing says otherwise, costs the stack’s default backend: Timestream for InfluxDB', () => {
    expect(DEFAULT_DEPLOYMENT.backend).toBe('timestream-influxdb');
  });

  it('when sizing a message, uses a message the telemetry contract accepts', () => {
    const names = Array.from({ length: 8 }, (_, i) => `m${String(i).padStart(2, '0')}_`.padEnd(14, 'x'));
    const values = Object.fromEntries(names.map((n) => [n, 47.213]));
    const message = JSON.stringify({
      schema: TELEMETRY_SCHEMA_VERSION,
      deviceId: 'AIOT-0000002A',
      site: 'plant-a',
      seq: 1_042_000,
      units: Object.fromEntries(names.map((n) => [n, 'mm/s'])),
      readings: Array.from({ length: 10 }, (_, i) => ({ ts: 1_795_003_200_000 + i * 1000, values })),
    });
    expect(parseTelemetry(message, { now: 1_795_003_210_000 }).ok).toBe(true);
    expect(telemetryPayloadBytes(10, 8, 14)).toBe(Buffer.byteLength(message));
  });

  // 100 devices × 1 reading/s × 730 h = 262.8 million readings; batches of 10 = 26.28 million messages.
  describe('hand-worked month: 100 devices, 1 Hz, 8 measures, batches of 10, on-demand stream, LiveAnalytics', () => {
    const aiot = usage(fleet(), deployment(), 'aiot').lines;
    const naive = usage(fleet(), deployment(), 'naive').lines;

    it('IoT Core: 4.38 million connection-minutes; no messaging over Basic Ingest; 26.28 million rules and actions', () => {
      expect(line(aiot, 'IoT Core', /connectivity/).quantity).toBeCloseTo((100 * 730 * 60) / 1e6, 9);
      expect(line(aiot, 'IoT Core', /messaging/).quantity).toBe(0);
      expect(line(aiot, 'IoT Core', /rules/).quantity).toBeCloseTo(26.28, 9);
      expect(line(aiot, 'IoT Core', /actions/).quantity).toBeCloseTo(26.28, 9);
    });

    it('IoT Core, naive: 262.8 million messages through the broker, each under 5 KB, and as many rules', () => {
      expect(line(naive, 'IoT Core', /messaging/).quantity).toBeCloseTo(262.8, 9);
      expect(line(naive, 'IoT Core', /rules/).quantity).toBeCloseTo(262.8, 9);
    });

    it('Kinesis on-demand: 730 stream-hours; 26.28 million records of 2.6 KB billed as 3 KB each', () => {
      expect(line(aiot, 'Kinesis', /stream-hours/).quantity).toBe(730);
      expect(line(aiot, 'Kinesis', /data in/).quantity).toBeCloseTo((26_280_000 * 3 * 1024) / GB, 6);
      expect(line(aiot, 'Kinesis', /data out/).quantity).toBeCloseTo((26_280_000 * 3 * 1024) / GB, 6);
    });

    it('Kinesis provisioned: shard-hours of the configured shards and one 25 KB PUT payload unit per record', () => {
      const lines = usage(
        fleet(),
        deployment({ kinesisCapacityMode: 'PROVISIONED', kinesisShards: 2 }),
        'aiot',
      ).lines;
      expect(line(lines, 'Kinesis', /shard-hours/).quantity).toBe(2 * 730);
      expect(line(lines, 'Kinesis', /PUT payload/).quantity).toBeCloseTo(26.28, 9);
    });

    it('Lambda: 10 messages/s on one shard with a 1 s window is one invocation a second of 200.5 ms, billed 201 ms at 512 MB', () => {
      // 20 ms base + 10 messages × (0.05 ms parse + 15 ms scoring) + one 30 ms store write of 100 records.
      expect(line(aiot, 'Lambda', /requests/).quantity).toBeCloseTo(MONTH_S / 1e6, 9);
      expect(line(aiot, 'Lambda', /duration/).quantity).toBeCloseTo(MONTH_S * 0.201 * 0.5, 3);
    });

    it('Lambda, naive: 100 one-reading messages a second, 800 records in 8 store writes, 1,765 ms an invocation', () => {
      // 20 ms + 100 × 15.05 ms + 8 × 30 ms.
      expect(line(naive, 'Lambda', /duration/).quantity).toBeCloseTo(MONTH_S * 1.765 * 0.5, 3);
    });

    it('LiveAnalytics: one 234-byte record (one 1 KB write) per reading; naive: eight, one per measure', () => {
      expect(line(aiot, 'Timestream for LiveAnalytics', /writes/).quantity).toBeCloseTo(262.8, 9);
      expect(line(naive, 'Timestream for LiveAnalytics', /writes/).quantity).toBeCloseTo(8 * 262.8, 9);
      // 360,000 records an hour × 234 bytes, held 24 hours, over 730 hours.
      expect(line(aiot, 'Timestream for LiveAnalytics', /memory/).quantity).toBeCloseTo(
        (360_000 * 234 * 24 * 730) / GB,
        6,
      );
    });

    it('InfluxDB: 730 instance-hours of the chosen class and the allocated storage, whatever the fleet sends', () => {
      const d = deployment({
        backend: 'timestream-influxdb',
        influxInstanceClass: 'db.influx.medium',
        influxStorageGb: 20,
      });
      for (const design of ['aiot', 'naive'] as const) {
        const lines = usage(fleet(), d, design).lines;
        const instance = line(lines, 'Timestream for InfluxDB', /instance/);
        expect(instance).toMatchObject({ quantity: 730, priceKey: 'influxdb.instanceHour.db.influx.medium' });
        expect(line(lines, 'Timestream for InfluxDB', /storage/).quantity).toBe(20);
      }
    });

    it('InfluxDB VPC: 14 interface endpoint-AZs are 10,220 endpoint-hours; LiveAnalytics has no VPC and none', () => {
      const stack = { alarms: 1, dashboards: 1, kmsKeys: 1, interfaceEndpointAzs: 14 };
      const influx = usage(
        fleet(),
        deployment({ backend: 'timestream-influxdb', lake: true, stack }),
        'aiot',
      ).lines;
      expect(line(influx, 'VPC endpoints', /endpoint-AZs/)).toMatchObject({
        quantity: 14 * 730,
        priceKey: 'vpc.interfaceEndpointHour',
      });
      expect(line(influx, 'VPC endpoints', /data processed/).quantity).toBeGreaterThan(0);
      const live = usage(fleet(), deployment({ backend: 'timestream-liveanalytics', stack }), 'aiot').lines;
      expect(live.filter((l) => l.service === 'VPC endpoints')).toEqual([]);
    });

    it('Step Functions: every state of both workflows per run, 10 anomalies a day and weekly retraining', () => {
      const lines = usage(
        fleet({ anomaliesPerDeviceDay: 0.1 }),
        deployment({ retrainingRunsPerMonth: 730 / 24 / 7 }),
        'aiot',
      ).lines;
      const transitions = 100 * 0.1 * (730 / 24) * 27 + (730 / 24 / 7) * 38;
      expect(line(lines, 'Step Functions', /transitions/).quantity).toBeCloseTo(transitions / 1000, 9);
    });

    it('edge: 50 devices behind one core send one aggregates message a minute each, and pay no connection', () => {
      const lines = usage(fleet({ edgeShare: 0.5 }), deployment(), 'aiot').lines;
      expect(line(lines, 'Greengrass', /core/).quantity).toBe(1);
      expect(line(lines, 'IoT Core', /connectivity/).quantity).toBeCloseTo((51 * 730 * 60) / 1e6, 9);
      expect(line(lines, 'IoT Core', /messaging/).quantity).toBeCloseTo((50 * (MONTH_S / 60)) / 1e6, 9);
    });
  });

  it('when readings per second per shard stay under one, each record is its own invocation', () => {
    expect(streamInvocations(0.5, 1, 100, 1)).toBeCloseTo(0.5 * MONTH_S, 6);
    expect(streamInvocations(5000, 5, 100, 1)).toBeCloseTo(50 * MONTH_S, 6);
    expect(streamInvocations(0, 1, 100, 1)).toBe(0);
  });

  describe('naive ÷ aiot', () => {
    const ratio = (p: FleetProfile) => estimate(p, deployment(), flat).ratio;
    const aiotTotal = (p: FleetProfile) => total(priceLines(usage(p, deployment(), 'aiot').lines, flat));

    it('when batches grow, the aiot cost falls and the ratio rises', () => {
      const totals = [1, 10, 100].map((b) => aiotTotal(fleet({ readingsPerMessage: b })));
      expect(totals[1]).toBeLessThan(totals[0]! * 0.5);
      expect(totals[2]).toBeLessThan(totals[1]!);
      expect(ratio(fleet({ readingsPerMessage: 100 }))).toBeGreaterThan(
        ratio(fleet({ readingsPerMessage: 10 })),
      );
      expect(ratio(fleet({ readingsPerMessage: 10 }))).toBeGreaterThan(
        ratio(fleet({ readingsPerMessage: 1 })),
      );
    });

    it('when more devices sit behind an edge core, or its window is longer, the aiot cost falls and the ratio rises', () => {
      expect(aiotTotal(fleet({ edgeShare: 0.5 }))).toBeLessThan(aiotTotal(fleet({ edgeShare: 0 })) * 0.75);
      expect(ratio(fleet({ edgeShare: 0.9 }))).toBeGreaterThan(ratio(fleet({ edgeShare: 0.5 })) * 1.5);
      expect(aiotTotal(fleet({ edgeShare: 0.5, edgeWindowSeconds: 300 }))).toBeLessThan(
        aiotTotal(fleet({ edgeShare: 0.5, edgeWindowSeconds: 10 })),
      );
      expect(ratio(fleet({ edgeShare: 1, edgeWindowSeconds: 300 }))).toBeGreaterThan(
        ratio(fleet({ edgeShare: 1, edgeWindowSeconds: 10 })),
      );
    });

    it('when one message per reading goes through the broker with one record per measure, naive costs more than aiot', () => {
      expect(ratio(fleet())).toBeGreaterThan(2);
    });
  });

  describe('with the published table', () => {
    it('when a price was not found, the line keeps its quantity, costs null and is named as unpriced', () => {
      const e = estimate(fleet(), deployment(), PRICES['us-east-1']);
      const rules = e.aiot.find((l) => l.priceKey === 'iot.rulesTriggered')!;
      expect(rules.quantity).toBeCloseTo(26.28, 9);
      expect(rules.usd).toBeNull();
      expect(e.unpriced).toContain('iot.rulesTriggered');
      expect(e.totals.aiot).toBe(total(e.aiot));
    });

    it('at rest (no device, no query), only the fixed lines cost: the key and the dashboard', () => {
      const e = estimate(fleet(), deployment(), PRICES['us-east-1']);
      // $1 for the KMS key, $3 for the CloudWatch dashboard; the stream and the alarms have no price found.
      expect(e.totals.atRest).toBeCloseTo(4, 9);
    });

    it('when the backend changes to one with no price, the sensitivity says so instead of a change', () => {
      const variations = sensitivity(fleet(), deployment(), PRICES['us-east-1']);
      const backend = variations.find((v) => v.setting === 'backend')!;
      expect(backend.unpricedDifference).toContain('influxdb.instanceHour.db.influx.medium');
      expect(variations.at(-1)!.unpricedDifference.length).toBeGreaterThan(0);
    });

    it('when an override names an unknown key or a negative price, it is refused', () => {
      expect(() => withOverrides(PRICES['us-east-1'], { 'iot.teleportation': 1 })).toThrow(
        "unknown price key 'iot.teleportation'",
      );
      expect(() => withOverrides(PRICES['us-east-1'], { 'iot.messaging': -1 })).toThrow('non-negative');
      expect(
        withOverrides(PRICES['eu-west-1'], { 'influxdb.instanceHour.db.influx.large': 0.5 })[
          'influxdb.instanceHour.db.influx.large'
        ]!.usd,
      ).toBe(0.5);
    });

    it('every price found names its page, and no missing price has a value', () => {
      for (const table of Object.values(PRICES)) {
        for (const [key, p] of Object.entries(table)) {
          expect([key, p.source.length > 10]).toEqual([key, true]);
          expect([key, p.evidence === 'missing']).toEqual([key, p.usd === null]);
        }
      }
    });
  });
});
