import fc from 'fast-check';
import { matchesSchema, TELEMETRY_SCHEMA_VERSION, TelemetryMessageSchema } from '../../core/telemetry';

/** Mostly valid values, sometimes one that breaks a rule, so messages land on both sides of the contract. */
const field = <T, U>(valid: fc.Arbitrary<T>, broken: fc.Arbitrary<U>) =>
  fc.oneof({ arbitrary: valid, weight: 19 }, { arbitrary: broken, weight: 1 });
const anyJson = fc.oneof(fc.string(), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const measureName = field(
  fc.constantFrom('vibration_rms', 'bearing_temp_c', 'a'),
  fc.constantFrom('Bad', '1x', '', 'x'.repeat(65)),
);
const measureValue = field(
  fc.double({ min: -1e12, max: 1e12, noNaN: true }),
  fc.oneof(fc.constantFrom(1e13, -1e13, Number.POSITIVE_INFINITY, Number.NaN), anyJson),
);
const reading = fc.record({
  ts: field(
    fc.integer({ min: 978_307_200_000, max: 2_000_000_000_000 }),
    fc.oneof(fc.constantFrom(1_700_000_000, 1.5e12 + 0.5), anyJson),
  ),
  values: fc.dictionary(measureName, measureValue, { minKeys: 1, maxKeys: 3 }),
});
const brokenReading = fc.oneof(
  anyJson,
  fc.record({ ts: fc.constant(1.6e12), values: fc.constant({}), extra: anyJson }),
);
const base = fc.record({
  schema: field(fc.constant(TELEMETRY_SCHEMA_VERSION), fc.oneof(fc.constant('aiot.telemetry/2'), anyJson)),
  deviceId: field(
    fc.constantFrom('AIOT-0000000A', 'd_1'),
    fc.oneof(fc.constantFrom('', 'bad id', 'x'.repeat(129)), anyJson),
  ),
  site: field(fc.constantFrom('plant-a', 's1'), fc.oneof(fc.constantFrom('Plant', '-x', ''), anyJson)),
  seq: field(fc.nat(), fc.oneof(fc.constantFrom(-1, 1.5, 2 ** 53), anyJson)),
  units: field(
    fc.dictionary(measureName, fc.constantFrom('mm/s', 'degC')),
    fc.oneof(fc.constant({ a: '' }), anyJson),
  ),
  readings: field(
    fc.array(field(reading, brokenReading), { minLength: 1, maxLength: 3 }),
    fc.oneof(fc.constant([]), anyJson),
  ),
});
// Now and then a key is missing or an unknown key is added.
const message = fc.tuple(base, fc.nat({ max: 30 }), anyJson).map(([m, k, extra]) => {
  const out: Record<string, unknown> = { ...m };
  const keys = Object.keys(out);
  if (k < keys.length) delete out[keys[k]!];
  else if (k === 29) out.extra = extra;
  return out;
});

describe('telemetry contract checks', () => {
  it('when sampling the generator, yields both valid and invalid messages (so the agreement test exercises both)', () => {
    const valid = fc
      .sample(message, { numRuns: 3000, seed: 42 })
      .filter((m) => TelemetryMessageSchema.safeParse(m).success);
    expect(valid.length).toBeGreaterThan(300);
    expect(valid.length).toBeLessThan(2700);
  });

  it('when given any near-valid or broken message, the compiled check and the zod schema agree', () => {
    fc.assert(
      fc.property(message, (m) => {
        expect(matchesSchema(m)).toBe(TelemetryMessageSchema.safeParse(m).success);
      }),
      { numRuns: 5000 },
    );
  });
});
