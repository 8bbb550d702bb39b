/**
 * Credentials against a real InfluxDB 1.x with authentication on: the adapters either work, or
 * fail at once (no retries) with an error that says what to check and never shows the secret.
 */
import type { TelemetryRecord } from '../../../core/ports';
import {
  type InfluxAuth,
  InfluxAuthError,
  InfluxClient,
  InfluxQueryStore,
  InfluxTelemetryStore,
  influxStoresFromEnv,
} from '../../../lambda/shared/influxdb';
import { ADMIN, InfluxServer } from './server';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const records: TelemetryRecord[] = [
  { deviceId: 'pump-1', site: 'plant-1', time: NOW, seq: 1, measures: { temp: 1 } },
];

describe('InfluxDB adapters with credentials, on a real InfluxDB with authentication', () => {
  let server: InfluxServer;
  let database: string;
  beforeAll(async () => {
    server = await InfluxServer.create({ auth: true });
    database = await server.database();
    await server.admin(`CREATE USER "reader" WITH PASSWORD 'reader-secret'`);
    await server.admin(`GRANT READ ON "${database}" TO "reader"`);
  });
  afterAll(async () => {
    await server?.dispose();
  });

  function adapters(auth: InfluxAuth | undefined) {
    const retries: string[] = [];
    const client = new InfluxClient({
      url: server.url,
      ...(auth ? { auth } : {}),
      onRetry: ({ reason }) => retries.push(reason),
      sleep: async () => {},
    });
    return {
      retries,
      telemetry: new InfluxTelemetryStore({ client, database }),
      query: new InfluxQueryStore({ client, database, clock: () => NOW }),
    };
  }

  it('when the credentials are right, writes and reads work', async () => {
    const { telemetry, query } = adapters({ kind: 'basic', ...ADMIN });
    expect(await telemetry.write(records)).toEqual({ written: 1, rejected: [] });
    expect(await query.recent('pump-1', 0, NOW + 1)).toEqual(records);
  });

  it.each<[string, InfluxAuth | undefined]>([
    ['a wrong password', { kind: 'basic', username: ADMIN.username, password: 'not-the-password' }],
    ['a token, which InfluxDB 1.x does not take', { kind: 'token', token: 'tok-123456' }],
    ['no credentials', undefined],
  ])('when the server gets %s, the write and the read fail at once saying what to check', async (_, auth) => {
    const { telemetry, query, retries } = adapters(auth);
    const write = telemetry.write(records);
    await expect(write).rejects.toThrow(InfluxAuthError);
    await expect(write).rejects.toThrow(
      `InfluxDB at ${server.url} refused the query on database "${database}" (401`,
    );
    await expect(write).rejects.toThrow('check the credentials');
    await expect(query.listDevices({ limit: 5 })).rejects.toMatchObject({
      name: 'InfluxAuthError',
      status: 401,
    });
    const message = await write.catch((e: Error) => e.message);
    for (const secret of ['not-the-password', 'tok-123456']) expect(message).not.toContain(secret);
    expect(retries).toEqual([]);
  });

  it('when the user may read but not write, the write fails naming the missing permission', async () => {
    const { telemetry, query } = adapters({ kind: 'basic', username: 'reader', password: 'reader-secret' });
    const write = telemetry.write([{ ...records[0]!, time: NOW + 1000 }]);
    await expect(write).rejects.toMatchObject({ name: 'InfluxAuthError', status: 403 });
    await expect(write).rejects.toThrow(`may not write to database "${database}"`);
    expect((await query.listDevices({ limit: 5 })).items.map((d) => d.deviceId)).toEqual(['pump-1']);
  });

  it('when the stores come from the environment, the secret is read on first use and again after it was refused', async () => {
    const secrets = [
      JSON.stringify({ username: ADMIN.username, password: 'rotated-away' }),
      JSON.stringify({ username: ADMIN.username, password: ADMIN.password }),
    ];
    const reads: string[] = [];
    const stores = influxStoresFromEnv({
      env: {
        INFLUXDB_URL: server.url,
        INFLUXDB_DATABASE: database,
        INFLUXDB_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:influx',
      },
      readSecret: async (arn) => {
        reads.push(arn);
        return secrets[reads.length - 1]!;
      },
      clock: () => NOW,
    });
    expect(reads).toEqual([]);
    await expect(stores.query.listDevices({ limit: 5 })).rejects.toThrow(InfluxAuthError);
    // The secret was rotated meanwhile: the next request reads it again and gets in.
    expect((await stores.query.listDevices({ limit: 5 })).items.map((d) => d.deviceId)).toEqual(['pump-1']);
    expect(await stores.telemetry.write([{ ...records[0]!, time: NOW + 2000 }])).toEqual({
      written: 1,
      rejected: [],
    });
    expect(reads).toHaveLength(2);
  });
});
