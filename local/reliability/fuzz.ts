import { Random } from '../../device/simulator/random';

/** The kinds of bad input the fuzzer sends, and its share of the payloads. */
export const FUZZ_KINDS = {
  'random bytes': 0.19,
  'truncated JSON': 0.15,
  'oversized JSON': 0.01,
  'wrong types': 0.15,
  'NaN, Infinity, 1e999': 0.12,
  'deep nesting': 0.08,
  'wrong schema version': 0.12,
  "another device's topic": 0.03,
  'Basic Ingest to no rule': 0.15,
} as const;
export type FuzzKind = keyof typeof FUZZ_KINDS | 'slow drip';

/** One bad publish: where it goes (relative to the fuzzing client's own device id) and what it carries. */
export interface FuzzPayload {
  readonly kind: FuzzKind;
  /** `own`: the client's telemetry topic; `other`: another device's; `no-rule`: Basic Ingest naming no rule. */
  readonly target: 'own' | 'other' | 'no-rule';
  readonly payload: Buffer;
}

/** A well-formed message of `deviceId`, as the contract wants it, for the fuzzer to break. */
export function wellFormed(
  deviceId: string,
  site: string,
  seq: number,
  now: number,
): Record<string, unknown> {
  return {
    schema: 'aiot.telemetry/1',
    deviceId,
    site,
    seq,
    units: { vibration_rms: 'mm/s', bearing_temp_c: 'degC' },
    readings: [
      { ts: now - 1000, values: { vibration_rms: 2.1, bearing_temp_c: 44.5 } },
      { ts: now, values: { vibration_rms: 2.2, bearing_temp_c: 44.6 } },
    ],
  };
}

/**
 * Seeded bad payloads, every one of which the platform must quarantine with a reason: the same
 * seed gives the same payloads. Time enters only through `now` (readings otherwise valid).
 */
export class Fuzzer {
  private readonly random: Random;
  private readonly kinds: [FuzzKind, number][];
  private seq = 0;

  constructor(
    seed: number,
    private readonly site: string,
  ) {
    this.random = new Random(seed);
    let cumulative = 0;
    this.kinds = Object.entries(FUZZ_KINDS).map(([k, share]) => {
      cumulative += share;
      return [k as FuzzKind, cumulative];
    });
  }

  next(deviceId: string, now: number): FuzzPayload {
    const r = this.random.next() * this.kinds[this.kinds.length - 1]![1];
    const kind = this.kinds.find(([, upTo]) => r < upTo)?.[0] ?? 'random bytes';
    return this.make(kind, deviceId, now);
  }

  make(kind: FuzzKind, deviceId: string, now: number): FuzzPayload {
    const rnd = this.random;
    const message = wellFormed(deviceId, this.site, this.seq++, now);
    const own = (payload: string | Buffer): FuzzPayload => ({
      kind,
      target: 'own',
      payload: Buffer.from(payload),
    });
    switch (kind) {
      case 'random bytes': {
        // Starts with a byte no JSON text starts with, so no draw is valid JSON by chance.
        const bytes = Buffer.alloc(rnd.int(8, 512));
        for (let i = 0; i < bytes.length; i++) bytes[i] = rnd.int(0, 255);
        bytes[0] = 0xff;
        return own(bytes);
      }
      case 'truncated JSON':
      case 'slow drip': {
        const text = JSON.stringify(message);
        return own(kind === 'slow drip' ? text.slice(0, -1) : text.slice(0, rnd.int(1, text.length - 1)));
      }
      case 'oversized JSON': {
        // Over the contract's 128 KiB: many readings, every one of them valid.
        const readings = Array.from({ length: 2600 }, (_, i) => ({
          ts: now - 2600 + i,
          values: { vibration_rms: 2 + i / 10_000, bearing_temp_c: 44 },
        }));
        return own(JSON.stringify({ ...message, readings }));
      }
      case 'wrong types': {
        const breakages: ((m: Record<string, unknown>) => void)[] = [
          (m) => {
            m.seq = String(m.seq);
          },
          (m) => {
            m.readings = { ts: now };
          },
          (m) => {
            m.readings = [{ ts: String(now), values: { vibration_rms: 2 } }];
          },
          (m) => {
            m.readings = [{ ts: now, values: { vibration_rms: '2.1' } }];
          },
          (m) => {
            m.units = ['mm/s'];
          },
          (m) => {
            m.deviceId = 42;
          },
          (m) => {
            m.readings = [{ ts: now, values: { vibration_rms: true } }];
          },
        ];
        rnd.pick(breakages)(message);
        return own(JSON.stringify(message));
      }
      case 'NaN, Infinity, 1e999': {
        const bad = rnd.pick(['NaN', 'Infinity', '-Infinity', '1e999', '-1e999']);
        return own(JSON.stringify(message).replace('"vibration_rms":2.2', `"vibration_rms":${bad}`));
      }
      case 'deep nesting': {
        const depth = rnd.int(50, 5000);
        return own(`${'{"values":'.repeat(depth)}1${'}'.repeat(depth)}`);
      }
      case 'wrong schema version': {
        message.schema = rnd.pick(['aiot.telemetry/2', 'aiot.telemetry/0', 'aiot.telemetry', '', null]);
        return own(JSON.stringify(message));
      }
      case "another device's topic":
        return { kind, target: 'other', payload: Buffer.from(JSON.stringify(message)) };
      case 'Basic Ingest to no rule':
        return { kind, target: 'no-rule', payload: Buffer.from(JSON.stringify(message)) };
    }
  }
}
