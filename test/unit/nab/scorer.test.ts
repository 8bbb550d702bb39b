import {
  NAB_PROFILES,
  probationaryRows,
  type ScoredFile,
  scaledSigmoid,
  scoreCorpus,
  sweepScores,
} from '../../nab';

/** 20 rows at 5-minute steps; the probation is floor(0.15 * 20) = 3 rows. */
function file(scores: Record<number, number>, windows: [number, number][] = [[10, 14]]): ScoredFile {
  const timestamps = Array.from({ length: 20 }, (_, i) => {
    const minutes = i * 5;
    return `2024-01-01 ${String(Math.floor(minutes / 60)).padStart(2, '0')}:${String(minutes % 60).padStart(2, '0')}:00`;
  });
  return {
    name: 'hand/made.csv',
    timestamps,
    scores: timestamps.map((_, i) => scores[i] ?? 0),
    windows: windows.map(
      ([a, b]) => [`${timestamps[a]}.000000`, `${timestamps[b]}.000000`] as [string, string],
    ),
  };
}

describe('scaledSigmoid', () => {
  it('when the position is the window start, gives 2/(1+e^-5)-1', () => {
    // 2 / (1 + 0.0067379) - 1 = 0.9866143
    expect(scaledSigmoid(-1)).toBeCloseTo(0.9866143, 6);
  });

  it('when the position is past 3 window widths, gives -1', () => {
    expect(scaledSigmoid(3.01)).toBe(-1);
  });
});

describe('probationaryRows', () => {
  it('when the file is long, caps the probation at 750 rows', () => {
    expect(probationaryRows(20)).toBe(3);
    expect(probationaryRows(10000)).toBe(750);
  });
});

describe('sweepScores', () => {
  it('when a row follows a window, costs fpWeight times the sigmoid of its distance over width - 1', () => {
    // Window rows 10..14 (width 5); row 16 sits at (16 - 14) / (5 - 1) = 0.5:
    // 2 / (1 + e^2.5) - 1 = -0.8482836, times 0.11 = -0.0933112.
    const { sweep, windowId, scored } = sweepScores(20, [[10, 14]], NAB_PROFILES.standard);
    expect(sweep[16]).toBeCloseTo(-0.0933112, 6);
    expect(sweep[5]).toBeCloseTo(-0.11, 10);
    expect(sweep[10]).toBeCloseTo(1, 10);
    expect(windowId[12]).toBe(0);
    expect(windowId[15]).toBe(-1);
    expect(scored[2]).toBe(0);
    expect(scored[3]).toBe(1);
  });
});

describe('scoreCorpus', () => {
  it('when the only detection is at the window start and the false positives score lower, scores 100', () => {
    // Threshold 0.9 detects row 10 only: raw = -1 (null) + 1 (fn undone) + 1 (tp) = 1.
    // Lower thresholds add the FP at row 5 (-0.11) and row 16 (-0.0933), so 0.9 is best.
    // normalised = 100 * (1 - (-1)) / (1 - (-1)) = 100.
    const result = scoreCorpus([file({ 10: 0.9, 5: 0.8, 16: 0.7 })], NAB_PROFILES.standard);
    expect(result.threshold).toBe(0.9);
    expect(result.raw).toBeCloseTo(1, 10);
    expect(result.normalized).toBeCloseTo(100, 10);
  });

  it('when a stronger false positive precedes a mid-window detection, pays for it under every profile', () => {
    // Row 12 sits at -(14 - 12 + 1) / 5 = -0.6: (2 / (1 + e^-3) - 1) / 0.9866143 = 0.9174287.
    // Row 5 (0.95) has no window before it: -fpWeight.
    // standard:  raw = -1 - 0.11 + 1 + 0.9174287 = 0.8074287; 100 * 1.8074287 / 2 = 90.3714
    // low FP:    raw = -1 - 0.22 + 1 + 0.9174287 = 0.6974287; 100 * 1.6974287 / 2 = 84.8714
    // low FN:    raw = -2 - 0.11 + 2 + 0.9174287 = 0.8074287; 100 * 2.8074287 / 3 = 93.5810
    const f = file({ 5: 0.95, 12: 0.9 });
    expect(scoreCorpus([f], NAB_PROFILES.standard).normalized).toBeCloseTo(90.3714, 3);
    expect(scoreCorpus([f], NAB_PROFILES.reward_low_FP_rate).normalized).toBeCloseTo(84.8714, 3);
    expect(scoreCorpus([f], NAB_PROFILES.reward_low_FN_rate).normalized).toBeCloseTo(93.581, 3);
  });

  it('when two rows of a window are detected, counts only the earliest', () => {
    // Threshold 0.9 detects row 13 (position -0.4): (2 / (1 + e^-2) - 1) / 0.9866143 = 0.7719269.
    // Threshold 0.6 adds row 11 (position -0.8): 0.9771068 replaces it, raw = 0.9771068;
    // normalised = 100 * 1.9771068 / 2 = 98.8553.
    const result = scoreCorpus([file({ 11: 0.6, 13: 0.9 })], NAB_PROFILES.standard);
    expect(result.threshold).toBe(0.6);
    expect(result.truePositives).toBe(1);
    expect(result.normalized).toBeCloseTo(98.8553, 3);
  });

  it('when the threshold falls to 0, every scored row is a detection and each false one costs', () => {
    // At threshold 0: the window is found at its start (+1 tp, +1 fn undone); rows 3..9 cost
    // 7 * 0.11 = 0.77; rows 15..19 sit at (i - 14) / 4 = 0.25 .. 1.25 past the window:
    // 0.11 * (-0.5545997 - 0.8482836 - 0.9540453 - 0.9866143 - 0.9961465) = -0.4773658.
    // raw = -1 + 2 - 0.77 - 0.4773658 = -0.2473658, better than threshold 0.5 (row 6 only,
    // -1.11) and than the null (-1); normalised = 100 * 0.7526342 / 2 = 37.6317.
    const result = scoreCorpus([file({ 6: 0.5 })], NAB_PROFILES.standard);
    expect(result.threshold).toBe(0);
    expect(result.raw).toBeCloseTo(-0.2473658, 6);
    expect(result.normalized).toBeCloseTo(37.6317, 3);
  });

  it('when files are scored together, one threshold serves the whole corpus', () => {
    // File A needs threshold <= 0.4 for its window (row 10, +2 over null); file B has an FP
    // at 0.5 (-0.11). The best common threshold is 0.4: raw = -2 + 2 - 0.11 = -0.11,
    // normalised = 100 * (-0.11 + 2) / 4 = 47.25.
    const a = { ...file({ 10: 0.4 }), name: 'a.csv' };
    const b = { ...file({ 5: 0.5, 10: 0 }), name: 'b.csv' };
    const result = scoreCorpus([a, b], NAB_PROFILES.standard);
    expect(result.threshold).toBe(0.4);
    expect(result.normalized).toBeCloseTo(47.25, 6);
  });
});
