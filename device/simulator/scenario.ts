import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { SiteSchema } from '../../core/telemetry';
import { mixSeed, Random } from './random';

/** The measures of the rotating-machine model, with their units. */
export const MACHINE_UNITS = {
  vibration_rms: 'mm/s',
  bearing_temp_c: 'degC',
  motor_current_a: 'A',
  pressure_kpa: 'kPa',
} as const;
export type Measure = keyof typeof MACHINE_UNITS;
export const MEASURES = Object.keys(MACHINE_UNITS) as [Measure, ...Measure[]];

export const FAULT_KINDS = [
  'bearing-wear',
  'overheating',
  'sensor-drift',
  'stuck-sensor',
  'spikes',
  'network-outage',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** The measure a sensor fault hits when the scenario names none. */
export const DEFAULT_FAULT_MEASURE: Partial<Record<FaultKind, Measure>> = {
  'sensor-drift': 'pressure_kpa',
  'stuck-sensor': 'vibration_rms',
  spikes: 'vibration_rms',
};

const FaultSchema = z
  .strictObject({
    kind: z.enum(FAULT_KINDS),
    /** Device id (`<prefix>-0003`) or index (3) in the fleet. */
    device: z.union([z.string().min(1), z.number().int().min(0)]),
    /** Seconds from the start of the run. */
    startS: z.number().min(0),
    endS: z.number().positive(),
    /** The measure a sensor fault (drift, stuck, spikes) hits. */
    measure: z.enum(MEASURES).optional(),
    /** Strength relative to the default effect (1 = default). */
    magnitude: z.number().positive().max(10).default(1),
  })
  .refine((f) => f.endS > f.startS, { message: 'endS must be after startS', path: ['endS'] });

const RandomFaultsSchema = z
  .strictObject({
    /** How many faults to place on random devices at random times (deterministic per seed). */
    count: z.number().int().min(0).max(100_000),
    kinds: z
      .array(z.enum(FAULT_KINDS))
      .min(1)
      .default([...FAULT_KINDS]),
    minDurationS: z.number().positive().default(30),
    maxDurationS: z.number().positive().default(120),
    /** No fault starts before this (the detector needs time to learn normal behaviour). */
    earliestS: z.number().min(0).default(0),
  })
  .refine((r) => r.maxDurationS >= r.minDurationS, {
    message: 'maxDurationS must be at least minDurationS',
    path: ['maxDurationS'],
  });

export const ScenarioSchema = z.strictObject({
  description: z.string().max(2000).optional(),
  seed: z
    .number()
    .int()
    .min(0)
    .max(2 ** 32 - 1)
    .default(1),
  site: SiteSchema.default('sim'),
  /** Device ids are `<prefix>-<index, 4 digits>`. */
  devicePrefix: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,100}$/, 'devicePrefix: letters, digits, _ and - only')
    .default('sim'),
  devices: z.number().int().min(1).max(100_000).default(5),
  durationS: z.number().positive().default(60),
  /** Sampling rate of every device (Hz); a `sampling-rate` command changes one device's. */
  rateHz: z.number().min(0.01).max(100).default(1),
  batch: z
    .strictObject({
      maxReadings: z.number().int().min(1).max(500).default(10),
      maxDelayMs: z.number().int().min(0).max(60_000).default(1000),
    })
    .default({ maxReadings: 10, maxDelayMs: 1000 }),
  /** Length of the simulated day (seconds): shorten it to see daily cycles in a short run. */
  dayLengthS: z.number().positive().default(86_400),
  /** Period of the machine's work cycle (seconds): running under load, then idling. */
  dutyCycleS: z.number().positive().default(600),
  faults: z.array(FaultSchema).default([]),
  randomFaults: RandomFaultsSchema.optional(),
});
export type Scenario = z.infer<typeof ScenarioSchema>;
export type ScenarioInput = z.input<typeof ScenarioSchema>;
export type FaultSpec = z.infer<typeof FaultSchema>;

/** One injected fault, as the ground truth records it. */
export interface FaultRecord {
  readonly deviceId: string;
  readonly kind: FaultKind;
  readonly measure?: Measure;
  readonly magnitude: number;
  /** Seconds from the start of the run. */
  readonly startS: number;
  readonly endS: number;
  /** Epoch milliseconds (the readings' clock); set when the run starts. */
  startMs?: number;
  endMs?: number;
}

/** Validates a scenario object; the error names every bad field. */
export function parseScenario(input: unknown, source = 'scenario'): Scenario {
  const parsed = ScenarioSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .map((i) => `  - ${i.path.join('.') || '(root)'}: ${i.message}`)
      .join('\n');
    throw new Error(`${source} is invalid:\n${problems}`);
  }
  return parsed.data;
}

/** Reads and validates a scenario file (JSON). */
export function loadScenario(path: string): Scenario {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new Error(`cannot read scenario ${path}: ${(e as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new Error(`scenario ${path} is not JSON: ${(e as Error).message}`);
  }
  return parseScenario(json, `scenario ${path}`);
}

export const deviceIdOf = (s: Pick<Scenario, 'devicePrefix'>, index: number): string =>
  `${s.devicePrefix}-${String(index).padStart(4, '0')}`;

/**
 * Turns the scenario's fault list and random faults into concrete faults on concrete devices:
 * the ground truth. Deterministic for a given scenario (its seed included).
 */
export function planFaults(s: Scenario): FaultRecord[] {
  const ids = Array.from({ length: s.devices }, (_, i) => deviceIdOf(s, i));
  const resolveDevice = (d: string | number): string => {
    if (typeof d === 'number') {
      if (d >= s.devices)
        throw new Error(`fault on device index ${d}, but the fleet has ${s.devices} devices`);
      return ids[d]!;
    }
    if (!ids.includes(d)) throw new Error(`fault on device "${d}", which is not in the fleet (${ids[0]} …)`);
    return d;
  };
  const faults: FaultRecord[] = s.faults.map((f) => ({
    deviceId: resolveDevice(f.device),
    kind: f.kind,
    measure: f.measure ?? DEFAULT_FAULT_MEASURE[f.kind],
    magnitude: f.magnitude,
    startS: f.startS,
    endS: f.endS,
  }));
  if (s.randomFaults && s.randomFaults.count > 0) {
    const r = s.randomFaults;
    const rng = new Random(mixSeed(s.seed, 0xfa017));
    const latestStart = s.durationS - r.minDurationS;
    if (latestStart < r.earliestS) {
      throw new Error(
        `randomFaults: a ${r.minDurationS}s fault starting after ${r.earliestS}s does not fit in a ${s.durationS}s run`,
      );
    }
    for (let i = 0; i < r.count; i++) {
      const kind = rng.pick(r.kinds);
      const startS = Math.round(rng.uniform(r.earliestS, latestStart));
      const duration = Math.round(rng.uniform(r.minDurationS, r.maxDurationS));
      faults.push({
        deviceId: rng.pick(ids),
        kind,
        measure: DEFAULT_FAULT_MEASURE[kind],
        magnitude: 1,
        startS,
        endS: Math.min(s.durationS, startS + duration),
      });
    }
  }
  return faults.sort((a, b) => a.startS - b.startS || a.deviceId.localeCompare(b.deviceId));
}
