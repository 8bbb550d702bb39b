import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseTelemetry, TELEMETRY_LIMITS, telemetryJsonSchema } from '../../core/telemetry';
import { NOW, validMessage } from '../fixtures/telemetry';

const parse = (msg: unknown, topic?: { site: string; deviceId: string }) =>
  parseTelemetry(typeof msg === 'string' ? msg : JSON.stringify(msg), { now: NOW, topic });

const reasonOf = (msg: unknown) => {
  const r = parse(msg);
  return r.ok ? 'ok' : r.reason;
};

describe('telemetry contract', () => {
  it('when a message is valid, returns it unchanged', () => {
    const msg = validMessage();
    expect(parse(msg)).toEqual({ ok: true, value: msg });
  });

  it('when the rule envelope fields are present, strips them and checks the topic against the payload', () => {
    const msg = validMessage();
    expect(parse({ ...msg, topicSite: 'plant-a', topicDeviceId: 'AIOT-0000000A', receivedAt: NOW })).toEqual({
      ok: true,
      value: msg,
    });
    expect(
      reasonOf({ ...msg, topicSite: 'plant-a', topicDeviceId: 'AIOT-FFFFFFFF', receivedAt: NOW }),
    ).toMatch(/was published on the topic of plant-a\/AIOT-FFFFFFFF/);
  });

  it('when the payload is over the size limit, refuses it before parsing', () => {
    const big = 'x'.repeat(TELEMETRY_LIMITS.maxPayloadBytes + 1);
    expect(reasonOf(big)).toMatch(/over the 131072 limit/);
  });

  it.each([
    ['not JSON', '{"schema":', /payload is not JSON/],
    ['an unknown schema version', { ...validMessage(), schema: 'aiot.telemetry/9' }, /schema/],
    ['a missing deviceId', { ...validMessage(), deviceId: undefined }, /deviceId/],
    ['a bad site', validMessage({ site: 'Plant A' }), /site must match/],
    ['a negative seq', validMessage({ seq: -1 }), /seq/],
    ['no readings', validMessage({ readings: [] }), /at least one reading/],
    [
      'a measure without a unit',
      validMessage({ units: { vibration_rms: 'mm/s' } }),
      /"bearing_temp_c" has no unit/,
    ],
    ['an unknown field', { ...validMessage(), extra: 1 }, /Unrecognized key/],
    [
      'a string value',
      validMessage({ readings: [{ ts: NOW, values: { vibration_rms: '1' as unknown as number } }] }),
      /vibration_rms/,
    ],
    [
      'a huge value',
      validMessage({ readings: [{ ts: NOW, values: { vibration_rms: 1e300 } }] }),
      /finite numbers within/,
    ],
    [
      'seconds instead of ms',
      validMessage({ readings: [{ ts: 1_700_000_000, values: { vibration_rms: 1 } }] }),
      /epoch milliseconds/,
    ],
  ])('when a message has %s, refuses it with a reason naming the problem', (_, msg, reason) => {
    expect(reasonOf(msg)).toMatch(reason);
  });

  it('when a value overflows to Infinity in JSON, refuses it', () => {
    const text = JSON.stringify(validMessage()).replace('"vibration_rms":1.5', '"vibration_rms":1e400');
    expect(reasonOf(text)).toMatch(/readings\.0\.values\.vibration_rms: .*received Infinity/);
  });

  it('when a message carries more readings than the limit, refuses it', () => {
    const msg = validMessage({}, TELEMETRY_LIMITS.maxReadingsPerMessage + 1);
    expect(reasonOf(msg)).toMatch(/at most 500 readings/);
  });

  it('when a reading is too far in the future or the past, refuses it', () => {
    const future = validMessage({ readings: [{ ts: NOW + 10 * 60_000, values: { vibration_rms: 1 } }] });
    const old = validMessage({ readings: [{ ts: NOW - 31 * 86_400_000, values: { vibration_rms: 1 } }] });
    expect(reasonOf(future)).toMatch(/is in the future/);
    expect(reasonOf(old)).toMatch(/older than 30 days/);
  });

  it('when exported as JSON Schema, states the version, the limits and the required fields', () => {
    const schema = telemetryJsonSchema();
    expect(schema.$id).toBe('https://aiot.dev/schemas/aiot.telemetry/1.json');
    expect(schema.required).toEqual(['schema', 'deviceId', 'site', 'seq', 'units', 'readings']);
    expect(schema.description).toMatch(/readings ≤ 500/);
    expect(JSON.stringify(schema)).toContain('"maxItems":500');
  });
});

describe('published JSON Schema', () => {
  it('when compared with the contract, the committed schemas/telemetry.schema.json is up to date (npm run schema)', () => {
    const committed = JSON.parse(
      readFileSync(join(__dirname, '../../schemas/telemetry.schema.json'), 'utf8'),
    );
    expect(committed).toEqual(telemetryJsonSchema());
  });
});
