import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxClient, type InfluxClientOptions } from '../../../lambda/shared/influxdb';
import { freePort, stopChild } from '../device-brokers';

export const INFLUXD = process.env.INFLUXD_BIN ?? '/usr/bin/influxd';

/** The administrator a server with authentication starts with. */
export const ADMIN = { username: 'aiot-admin', password: 'admin-secret' } as const;

const START_DEADLINE_MS = 15_000;

/**
 * A real InfluxDB 1.x (`influxd` from Debian's `influxdb` package) on loopback, for one test
 * file: a temporary configuration (free ports on 127.0.0.1, its own meta/data/wal folders,
 * usage reporting and self-monitoring off), ready once `/ping` answers. It can be stopped and
 * started again on the same port and data, as a server that goes away and comes back.
 */
export class InfluxServer {
  private child: ChildProcess | undefined;
  private stderr = '';
  private databases = 0;

  private constructor(
    readonly httpPort: number,
    private readonly dir: string,
    private readonly config: string,
    readonly auth: boolean,
  ) {}

  get url(): string {
    return `http://127.0.0.1:${this.httpPort}`;
  }

  /** The running process's id (undefined while stopped). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  static async create(opts: { auth?: boolean } = {}): Promise<InfluxServer> {
    const httpPort = await freePort();
    let rpcPort = await freePort();
    while (rpcPort === httpPort) rpcPort = await freePort();
    const dir = mkdtempSync(join(tmpdir(), 'aiot-influxd-'));
    const config = join(dir, 'influxdb.conf');
    writeFileSync(
      config,
      [
        'reporting-enabled = false',
        `bind-address = "127.0.0.1:${rpcPort}"`,
        '[meta]',
        `  dir = "${join(dir, 'meta')}"`,
        '[data]',
        `  dir = "${join(dir, 'data')}"`,
        `  wal-dir = "${join(dir, 'wal')}"`,
        '  query-log-enabled = false',
        '[monitor]',
        '  store-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${httpPort}"`,
        `  auth-enabled = ${opts.auth ? 'true' : 'false'}`,
        '  log-enabled = false',
        '[logging]',
        '  level = "warn"',
        '  suppress-logo = true',
        '',
      ].join('\n'),
    );
    const server = new InfluxServer(httpPort, dir, config, opts.auth ?? false);
    try {
      await server.start();
      // With authentication on, InfluxDB 1.x lets the very first user be created unauthenticated.
      if (server.auth)
        await server.admin(
          `CREATE USER "${ADMIN.username}" WITH PASSWORD '${ADMIN.password}' WITH ALL PRIVILEGES`,
        );
    } catch (e) {
      await server.dispose();
      throw e;
    }
    return server;
  }

  async start(): Promise<void> {
    if (this.child) return;
    this.stderr = '';
    const child = spawn(INFLUXD, ['-config', this.config], { stdio: ['ignore', 'ignore', 'pipe'] });
    this.child = child;
    child.stderr?.on('data', (d) => {
      this.stderr += d;
    });
    const deadline = Date.now() + START_DEADLINE_MS;
    while (Date.now() < deadline) {
      if (child.exitCode !== null)
        throw new Error(`influxd exited with code ${child.exitCode} while starting:\n${this.stderr}`);
      if (await this.pings()) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(
      `influxd did not answer /ping on ${this.url} within ${START_DEADLINE_MS} ms:\n${this.stderr}`,
    );
  }

  /** Stops the process (SIGTERM, SIGKILL after 3 s); the data stays for the next start. */
  stop(): Promise<void> {
    const child = this.child;
    this.child = undefined;
    return stopChild(child);
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** A client of this server (administrator credentials when authentication is on). */
  client(opts: Partial<InfluxClientOptions> = {}): InfluxClient {
    return new InfluxClient({
      url: this.url,
      ...(this.auth ? { auth: { kind: 'basic', ...ADMIN } } : {}),
      ...opts,
    });
  }

  /** A new, empty database for one test. */
  async database(opts: { retention?: string } = {}): Promise<string> {
    const name = `test_${++this.databases}`;
    await this.admin(`CREATE DATABASE "${name}"${opts.retention ? ` WITH DURATION ${opts.retention}` : ''}`);
    return name;
  }

  /** Runs an administrative statement (POST /query, as 1.x requires for CREATE and GRANT). */
  async admin(statement: string): Promise<void> {
    const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
    if (this.auth)
      headers.Authorization = `Basic ${Buffer.from(`${ADMIN.username}:${ADMIN.password}`).toString('base64')}`;
    const res = await fetch(`${this.url}/query`, {
      method: 'POST',
      headers,
      body: new URLSearchParams({ q: statement }).toString(),
    });
    const text = await res.text();
    if (res.status !== 200 || text.includes('"error"'))
      throw new Error(`influxd refused ${statement}: ${res.status} ${text}`);
  }

  private async pings(): Promise<boolean> {
    try {
      const res = await fetch(`${this.url}/ping`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      return res.status === 204;
    } catch {
      return false;
    }
  }
}
