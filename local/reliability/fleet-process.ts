/**
 * A simulated fleet in a process of its own, outside the platform under test (started by the
 * reliability benchmark, `aiot reliability`): real device agents, each with its own MQTT
 * connection and client id, store-and-forward queue and sequence numbers. It writes what the
 * broker acknowledged, message by message (device, seq, its readings' first and last time), to
 * `ackFile`, so the benchmark can check each one against the store.
 *
 * Reads one JSON argument ({@link FleetProcessConfig}); prints JSON lines: `{"event":"connected"}`
 * once every device is connected, `{"event":"progress",…}` every second, `{"event":"done",…}` at the end.
 */
import { writeFileSync } from 'node:fs';
import type { QueuedMessage } from '../../device/queue';
import { Fleet } from '../../device/simulator/fleet';

export interface FleetProcessConfig {
  readonly broker: string;
  readonly devices: number;
  readonly devicePrefix: string;
  readonly site: string;
  readonly rateHz: number;
  readonly batch: { readonly maxReadings: number; readonly maxDelayMs: number };
  readonly durationS: number;
  readonly seed: number;
  readonly stateDir: string;
  readonly ackFile: string;
  /** How long the fleet waits for every device to connect. */
  readonly connectTimeoutMs: number;
  /** How long the fleet waits at the end for its queues to drain. */
  readonly drainTimeoutMs: number;
}

/** One acknowledged message: seq, its first and last reading time, and how many readings it carried. */
export type AckedMessage = readonly [seq: number, firstTs: number, lastTs: number, readings: number];

export interface FleetProcessResult {
  readonly event: 'done';
  readonly connectMs: number;
  readonly rssBytes: number;
  readonly messages: number;
  readonly delivered: number;
  readonly undelivered: number;
  readonly droppedReadings: number;
  readonly reconnects: number;
}

export interface FleetProgressLine {
  readonly event: 'progress';
  readonly connected: number;
  readonly delivered: number;
  readonly queued: number;
}

const say = (line: object) => process.stdout.write(`${JSON.stringify(line)}\n`);

async function main(): Promise<void> {
  const config = JSON.parse(process.argv[2]!) as FleetProcessConfig;
  const baseRssBytes = process.memoryUsage().rss;
  const fleet = new Fleet({
    broker: config.broker,
    scenario: {
      seed: config.seed,
      site: config.site,
      devicePrefix: config.devicePrefix,
      devices: config.devices,
      durationS: config.durationS,
      rateHz: config.rateHz,
      batch: config.batch,
    },
    stateDir: config.stateDir,
    stage: 'local',
    // Telemetry is what is measured. Without command subscriptions the device SDK's native client
    // has no topic callbacks to make: aws-crt 1.33.1 once aborted in one (napi_create_string_utf8 on
    // a topic) while the outage relay was cutting connections.
    commands: false,
    connectTimeoutMs: config.connectTimeoutMs,
    drainTimeoutMs: config.drainTimeoutMs,
  });
  const acked = new Map<string, AckedMessage[]>();
  let delivered = 0;
  for (const [id, agent] of fleet.agents()) {
    const mine: AckedMessage[] = [];
    acked.set(id, mine);
    agent.on('delivered', (m: QueuedMessage) => {
      const readings = (JSON.parse(m.body) as { readings: { ts: number }[] }).readings;
      mine.push([m.seq, readings[0]!.ts, readings[readings.length - 1]!.ts, readings.length]);
      delivered++;
    });
  }
  const startedAt = performance.now();
  await fleet.start();
  const connectMs = performance.now() - startedAt;
  say({ event: 'connected', connectMs, rssBytes: process.memoryUsage().rss, baseRssBytes });
  const ticker = setInterval(() => {
    const p = fleet.progress();
    say({
      event: 'progress',
      connected: p.connected,
      delivered,
      queued: p.queuedMessages,
    } satisfies FleetProgressLine);
  }, 1000);
  await fleet.done;
  const summary = await fleet.stop();
  clearInterval(ticker);
  writeFileSync(config.ackFile, JSON.stringify(Object.fromEntries(acked)));
  say({
    event: 'done',
    connectMs,
    rssBytes: process.memoryUsage().rss,
    messages: summary.messages,
    delivered: summary.deliveredMessages,
    undelivered: summary.undeliveredMessages,
    droppedReadings: summary.droppedReadings,
    reconnects: summary.reconnects,
  } satisfies FleetProcessResult);
  // The SDK's native event loop may hold the process; the run is over.
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
