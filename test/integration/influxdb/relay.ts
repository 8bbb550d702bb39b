import { createServer, type IncomingMessage, request, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { listenOnLoopback } from '../device-brokers';

type Fault =
  | {
      readonly kind: 'status';
      readonly status: number;
      readonly retryAfter?: string;
      readonly error?: string;
    }
  | { readonly kind: 'drop' }
  | { readonly kind: 'stall' };

/**
 * An HTTP relay in front of a real InfluxDB: it forwards every request unchanged and answers
 * with the server's own answer, except when the test has queued a fault for the next requests
 * (an error status, a dropped connection, no answer at all), or when its hook runs first (to
 * stop the server while a request is on its way). It counts what passes, by path.
 */
export class FaultyRelay {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private readonly faults: Fault[] = [];
  readonly seen: string[] = [];
  /** Runs before a request is forwarded; `n` counts requests to the same path, from 1. */
  beforeForward?: (path: string, n: number) => Promise<void>;
  port = 0;

  constructor(private readonly targetPort: number) {
    this.server = createServer((req, res) => {
      void this.handle(req, res);
    });
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.once('close', () => this.sockets.delete(s));
    });
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async start(): Promise<void> {
    this.port = await listenOnLoopback(this.server);
  }

  /** The next `times` requests get this fault instead of the server's answer. */
  inject(fault: Fault, times = 1): void {
    for (let i = 0; i < times; i++) this.faults.push(fault);
  }

  count(path: string): number {
    return this.seen.filter((p) => p === path).length;
  }

  stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const path = new URL(req.url ?? '/', 'http://relay').pathname;
    this.seen.push(path);
    const fault = this.faults.shift();
    if (fault?.kind === 'status') {
      res.writeHead(fault.status, {
        'Content-Type': 'application/json',
        ...(fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {}),
      });
      res.end(JSON.stringify({ error: fault.error ?? `relay fault ${fault.status}` }));
      return;
    }
    if (fault?.kind === 'drop') {
      req.socket.destroy();
      return;
    }
    if (fault?.kind === 'stall') return;
    await this.beforeForward?.(path, this.count(path));
    const upstream = request(
      { host: '127.0.0.1', port: this.targetPort, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    // The server went away: the client sees its connection drop, as it would without the relay.
    upstream.on('error', () => req.socket.destroy());
    upstream.end(Buffer.concat(chunks));
  }
}
