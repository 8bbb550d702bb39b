import { join } from 'node:path';
import { RotatingMachine } from '../../../device/simulator/machine';
import {
  FAULT_KINDS,
  type FaultRecord,
  loadScenario,
  MEASURES,
  parseScenario,
  planFaults,
} from '../../../device/simulator/scenario';

const fault = (over: Partial<FaultRecord>): FaultRecord => ({
  deviceId: 'sim-0000',
  kind: 'bearing-wear',
  magnitude: 1,
  startS: 100,
  endS: 200,
  ...over,
});

/** Runs a machine at 1 Hz for `seconds` and returns each measure's series. */
function run(seed: number, seconds: number, faults: FaultRecord[] = [], safeMode = false) {
  const m = new RotatingMachine({ seed, index: 0, dutyCycleS: 60 });
  const series: Record<string, number[]> = Object.fromEntries(MEASURES.map((k) => [k, []]));
  for (let t = 0; t < seconds; t++) {
    const active = faults.filter((f) => f.startS <= t && t < f.endS);
    const r = m.step(t, 1, active, safeMode);
    for (const k of MEASURES) series[k]!.push(r[k]);
  }
  return series;
}
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

describe('scenario', () => {
  it('when the sample scenario is loaded, it validates and names one device per fault', () => {
    const s = loadScenario(join(__dirname, '../../../device/scenarios/demo.json'));
    const truth = planFaults(s);
    expect(truth).toHaveLength(s.faults.length + s.randomFaults!.count);
    expect(new Set(truth.map((f) => f.kind))).toEqual(new Set(FAULT_KINDS));
    expect(truth.every((f) => f.endS > f.startS && f.endS <= s.durationS)).toBe(true);
  });

  it('when a field is wrong, the error names it', () => {
    expect(() =>
      parseScenario({ devices: 0, faults: [{ kind: 'melting', device: 0, startS: 5, endS: 1 }] }),
    ).toThrow(/devices:[\s\S]*faults\.0\.kind/);
    expect(() => parseScenario({ faults: [{ kind: 'spikes', device: 0, startS: 5, endS: 1 }] })).toThrow(
      'faults.0.endS: endS must be after startS',
    );
    expect(() =>
      planFaults(parseScenario({ devices: 2, faults: [{ kind: 'spikes', device: 7, startS: 0, endS: 1 }] })),
    ).toThrow('fault on device index 7, but the fleet has 2 devices');
  });

  it('when random faults are planned twice with the same seed, they are the same; another seed differs', () => {
    const plan = (seed: number) =>
      planFaults(parseScenario({ seed, devices: 20, durationS: 3600, randomFaults: { count: 10 } }));
    expect(plan(7)).toEqual(plan(7));
    expect(plan(7)).not.toEqual(plan(8));
  });
});

describe('RotatingMachine', () => {
  it('when run twice with one seed, it gives the same readings; another seed gives others', () => {
    expect(run(3, 300)).toEqual(run(3, 300));
    expect(run(3, 300).vibration_rms).not.toEqual(run(4, 300).vibration_rms);
  });

  it('when healthy, every measure stays in a plausible band and follows the work cycle', () => {
    const s = run(1, 600);
    expect(Math.min(...s.bearing_temp_c!)).toBeGreaterThan(15);
    expect(Math.max(...s.bearing_temp_c!)).toBeLessThan(80);
    expect(Math.min(...s.vibration_rms!)).toBeGreaterThanOrEqual(0);
    // The load cycle shows in the current: running and idling differ clearly.
    const sorted = [...s.motor_current_a!].sort((a, b) => a - b);
    expect(
      sorted[Math.floor(sorted.length * 0.9)]! / sorted[Math.floor(sorted.length * 0.1)]!,
    ).toBeGreaterThan(1.8);
  });

  it('when the bearing wears, vibration and temperature rise by the end of the fault', () => {
    const healthy = run(1, 200);
    const worn = run(1, 200, [fault({ kind: 'bearing-wear', startS: 100, endS: 200 })]);
    expect(mean(worn.vibration_rms!.slice(180))).toBeGreaterThan(
      1.8 * mean(healthy.vibration_rms!.slice(180)),
    );
    expect(mean(worn.bearing_temp_c!.slice(180))).toBeGreaterThan(
      mean(healthy.bearing_temp_c!.slice(180)) + 3,
    );
  });

  it('when it overheats, the bearing temperature climbs far above normal', () => {
    const hot = run(1, 300, [fault({ kind: 'overheating', startS: 100, endS: 300 })]);
    const healthy = run(1, 300);
    expect(Math.max(...hot.bearing_temp_c!.slice(250))).toBeGreaterThan(
      Math.max(...healthy.bearing_temp_c!) + 20,
    );
  });

  it('when a sensor is stuck, it repeats one value for the whole fault and recovers after', () => {
    const s = run(1, 300, [
      fault({ kind: 'stuck-sensor', measure: 'vibration_rms', startS: 100, endS: 200 }),
    ]);
    expect(new Set(s.vibration_rms!.slice(100, 200)).size).toBe(1);
    expect(new Set(s.vibration_rms!.slice(200)).size).toBeGreaterThan(50);
  });

  it('when a sensor drifts, its reading moves away while the machine does not change', () => {
    const drift = run(1, 200, [
      fault({ kind: 'sensor-drift', measure: 'pressure_kpa', startS: 100, endS: 200 }),
    ]);
    const healthy = run(1, 200);
    expect(mean(drift.pressure_kpa!.slice(180))).toBeGreaterThan(
      1.2 * mean(healthy.pressure_kpa!.slice(180)),
    );
    expect(drift.motor_current_a!.slice(150)).toEqual(healthy.motor_current_a!.slice(150));
  });

  it('when spikes are injected, some readings jump far above the healthy maximum', () => {
    const spiky = run(1, 300, [fault({ kind: 'spikes', measure: 'vibration_rms', startS: 0, endS: 300 })]);
    const healthyMax = Math.max(...run(1, 300).vibration_rms!);
    expect(spiky.vibration_rms!.filter((v) => v > 1.3 * healthyMax).length).toBeGreaterThan(5);
  });

  it('when in safe mode, the machine runs at reduced load', () => {
    expect(mean(run(1, 300, [], true).motor_current_a!)).toBeLessThan(
      0.8 * mean(run(1, 300).motor_current_a!),
    );
  });
});
