/**
 * Bad input from outside MQTT clients, in a process of its own (started by `aiot reliability`):
 * `count` seeded bad payloads ({@link Fuzzer}) from `clients` clients at about `ratePerS`, plus
 * `slowDrip` clients that send their publish a few bytes at a time. Each client publishes under
 * its own id (`fuzz-NNNN`). Prints one JSON line at the end: what was taken, by kind.
 */
import { connect as tcpConnect } from 'node:net';
import mqtt from 'mqtt';
import { basicIngestTopic, telemetryTopic } from '../../core/topics';
import { Fuzzer, type FuzzKind, type FuzzPayload } from './fuzz';

export interface FuzzProcessConfig {
  readonly broker: string;
  readonly count: number;
  readonly clients: number;
  readonly slowDrip: number;
  readonly ratePerS: number;
  readonly seed: number;
  readonly site: string;
}

export interface FuzzProcessResult {
  readonly event: 'done';
  /** Bad publishes the broker took (acknowledged, or refused and so quarantined by it), by kind. */
  readonly taken: Partial<Record<FuzzKind, number>>;
  readonly total: number;
  /** Publishes that failed on the client's side (the broker was not reached): not counted as taken. */
  readonly failed: number;
}

const config = JSON.parse(process.argv[2]!) as FuzzProcessConfig;
const { host, port } = (() => {
  const u = new URL(config.broker);
  return { host: u.hostname, port: Number(u.port || 1883) };
})();
const taken: Partial<Record<FuzzKind, number>> = {};
let failed = 0;
const count = (kind: FuzzKind) => {
  taken[kind] = (taken[kind] ?? 0) + 1;
};

/** The topic a bad payload goes to, for the fuzzing client `me`. */
function topicOf(p: FuzzPayload, me: string, n: number): string {
  const own = telemetryTopic(config.site, me);
  if (p.target === 'no-rule') return basicIngestTopic('aiot_no_such_rule', own);
  if (p.target === 'other') return telemetryTopic(config.site, `victim-${String(n).padStart(4, '0')}`);
  return own;
}

/** A publish on another device's topic: the broker refuses it and drops the connection (MQTT 3.1.1 has no negative acknowledgement). */
async function intrude(p: FuzzPayload, me: string, n: number): Promise<void> {
  const client = await mqtt.connectAsync(config.broker, { clientId: `${me}-x${n}`, reconnectPeriod: 0 });
  const closed = new Promise<void>((resolve) => client.once('close', () => resolve()));
  await client.publishAsync(topicOf(p, me, n), p.payload, { qos: 0 });
  await closed;
  client.end(true);
}

async function fuzzClient(index: number, payloads: number, fuzzer: Fuzzer, gapMs: number): Promise<void> {
  const me = `fuzz-${String(index).padStart(4, '0')}`;
  const client = await mqtt.connectAsync(config.broker, { clientId: me, reconnectPeriod: 1000 });
  for (let n = 0; n < payloads; n++) {
    const p = fuzzer.next(me, Date.now());
    try {
      if (p.target === 'other') await intrude(p, me, index * 100_000 + n);
      else await client.publishAsync(topicOf(p, me, n), p.payload, { qos: 1 });
      count(p.kind);
    } catch {
      failed++;
    }
    await new Promise((r) => setTimeout(r, gapMs));
  }
  await client.endAsync();
}

/** MQTT 3.1.1's remaining length. */
function remainingLength(n: number): Buffer {
  const bytes: number[] = [];
  do {
    let b = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) b |= 0x80;
    bytes.push(b);
  } while (n > 0);
  return Buffer.from(bytes);
}
const utf8 = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};
const packet = (header: number, body: Buffer) =>
  Buffer.concat([Buffer.from([header]), remainingLength(body.length), body]);

/**
 * A client on a bad link: its CONNECT and then its QoS 1 PUBLISH trickle in a few bytes every
 * few milliseconds (MQTT written by hand, so nothing buffers it whole). Resolves on the PUBACK.
 */
function slowDrip(index: number, p: FuzzPayload): Promise<void> {
  const me = `fuzz-drip-${String(index).padStart(4, '0')}`;
  const connectPacket = packet(0x10, Buffer.concat([utf8('MQTT'), Buffer.from([4, 0x02, 0, 60]), utf8(me)]));
  const publishPacket = packet(
    0x32,
    Buffer.concat([utf8(telemetryTopic(config.site, me)), Buffer.from([0, 1]), p.payload]),
  );
  const bytes = Buffer.concat([connectPacket, publishPacket]);
  return new Promise((resolve, reject) => {
    const socket = tcpConnect({ host, port });
    let received = Buffer.alloc(0);
    let offset = 0;
    const timer = setInterval(() => {
      if (offset >= bytes.length) return clearInterval(timer);
      socket.write(bytes.subarray(offset, offset + 4));
      offset += 4;
    }, 10);
    socket.on('data', (d) => {
      received = Buffer.concat([received, d]);
      // CONNACK (4 bytes) then PUBACK (0x40 0x02 0x00 0x01).
      if (received.includes(Buffer.from([0x40, 0x02, 0x00, 0x01]))) {
        clearInterval(timer);
        socket.end();
        resolve();
      }
    });
    socket.on('error', (e) => {
      clearInterval(timer);
      reject(e);
    });
  });
}

async function main(): Promise<void> {
  const fuzzer = new Fuzzer(config.seed, config.site);
  const regular = config.count - config.slowDrip;
  const perClient = Math.ceil(regular / config.clients);
  const gapMs = (1000 * config.clients) / config.ratePerS;
  const drips = Array.from({ length: config.slowDrip }, (_, i) =>
    slowDrip(i, fuzzer.make('slow drip', `fuzz-drip-${String(i).padStart(4, '0')}`, Date.now())).then(
      () => count('slow drip'),
      () => {
        failed++;
      },
    ),
  );
  await Promise.all([
    ...Array.from({ length: config.clients }, (_, i) =>
      fuzzClient(i, Math.min(perClient, regular - i * perClient), fuzzer, gapMs),
    ),
    ...drips,
  ]);
  const total = Object.values(taken).reduce((a, b) => a + b, 0);
  process.stdout.write(
    `${JSON.stringify({ event: 'done', taken, total, failed } satisfies FuzzProcessResult)}\n`,
  );
  process.exit(0);
}

main().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).stack ?? String(e)}\n`);
  process.exit(1);
});
