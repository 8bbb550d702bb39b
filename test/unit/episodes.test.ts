import {
  DEFAULT_EPISODE_POLICY,
  EpisodeTracker,
  escalatesToCritical,
  opensEpisode,
  startsResponse,
  stepEpisode,
} from '../../core/episodes';
import { severityOf } from '../../core/severity';

const T0 = Date.UTC(2026, 10, 24, 12);
const S = 1000;
const THRESHOLDS = { severity: { warning: 0.85, critical: 0.95 } };
const reading = (ts: number, score: number) => ({ ts, score, severity: severityOf(score, THRESHOLDS) });

/** Feeds (seconds after T0, score) pairs to one device and returns the kinds of step, opened/escalated only. */
function told(tracker: EpisodeTracker, points: readonly (readonly [number, number])[], deviceId = 'pump-1') {
  return points
    .map(([s, score]) => [s, tracker.observe(deviceId, reading(T0 + s * S, score)).kind] as const)
    .filter(([, kind]) => kind !== 'none');
}

describe('episodes', () => {
  it('when a device stays anomalous for minutes, one episode is opened and nothing more is told', () => {
    const tracker = new EpisodeTracker();
    // 10 readings a second for 4 minutes, every other one a warning.
    const points = Array.from({ length: 2400 }, (_, i) => [i / 10, i % 2 ? 0.9 : 0.2] as const);
    expect(told(tracker, points)).toEqual([[0.1, 'opened']]);
    expect(tracker.get('pump-1')).toEqual({
      startedAt: T0 + 100,
      lastAnomalyAt: T0 + 239_900,
      severity: 'warning',
      peakScore: 0.9,
    });
  });

  it('when an open episode reaches critical, it is escalated once, and later criticals are not told again', () => {
    const tracker = new EpisodeTracker();
    expect(
      told(tracker, [
        [0, 0.86],
        [10, 0.9],
        [20, 0.97],
        [30, 0.99],
        [40, 0.88],
        [50, 0.96],
      ]),
    ).toEqual([
      [0, 'opened'],
      [20, 'escalated'],
    ]);
    expect(tracker.get('pump-1')).toMatchObject({ startedAt: T0, severity: 'critical', peakScore: 0.99 });
  });

  it('when an escalation is stepped, it names the severity it came from and keeps the opening time', () => {
    const opened = stepEpisode(undefined, reading(T0, 0.9)).state;
    const { step } = stepEpisode(opened, reading(T0 + 5 * S, 0.99));
    expect(step).toEqual({
      kind: 'escalated',
      from: 'warning',
      episode: { startedAt: T0, lastAnomalyAt: T0 + 5 * S, severity: 'critical', peakScore: 0.99 },
    });
  });

  it('when the quiet time passes without a warning, the episode closes and the next warning opens a new one', () => {
    const tracker = new EpisodeTracker({ quietMs: 300 * S });
    expect(
      told(tracker, [
        [0, 0.9],
        [299, 0.9], // 299 s after the first: still the same episode
        [500, 0.1],
        [598, 0.9], // 299 s after the last warning: still open
        [898, 0.5], // quiet for exactly 300 s: closed
        [899, 0.9],
      ]),
    ).toEqual([
      [0, 'opened'],
      [899, 'opened'],
    ]);
  });

  it('when a quiet info reading closes an episode, the step says which one it closed', () => {
    const opened = stepEpisode(undefined, reading(T0, 0.9)).state;
    const r = stepEpisode(opened, reading(T0 + DEFAULT_EPISODE_POLICY.quietMs, 0.1));
    expect(r.state).toBeUndefined();
    expect(r.step.kind).toBe('none');
    expect(r.closed).toEqual(opened);
  });

  it('when the detector is learning (score 0), nothing is ever opened', () => {
    const tracker = new EpisodeTracker();
    expect(
      told(
        tracker,
        Array.from({ length: 300 }, (_, i) => [i, 0] as const),
      ),
    ).toEqual([]);
    expect(tracker.size).toBe(0);
  });

  it('when devices interleave, each has its own episode', () => {
    const tracker = new EpisodeTracker();
    expect(tracker.observe('a', reading(T0, 0.9)).kind).toBe('opened');
    expect(tracker.observe('b', reading(T0 + S, 0.9)).kind).toBe('opened');
    expect(tracker.observe('a', reading(T0 + 2 * S, 0.9)).kind).toBe('none');
    expect(tracker.size).toBe(2);
  });

  it('when a late reading arrives inside an episode, it neither reopens nor stretches it', () => {
    const tracker = new EpisodeTracker();
    tracker.observe('a', reading(T0 + 10 * S, 0.9));
    expect(tracker.observe('a', reading(T0 + 5 * S, 0.9)).kind).toBe('none');
    expect(tracker.get('a')?.lastAnomalyAt).toBe(T0 + 10 * S);
  });

  it('when a device goes silent, the injected clock closes its episode after the quiet time', () => {
    let now = T0;
    const tracker = new EpisodeTracker({ quietMs: 60 * S }, () => now);
    tracker.observe('a', reading(T0, 0.96));
    tracker.observe('b', reading(T0 + 30 * S, 0.9));
    now = T0 + 59 * S;
    expect(tracker.closeQuiet().size).toBe(0);
    now = T0 + 60 * S;
    expect([...tracker.closeQuiet().keys()]).toEqual(['a']);
    expect(tracker.get('a')).toBeUndefined();
    expect(tracker.get('b')).toBeDefined();
  });

  it('when an episode is saved and restored, it continues as the same episode; a bad one is refused', () => {
    const first = new EpisodeTracker();
    first.observe('a', reading(T0, 0.9));
    const saved = JSON.parse(JSON.stringify(first.get('a')));
    const second = new EpisodeTracker();
    second.restore('a', saved);
    expect(second.observe('a', reading(T0 + 10 * S, 0.9)).kind).toBe('none');
    expect(() => second.restore('b', { startedAt: 'yesterday' })).toThrow();
    expect(() => second.restore('b', { ...saved, severity: 'info' })).toThrow();
  });

  it('when the policy has no quiet time, it is refused', () => {
    expect(() => new EpisodeTracker({ quietMs: 0 })).toThrow('quietMs must be positive');
  });

  it('when an episode escalates to critical, that event starts the workflow too; other escalations do not', () => {
    expect(startsResponse({ ts: T0, episodeStart: T0, severity: 'warning' })).toBe(true);
    expect(escalatesToCritical({ ts: T0 + S, episodeStart: T0, severity: 'critical' })).toBe(true);
    expect(startsResponse({ ts: T0 + S, episodeStart: T0, severity: 'critical' })).toBe(true);
    expect(startsResponse({ ts: T0 + S, episodeStart: T0, severity: 'warning' })).toBe(false);
    expect(escalatesToCritical({ ts: T0, episodeStart: T0, severity: 'critical' })).toBe(false);
    expect(escalatesToCritical({ ts: T0, severity: 'critical' })).toBe(false);
  });

  it('when an event opens its episode (or has none), it opens it; an escalation does not', () => {
    expect(opensEpisode({ ts: T0 })).toBe(true);
    expect(opensEpisode({ ts: T0, episodeStart: T0 })).toBe(true);
    expect(opensEpisode({ ts: T0 + S, episodeStart: T0 })).toBe(false);
  });
});
