import { loadConfig } from '../../lib/config';

const reader = (ctx: Record<string, unknown>) => (key: string) => ctx[key];

describe('config', () => {
  it('when nothing is set, gives the documented defaults', () => {
    expect(loadConfig(reader({}))).toMatchObject({
      stage: 'dev',
      kinesisCapacityMode: 'ON_DEMAND',
      memoryRetentionHours: 24,
      magneticRetentionDays: 365,
      storageBackend: 'timestream-influxdb',
      influxInstanceType: 'db.influx.medium',
      influxStorageGb: 20,
      alarmEmail: '',
    });
  });

  it('when values come as strings from -c, coerces numbers', () => {
    expect(loadConfig(reader({ memoryRetentionHours: '48', kinesisShards: '4' }))).toMatchObject({
      memoryRetentionHours: 48,
      kinesisShards: 4,
    });
  });

  it.each(['timestream-influxdb', 'timestream-liveanalytics'])(
    'when storageBackend is %s, takes it',
    (backend) => {
      expect(loadConfig(reader({ storageBackend: backend })).storageBackend).toBe(backend);
    },
  );

  it.each([
    [{ stage: 'Prod!' }, 'stage'],
    [{ kinesisCapacityMode: 'AUTO' }, 'kinesisCapacityMode'],
    [{ memoryRetentionHours: 0 }, 'memoryRetentionHours'],
    [{ alarmEmail: 'not-an-email' }, 'alarmEmail'],
    [{ serialPattern: '([' }, 'serialPattern'],
    [{ storageBackend: 'postgres' }, 'storageBackend'],
    [{ influxInstanceType: 'db.t3.micro' }, 'influxInstanceType'],
    [{ influxStorageGb: 19 }, 'influxStorageGb'],
    [{ edgeSites: 'Plant A' }, 'edgeSites'],
    [{ kinesisRetentionHours: 8761 }, 'kinesisRetentionHours'],
    [{ stage: 'x'.repeat(17) }, 'stage'],
  ])('when %j is given, fails naming the key', (ctx, key) => {
    expect(() => loadConfig(reader(ctx))).toThrow(new RegExp(`- ${key}: `));
  });
});
