import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import {
  anomalyPoint,
  authFromSecret,
  encodePoint,
  InfluxEnvSchema,
  InfluxQLValueError,
  influxql,
  influxStoresFromEnv,
  LineProtocolError,
  predictionPoint,
  quoteStringField,
  telemetryPoint,
} from '../../../lambda/shared/influxdb';
import { secretsManagerReader } from '../../../lambda/shared/secrets';

const T = 1795003200000;

describe('line protocol', () => {
  it('when a reading is encoded, its measures are floats, seq an integer, tags sorted, time in ms', () => {
    expect(
      encodePoint(
        telemetryPoint({
          deviceId: 'AIOT-0000002A',
          site: 'plant-a',
          time: T,
          seq: 1042,
          measures: { vibration_rms: 2.31, temp: 47 },
        }),
      ),
    ).toBe(
      'telemetry,deviceId=AIOT-0000002A,site=plant-a vibration_rms=2.31,temp=47,seq=1042i 1795003200000',
    );
  });

  it('when an anomaly is encoded, the free-text source is escaped and the measures are a quoted JSON string', () => {
    const line = encodePoint(
      anomalyPoint({
        schema: 'aiot.event/1',
        kind: 'anomaly',
        deviceId: 'pump-1',
        site: 'plant-1',
        ts: T,
        score: 0.97,
        severity: 'critical',
        measures: { temp: 90.5 },
        source: 'cloud rcf, v=2 "x"',
      }),
    );
    expect(line).toBe(
      'anomaly,deviceId=pump-1,severity=critical,site=plant-1,source=cloud\\ rcf\\,\\ v\\=2\\ "x" score=0.97,measures="{\\"temp\\":90.5}" 1795003200000',
    );
  });

  it('when a prediction is encoded, its model name is cut to the 64 characters of the read model', () => {
    const line = encodePoint(
      predictionPoint({
        schema: 'aiot.prediction/1',
        kind: 'prediction',
        deviceId: 'pump-1',
        site: 'plant-1',
        ts: T,
        probability: 0.25,
        horizonMs: 86_400_000,
        model: 'm'.repeat(100),
      }),
    );
    expect(line).toBe(
      `prediction,deviceId=pump-1,site=plant-1,source=${'m'.repeat(64)} probability=0.25,horizonMs=86400000i ${T}`,
    );
  });

  it('when a string field holds quotes and backslashes, both are escaped', () => {
    expect(quoteStringField('a"b\\c')).toBe('"a\\"b\\\\c"');
  });

  it.each([
    [
      'a line break in a tag',
      { measurement: 'm', tags: { t: 'a\nb' }, fields: { v: 1 }, timeMs: T },
      'line break',
    ],
    [
      'a backslash in a tag',
      { measurement: 'm', tags: { t: 'a\\' }, fields: { v: 1 }, timeMs: T },
      'backslash',
    ],
    [
      'a line break in a string field',
      { measurement: 'm', tags: {}, fields: { v: 'a\rb' }, timeMs: T },
      'line break',
    ],
    ['no field', { measurement: 'm', tags: {}, fields: {}, timeMs: T }, 'at least one field'],
    [
      'a non-finite float',
      { measurement: 'm', tags: {}, fields: { v: Number.POSITIVE_INFINITY }, timeMs: T },
      'finite',
    ],
    [
      'an unsafe integer',
      { measurement: 'm', tags: {}, fields: { v: { int: 2 ** 60 } }, timeMs: T },
      'safe integer',
    ],
    ['a fractional time', { measurement: 'm', tags: {}, fields: { v: 1 }, timeMs: T + 0.5 }, 'epoch ms'],
  ])(
    'when a point has %s, encoding refuses it rather than send a line InfluxDB would misread',
    (_, point, message) => {
      expect(() => encodePoint(point)).toThrow(LineProtocolError);
      expect(() => encodePoint(point)).toThrow(message);
    },
  );

  it('when a tag value is empty, the tag is left out (line protocol has no empty tag value)', () => {
    expect(encodePoint({ measurement: 'm', tags: { a: '', b: 'x' }, fields: { v: true }, timeMs: T })).toBe(
      `m,b=x v=true ${T}`,
    );
  });
});

describe('influxql', () => {
  it('when identifiers are quoted, double quotes and backslashes are escaped', () => {
    expect(influxql.ident('tele"metry\\')).toBe('"tele\\"metry\\\\"');
  });

  it.each([
    ['a device id that tries to close the literal', () => influxql.deviceId("x' OR '1'='1")],
    ['a measure that tries to close the identifier', () => influxql.measure('temp" FROM x --')],
    ['a severity outside the set', () => influxql.severity('fatal' as 'info')],
    ['a fractional time', () => influxql.time(1.5)],
    ['a zero count', () => influxql.count(0)],
    ['an identifier with a line break', () => influxql.ident('a\nb')],
  ])('when given %s, it refuses before any query is built', (_, build) => {
    expect(build).toThrow(InfluxQLValueError);
  });

  it('when values are valid, they become literals InfluxQL reads as they are', () => {
    expect([
      influxql.deviceId('pump_1-A'),
      influxql.measure('bearing_temp_c'),
      influxql.severity('warning'),
      influxql.time(T),
    ]).toEqual(["'pump_1-A'", '"bearing_temp_c"', "'warning'", '1795003200000ms']);
  });
});

describe('InfluxDB configuration', () => {
  const secrets = mockClient(SecretsManagerClient);
  beforeEach(() => secrets.reset());

  it.each([
    ['a token in JSON', '{"token":"abc"}', { kind: 'token', token: 'abc' }],
    [
      'a username and password in JSON (the Timestream admin secret shape)',
      '{"username":"u","password":"p","engine":"timestream-influxdb"}',
      { kind: 'basic', username: 'u', password: 'p' },
    ],
    ['a bare token', '  bare-token\n', { kind: 'token', token: 'bare-token' }],
  ])('when the secret holds %s, the credentials are read from it', (_, text, auth) => {
    expect(authFromSecret(text)).toEqual(auth);
  });

  it('when the secret is JSON of another shape, the error says which shapes are read and shows no secret', () => {
    expect(() => authFromSecret('{"pass":"hunter2"}')).toThrow(
      '{"token": …} or {"username": …, "password": …}',
    );
    expect(() => authFromSecret('{"pass":"hunter2"}')).not.toThrow('hunter2');
  });

  it('when the environment lacks the URL or has a bad number, building the stores fails naming the variable', () => {
    expect(() => influxStoresFromEnv({ env: { INFLUXDB_DATABASE: 'aiot' } })).toThrow('INFLUXDB_URL');
    expect(() =>
      influxStoresFromEnv({
        env: { INFLUXDB_URL: 'http://127.0.0.1:1', INFLUXDB_DATABASE: 'aiot', INFLUXDB_BATCH_SIZE: '0' },
      }),
    ).toThrow('INFLUXDB_BATCH_SIZE');
    expect(() =>
      influxStoresFromEnv({ env: { INFLUXDB_URL: 'ftp://x', INFLUXDB_DATABASE: 'aiot' } }),
    ).toThrow('INFLUXDB_URL');
  });

  it('when only the required variables are set, the defaults fit a Lambda invocation', () => {
    expect(
      InfluxEnvSchema.parse({ INFLUXDB_URL: 'https://db.example:8181', INFLUXDB_DATABASE: 'aiot' }),
    ).toEqual({
      INFLUXDB_URL: 'https://db.example:8181',
      INFLUXDB_DATABASE: 'aiot',
      INFLUXDB_TIMEOUT_MS: 5000,
      INFLUXDB_MAX_ATTEMPTS: 4,
      INFLUXDB_BATCH_SIZE: 5000,
    });
  });

  it('when the secret is read from Secrets Manager, it is asked for by its ARN and a binary secret is refused', async () => {
    const arn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:influx-abc';
    secrets.on(GetSecretValueCommand, { SecretId: arn }).resolves({ SecretString: '{"token":"t"}' });
    const read = secretsManagerReader(new SecretsManagerClient({ region: 'eu-west-1' }));
    expect(await read(arn)).toBe('{"token":"t"}');
    expect(secrets).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: arn });
    secrets.on(GetSecretValueCommand).resolves({ SecretBinary: new Uint8Array([1]) });
    await expect(read('other')).rejects.toThrow('secret other holds no text');
  });
});
