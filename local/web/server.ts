import * as fs from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import type { QueryStore } from '../../core/ports';
import { createApiHandler } from '../api';

export interface WebServerOptions {
  /** 0 picks a free port. */
  readonly port: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** The query API's store (served under `/api`). */
  readonly queries: QueryStore;
  readonly status: () => unknown;
  /** The live state the dashboard polls (`/live`). */
  readonly live: () => unknown;
}

export interface WebServer {
  readonly url: string;
  close(): Promise<void>;
}

const PUBLIC = path.join(__dirname, 'public');
const UPLOT = path.dirname(require.resolve('uplot/dist/uPlot.iife.min.js'));
const STATIC: Record<string, { file: string; type: string }> = {
  '/': { file: path.join(PUBLIC, 'index.html'), type: 'text/html; charset=utf-8' },
  '/app.js': { file: path.join(PUBLIC, 'app.js'), type: 'text/javascript; charset=utf-8' },
  '/app.css': { file: path.join(PUBLIC, 'app.css'), type: 'text/css; charset=utf-8' },
  '/vendor/uPlot.iife.min.js': {
    file: path.join(UPLOT, 'uPlot.iife.min.js'),
    type: 'text/javascript; charset=utf-8',
  },
  '/vendor/uPlot.min.css': { file: path.join(UPLOT, 'uPlot.min.css'), type: 'text/css; charset=utf-8' },
};

/**
 * The dashboard's server: its page and assets, `/live` (pipeline counters, anomalies, workflow
 * runs, quarantine) and the query API under `/api` — the same routes as the cloud API.
 */
export async function startWebServer(opts: WebServerOptions): Promise<WebServer> {
  const api = createApiHandler(opts.queries, { basePath: '/api' });
  const json = (res: import('node:http').ServerResponse, body: unknown) => {
    res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' });
    res.end(JSON.stringify(body));
  };
  const server: Server = createServer((req, res) => {
    try {
      if (api(req, res)) return;
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (req.method !== 'GET') {
        res.writeHead(405, { 'content-type': 'application/json' }).end('{"error":"method not allowed"}');
        return;
      }
      if (url.pathname === '/live') return json(res, opts.live());
      if (url.pathname === '/status') return json(res, opts.status());
      const asset = STATIC[url.pathname];
      if (!asset) {
        res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"not found"}');
        return;
      }
      res.writeHead(200, { 'content-type': asset.type });
      fs.createReadStream(asset.file).pipe(res);
    } catch (e) {
      console.error('dashboard request failed', e);
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end('{"error":"internal error"}');
    }
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => resolve());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : opts.port;
  return {
    url: `http://${opts.host ?? '127.0.0.1'}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
