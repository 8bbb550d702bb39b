import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A real MQTT broker on loopback that a test can stop and start again on the same port. */
export interface TestBroker {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';

/**
 * A port nobody listens on right now, below the kernel's ephemeral range: the kernel never hands
 * such a port to an outgoing connection, so it is still free when the broker process binds it
 * a moment later (a port from the ephemeral range could be taken in between).
 */
export async function freePort(): Promise<number> {
  const [ephemeralLow] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8')
    .trim()
    .split(/\s+/)
    .map(Number);
  const low = 10_000;
  const high = Math.max(low + 1000, (ephemeralLow ?? 32_768) - 1);
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

/** Starts a server on a port of the kernel's choosing on 127.0.0.1; resolves with the port. */
export function listenOnLoopback(server: Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection({ port, host: '127.0.0.1' });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port} within 10s`);
}

/** Ends a child process: SIGTERM, then SIGKILL if it has not exited within 3 s. */
export function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 3000);
    child.once('exit', () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill('SIGTERM');
  });
}

class ProcessBroker implements TestBroker {
  private child: ChildProcess | undefined;
  readonly url: string;

  constructor(
    readonly name: string,
    readonly port: number,
    private readonly command: () => { cmd: string; args: string[] },
  ) {
    this.url = `mqtt://127.0.0.1:${port}`;
  }

  async start(): Promise<void> {
    const { cmd, args } = this.command();
    this.child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    this.child.stderr?.on('data', (d) => {
      stderr += d;
    });
    try {
      await waitForPort(this.port, this.child, this.name);
    } catch (e) {
      throw new Error(`${(e as Error).message}\n${stderr}`);
    }
  }

  stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return stopChild(child);
  }
}

/** aedes (MQTT 3.1.1), in a child process because it is ESM-only. */
export async function aedesBroker(): Promise<TestBroker> {
  const port = await freePort();
  return new ProcessBroker('aedes', port, () => ({
    cmd: process.execPath,
    args: [join(__dirname, 'device-aedes.mjs'), String(port)],
  }));
}

/** A real mosquitto with a temporary configuration (loopback listener, anonymous clients). */
export async function mosquittoBroker(): Promise<TestBroker & { cleanup(): void }> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'aiot-mosquitto-'));
  const conf = join(dir, 'mosquitto.conf');
  writeFileSync(conf, `listener ${port} 127.0.0.1\nallow_anonymous true\npersistence false\n`);
  const broker = new ProcessBroker('mosquitto', port, () => ({ cmd: MOSQUITTO, args: ['-c', conf] }));
  return Object.assign(broker, { cleanup: () => rmSync(dir, { recursive: true, force: true }) });
}

/** Files of a throwaway PKI made with openssl for a TLS test. */
export interface TestPki {
  readonly dir: string;
  /** A CA file path by name. */
  ca(name: string): string;
  /** Creates a CA `name` (self-signed). */
  newCa(name: string): void;
  /** Issues `name`.pem/.key signed by CA `caName`, with subject CN and optional subjectAltName. */
  issue(name: string, caName: string, cn: string, san?: string): { cert: string; key: string };
  cleanup(): void;
}

/** A throwaway PKI in a temporary directory (openssl; nothing leaves the test). */
export function testPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'aiot-pki-'));
  const openssl = (...args: string[]) => {
    const res = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (res.status !== 0) throw new Error(`openssl ${args[0]} failed: ${res.stderr}`);
  };
  /** A new RSA key `name.key` with a self-signed certificate (`-x509`, `pem`) or a request (`csr`). */
  const newKey = (name: string, out: 'pem' | 'csr', cn: string, ...extra: string[]) =>
    openssl(
      'req',
      ...extra,
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      `${name}.key`,
      '-out',
      `${name}.${out}`,
      ...(out === 'pem' ? ['-days', '2'] : []),
      '-subj',
      `/CN=${cn}`,
    );
  return {
    dir,
    ca: (name) => join(dir, `${name}.pem`),
    newCa(name) {
      newKey(name, 'pem', name, '-x509');
    },
    issue(name, caName, cn, san) {
      newKey(name, 'csr', cn);
      const ext = join(dir, `${name}.ext`);
      writeFileSync(ext, san ? `subjectAltName=${san}\n` : 'basicConstraints=CA:FALSE\n');
      openssl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        `${caName}.pem`,
        '-CAkey',
        `${caName}.key`,
        '-CAcreateserial',
        '-out',
        `${name}.pem`,
        '-days',
        '2',
        '-extfile',
        ext,
      );
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) };
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/**
 * mosquitto with mutual TLS, as a Greengrass core's broker behaves: clients must present a
 * certificate from `clientCa`, their certificate's CN becomes their user name, and an ACL lets
 * each act only under its own id (client device auth's policy); the server presents `server`.
 */
export async function mosquittoTlsBroker(options: {
  readonly dir: string;
  readonly clientCa: string;
  readonly server: { cert: string; key: string };
  readonly acl: string;
}): Promise<TestBroker> {
  const port = await freePort();
  const conf = join(options.dir, `mosquitto-${port}.conf`);
  const acl = join(options.dir, `acl-${port}`);
  writeFileSync(acl, options.acl);
  // Started as root, mosquitto drops to its own user before it reads these: let it read them
  // (a throwaway PKI of a test).
  chmodSync(options.dir, 0o755);
  for (const f of [acl, options.clientCa, options.server.cert, options.server.key]) chmodSync(f, 0o644);
  writeFileSync(
    conf,
    [
      `listener ${port} 127.0.0.1`,
      `cafile ${options.clientCa}`,
      `certfile ${options.server.cert}`,
      `keyfile ${options.server.key}`,
      'require_certificate true',
      'use_identity_as_username true',
      `acl_file ${acl}`,
      'persistence false',
      '',
    ].join('\n'),
  );
  const broker = new ProcessBroker('mosquitto-tls', port, () => ({ cmd: MOSQUITTO, args: ['-c', conf] }));
  return Object.assign(broker, { url: `mqtts://127.0.0.1:${port}` });
}

/**
 * A TCP relay in front of a broker that the test can cut off: while cut, it drops every open
 * connection and resets each new one at once, as a broker that went away; restored, it relays
 * again. It keeps listening all along, so its port stays the devices' to come back to, and the
 * broker itself (with every client connected to it directly) runs on undisturbed.
 */
export class OutageProxy {
  private readonly server = createServer((client) => this.accept(client));
  private readonly open = new Set<Socket>();
  private cut = false;
  port = 0;

  constructor(private readonly target: { port: number }) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  /** From now on the broker is unreachable through the relay. */
  goDown(): void {
    this.cut = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
  }

  comeBack(): void {
    this.cut = false;
  }

  stop(): Promise<void> {
    this.goDown();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: Socket): void {
    if (this.cut) {
      client.resetAndDestroy();
      return;
    }
    const upstream = createConnection({ port: this.target.port, host: '127.0.0.1' });
    for (const s of [client, upstream]) {
      this.open.add(s);
      s.on('error', () => {});
      s.once('close', () => {
        this.open.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
