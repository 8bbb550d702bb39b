import { mixSeed, Random } from './random';
import type { FaultRecord, Measure } from './scenario';

export type MachineReading = Record<Measure, number>;

export interface MachineOptions {
  readonly seed: number;
  readonly index: number;
  /** @default 86400 */
  readonly dayLengthS?: number;
  /** @default 600 */
  readonly dutyCycleS?: number;
}

/** Thermal time constant of the bearing housing (seconds). */
const THERMAL_TAU_S = 90;
/** Share of the work cycle spent running under load. */
const DUTY_FRACTION = 0.7;
const round = (v: number) => Math.round(v * 1000) / 1000;

/**
 * A rotating machine (motor, pump) seen through four sensors. Load follows a work cycle
 * (running, then idling) and a daily cycle; vibration, motor current and pressure follow the
 * load, the bearing temperature follows it slowly (first-order lag) above a daily ambient.
 * Each machine gets its own nominal values and phases from the seed, so a fleet is not N
 * copies of one signal. Faults change either the machine (wear, overheating) or only what a
 * sensor reports (drift, stuck, spikes).
 */
export class RotatingMachine {
  private readonly rng: Random;
  private readonly nominal: MachineReading;
  private readonly dayLengthS: number;
  private readonly dutyCycleS: number;
  private readonly dayPhase: number;
  private readonly dutyPhase: number;
  private bearingTemp: number;
  /** Value a stuck sensor keeps reporting, by fault. */
  private readonly stuck = new Map<FaultRecord, number>();

  constructor(options: MachineOptions) {
    this.rng = new Random(mixSeed(options.seed, options.index, 0x4d41));
    const r = this.rng;
    this.nominal = {
      vibration_rms: r.uniform(1.8, 3.2),
      bearing_temp_c: r.uniform(30, 40),
      motor_current_a: r.uniform(18, 30),
      pressure_kpa: r.uniform(280, 360),
    };
    this.dayLengthS = options.dayLengthS ?? 86_400;
    this.dutyCycleS = options.dutyCycleS ?? 600;
    this.dayPhase = r.next();
    this.dutyPhase = r.next();
    this.bearingTemp = this.ambient(0) + this.nominal.bearing_temp_c * this.load(0, false);
  }

  /** Load in [0, 1]: the work cycle (smoothed square wave) scaled by the daily cycle. */
  load(tS: number, safeMode: boolean): number {
    const cycle = (tS / this.dutyCycleS + this.dutyPhase) % 1;
    // Smooth edges: the machine ramps up and down over 5 % of the cycle.
    const edge = 0.05;
    let running: number;
    if (cycle < edge) running = cycle / edge;
    else if (cycle < DUTY_FRACTION) running = 1;
    else if (cycle < DUTY_FRACTION + edge) running = 1 - (cycle - DUTY_FRACTION) / edge;
    else running = 0;
    const daily = 0.85 + 0.15 * Math.sin(2 * Math.PI * (tS / this.dayLengthS + this.dayPhase));
    const load = (0.25 + 0.7 * running) * daily;
    return safeMode ? Math.min(load, 0.3) : load;
  }

  private ambient(tS: number): number {
    return 22 + 4 * Math.sin(2 * Math.PI * (tS / this.dayLengthS + this.dayPhase - 0.25));
  }

  /**
   * Advances the machine by `dtS` to time `tS` (seconds from the start) and returns what the
   * sensors report, with the effects of the faults active at `tS`.
   */
  step(tS: number, dtS: number, faults: readonly FaultRecord[], safeMode: boolean): MachineReading {
    const r = this.rng;
    const n = this.nominal;
    const load = this.load(tS, safeMode);
    let vibration = n.vibration_rms * (0.35 + 0.65 * load);
    let vibrationNoise = 0.04 * n.vibration_rms;
    let current = n.motor_current_a * (0.3 + 0.7 * load);
    let tempRise = n.bearing_temp_c * load;
    const pressure = n.pressure_kpa * (0.75 + 0.25 * load);

    for (const f of faults) {
      const p = Math.min(1, Math.max(0, (tS - f.startS) / (f.endS - f.startS)));
      const m = f.magnitude;
      if (f.kind === 'bearing-wear') {
        // Wear grows slowly and then fast: vibration first, heat from friction with it.
        vibration += n.vibration_rms * 2.5 * m * p * p;
        vibrationNoise *= 1 + 2 * m * p;
        tempRise += 15 * m * p;
        current *= 1 + 0.05 * m * p;
      } else if (f.kind === 'overheating') {
        tempRise += 40 * m * Math.min(1, 3 * p);
        current *= 1 + 0.1 * m * Math.min(1, 3 * p);
      }
    }
    const target = this.ambient(tS) + tempRise;
    this.bearingTemp += (target - this.bearingTemp) * (1 - Math.exp(-dtS / THERMAL_TAU_S));

    const reading: MachineReading = {
      vibration_rms: Math.max(0, vibration + vibrationNoise * r.normal()),
      bearing_temp_c: this.bearingTemp + 0.15 * r.normal(),
      motor_current_a: Math.max(0, current + 0.01 * n.motor_current_a * r.normal()),
      pressure_kpa: pressure + 0.01 * n.pressure_kpa * r.normal(),
    };

    // Sensor faults change the report, not the machine.
    for (const f of faults) {
      if (!f.measure) continue;
      const p = Math.min(1, Math.max(0, (tS - f.startS) / (f.endS - f.startS)));
      if (f.kind === 'sensor-drift') {
        reading[f.measure] += 0.3 * f.magnitude * p * n[f.measure];
      } else if (f.kind === 'stuck-sensor') {
        if (!this.stuck.has(f)) this.stuck.set(f, reading[f.measure]);
        reading[f.measure] = this.stuck.get(f)!;
      } else if (f.kind === 'spikes') {
        if (r.next() < Math.min(1, 0.08 * f.magnitude)) {
          reading[f.measure] += n[f.measure] * r.uniform(1.5, 3) * (r.next() < 0.8 ? 1 : -1);
        }
      }
    }
    for (const k of Object.keys(reading) as Measure[]) reading[k] = round(reading[k]);
    return reading;
  }
}
