/** Epoch milliseconds now; injected wherever time matters, so tests and replays control it. */
export type Clock = () => number;

/**
 * A clock that reads `startMs` when made and then advances with real time. A run paced by it
 * behaves as a live one, while every time of day it stamps is the same from one run to the next
 * (give it to every part of the run, so none mixes it with the wall clock).
 */
export function clockFrom(startMs: number): Clock {
  const origin = performance.now();
  return () => startMs + Math.floor(performance.now() - origin);
}
