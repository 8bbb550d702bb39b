/** Runs `fn` `n` times one after another and prints its p50 and p95 wall-clock latency. */
export async function printLatency(what: string, fn: () => Promise<unknown>, n = 50): Promise<void> {
  const samples: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t) / 1e6);
  }
  samples.sort((a, b) => a - b);
  console.log(
    `  ${what.padEnd(44)} p50 ${samples[n >> 1]!.toFixed(2)} ms  p95 ${samples[Math.floor(n * 0.95)]!.toFixed(2)} ms`,
  );
}
