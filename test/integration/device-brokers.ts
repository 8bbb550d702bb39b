import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, listenOnLoopback, OutageProxy, stopChild, waitForPort } from '../../local/reliability/net';

/** A real MQTT broker on loopback that a test can stop and start again on the same port. */
export interface TestBroker {
  readonly name: string;
  readonly port: number;
  readonly url: string;
  start(): Promise<void>;
  stop(): Promise<void>;
}

export const MOSQUITTO = process.env.MOSQUITTO_BIN ?? '/usr/sbin/mosquitto';
export { freePort, listenOnLoopback, OutageProxy, stopChild };

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
