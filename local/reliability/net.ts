import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';

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

export async function waitForPort(port: number, child: ChildProcess, what: string): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with code ${child.exitCode}`);
    if (await accepts(port)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`${what} did not listen on ${port} within 10s`);
}

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

/**
 * A TCP relay in front of a broker that the test can cut off: while cut, it drops every open
 * connection and resets each new one at once, as a broker that went away; restored, it relays
 * again. It keeps listening all along, so its port stays the devices' to come back to, and the
 * broker itself (with every client connected to it directly) runs on undisturbed.
 */
export class OutageProxy {
  private server = createServer((client) => this.accept(client));
  private readonly open = new Set<Socket>();
  private cut = false;
  port = 0;

  /**
   * `reset` (default): while cut, the relay keeps its port and resets each new connection at once.
   * `refuse`: while cut, it stops listening, so connections are refused as by a broker that is
   * down, and listens on the same port again when it comes back (give it a port below the
   * ephemeral range, {@link freePort}, so that nothing takes it meanwhile).
   */
  constructor(
    private readonly target: { port: number },
    private readonly mode: 'reset' | 'refuse' = 'reset',
  ) {}

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  async start(port = 0): Promise<void> {
    if (port === 0) {
      this.port = await listenOnLoopback(this.server);
      return;
    }
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => resolve());
    });
    this.port = port;
  }

  /** From now on the broker is unreachable through the relay. */
  goDown(): void {
    this.cut = true;
    for (const s of this.open) s.destroy();
    this.open.clear();
    if (this.mode === 'refuse') this.server.close();
  }

  async comeBack(): Promise<void> {
    this.cut = false;
    if (this.mode === 'refuse' && !this.server.listening) {
      this.server = createServer((client) => this.accept(client));
      await this.start(this.port);
    }
  }

  stop(): Promise<void> {
    this.goDown();
    if (!this.server.listening) return Promise.resolve();
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
