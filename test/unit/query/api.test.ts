import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { AnomalyEvent } from '../../../core/events';
import type { QueryStore } from '../../../core/ports';
import { handleApiRequest } from '../../../core/query/api';
import { composeQueryStore } from '../../../core/query/model';
import { openApiDocument } from '../../../core/query/openapi';
import { matchRoute, ROUTES } from '../../../core/query/routes';
import { makeHandler } from '../../../lambda/query-api/handler';
import { createApiHandler } from '../../../local/api';
import { type LocalStore, openLocalStore } from '../../../local/store';
import { SqliteWorkOrderStore } from '../../../local/workflows/sqlite-work-orders';

const NOW = Date.UTC(2026, 10, 24, 12, 0, 0);
const MIN = 60_000;

function anomaly(deviceId: string, ts: number, severity: AnomalyEvent['severity']): AnomalyEvent {
  return {
    schema: 'aiot.event/1',
    kind: 'anomaly',
    deviceId,
    site: 'plant-1',
    ts,
    score: 0.9,
    severity,
    measures: { temp: 88 },
    source: 'edge',
  };
}

/** A local store with a small fleet: three pumps, telemetry every 30 s for an hour, anomalies, orders. */
async function seeded(): Promise<{ local: LocalStore; store: QueryStore }> {
  const local = openLocalStore(':memory:', { clock: () => NOW });
  const workOrders = new SqliteWorkOrderStore(local.db);
  for (const id of ['pump-1', 'pump-2', 'pump-3']) {
    await local.telemetry.write(
      Array.from({ length: 120 }, (_, i) => ({
        deviceId: id,
        site: 'plant-1',
        time: NOW - 60 * MIN + i * 30_000,
        seq: i,
        measures: { temp: 20 + (i % 10), rpm: 1500 },
      })),
    );
  }
  await local.events.putAnomalies([
    anomaly('pump-2', NOW - 3 * MIN, 'critical'),
    anomaly('pump-3', NOW - 2 * MIN, 'warning'),
    anomaly('pump-3', NOW - 3 * 60 * MIN, 'info'),
  ]);
  await local.events.putPredictions([
    {
      schema: 'aiot.prediction/1',
      kind: 'prediction',
      deviceId: 'pump-2',
      site: 'plant-1',
      ts: NOW - MIN,
      probability: 0.83,
      horizonMs: 86_400_000,
      model: 'xgb-1',
    },
  ]);
  const base = { site: 'plant-1', severity: 'critical' as const, reason: 'bearing temperature', score: 0.97 };
  await workOrders.open(
    { ...base, deviceId: 'pump-2', window: { start: NOW - 15 * MIN, end: NOW } },
    NOW - 3 * MIN,
  );
  const { order } = await workOrders.open(
    { ...base, deviceId: 'pump-3', window: { start: NOW - 30 * MIN, end: NOW - 15 * MIN } },
    NOW - 20 * MIN,
  );
  await workOrders.updateStatus(order.id, { status: 'closed', at: NOW - 10 * MIN, label: 'false-alarm' });
  return { local, store: composeQueryStore(local.query, workOrders) };
}

describe('query API', () => {
  let local: LocalStore;
  let store: QueryStore;
  const errors: unknown[] = [];
  const get = async (path: string, query: Record<string, string> = {}) => {
    const res = await handleApiRequest(
      { method: 'GET', path, query, requestId: 'req-1' },
      { store, clock: () => NOW, openApi: () => openApiDocument(), onError: (e) => errors.push(e) },
    );
    return { status: res.status, headers: res.headers, body: JSON.parse(res.body) };
  };

  beforeEach(async () => {
    ({ local, store } = await seeded());
    errors.length = 0;
  });
  afterEach(() => local.close());

  it('when devices are listed, every answer matches the documented response schema and pages join up', async () => {
    const first = await get('/devices', { limit: '2' });
    expect(first.status).toBe(200);
    expect(first.headers['content-type']).toContain('application/json');
    expect(first.body.items.map((d: { deviceId: string; health: string }) => [d.deviceId, d.health])).toEqual(
      [
        ['pump-1', 'ok'],
        ['pump-2', 'critical'],
      ],
    );
    const second = await get('/devices', { limit: '2', cursor: first.body.cursor });
    expect(second.body).toEqual({
      items: [expect.objectContaining({ deviceId: 'pump-3', health: 'warning' })],
    });
    const listRoute = ROUTES.find((r) => r.operationId === 'listDevices')!;
    expect(listRoute.response.safeParse(first.body).success).toBe(true);
  });

  it('when one device is asked for, it comes with recent anomalies and its latest prediction, or 404', async () => {
    const res = await get('/devices/pump-2');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({
      deviceId: 'pump-2',
      health: 'critical',
      recentAnomalies: { info: 0, warning: 0, critical: 1 },
      latestPrediction: { probability: 0.83 },
      latest: { time: NOW - 30_000, measures: { temp: 29, rpm: 1500 } },
    });
    expect(ROUTES.find((r) => r.operationId === 'getDevice')!.response.safeParse(res.body).success).toBe(
      true,
    );
    const missing = await get('/devices/pump-9');
    expect(missing).toMatchObject({
      status: 404,
      body: { error: { code: 'not_found', message: 'no device pump-9' } },
    });
  });

  it('when telemetry is asked for with a window, measure and resolution, it answers rollups in that window', async () => {
    const res = await get('/devices/pump-1/telemetry', {
      from: new Date(NOW - 30 * MIN).toISOString(),
      to: String(NOW),
      measure: 'temp',
      resolution: '5m',
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ deviceId: 'pump-1', resolution: '5m', from: NOW - 30 * MIN, to: NOW });
    expect(res.body.items).toHaveLength(6);
    expect(res.body.items[0]).toEqual({
      t: NOW - 30 * MIN,
      measure: 'temp',
      avg: 24.5,
      min: 20,
      max: 29,
      count: 10,
    });
    const route = ROUTES.find((r) => r.operationId === 'getTelemetry')!;
    expect(route.response.safeParse(res.body).success).toBe(true);
  });

  it('when telemetry is asked for without a window, the last hour at 1m comes back, paged', async () => {
    const res = await get('/devices/pump-1/telemetry', { limit: '50' });
    expect(res.body).toMatchObject({ from: NOW - 60 * MIN, to: NOW, resolution: '1m' });
    expect(res.body.items).toHaveLength(50);
    const rest = await get('/devices/pump-1/telemetry', { limit: '1000', cursor: res.body.cursor });
    expect(rest.body.items).toHaveLength(70);
    expect(rest.body.cursor).toBeUndefined();
  });

  it('when anomalies are filtered by severity list and window, only those come back, newest first', async () => {
    const res = await get('/anomalies', { severity: 'warning,critical' });
    expect(res.body.items.map((e: AnomalyEvent) => [e.deviceId, e.severity])).toEqual([
      ['pump-3', 'warning'],
      ['pump-2', 'critical'],
    ]);
    const all = await get('/anomalies', { from: String(NOW - 4 * 60 * MIN) });
    expect(all.body.items).toHaveLength(3);
    const byDevice = await get('/anomalies', { device: 'pump-2' });
    expect(byDevice.body.items).toEqual([anomaly('pump-2', NOW - 3 * MIN, 'critical')]);
  });

  it('when predictions and work orders are listed, they come from their stores with filters', async () => {
    expect((await get('/predictions', { device: 'pump-2' })).body.items).toEqual([
      expect.objectContaining({ deviceId: 'pump-2', probability: 0.83 }),
    ]);
    expect((await get('/predictions', { device: 'pump-1' })).body.items).toEqual([]);
    const open = await get('/work-orders', { status: 'open' });
    expect(open.body.items.map((o: { deviceId: string }) => o.deviceId)).toEqual(['pump-2']);
    const closed = await get('/work-orders', { status: 'closed' });
    expect(closed.body.items).toEqual([
      expect.objectContaining({ deviceId: 'pump-3', label: 'false-alarm' }),
    ]);
    expect((await get('/work-orders')).body.items).toHaveLength(2);
  });

  it.each([
    ['/devices', { limit: '0' }, 'limit'],
    ['/devices', { limit: '101' }, 'limit'],
    ['/devices', { colour: 'red' }, 'unknown parameter: colour'],
    ['/devices/bad%20id', {}, 'id'],
    ['/devices/pump-1/telemetry', { resolution: '7m' }, 'resolution'],
    ['/devices/pump-1/telemetry', { measure: 'Temp; DROP TABLE' }, 'measure'],
    ['/devices/pump-1/telemetry', { from: 'yesterday' }, 'from'],
    ['/devices/pump-1/telemetry', { from: String(NOW), to: String(NOW - 1) }, 'from must be before to'],
    [
      '/devices/pump-1/telemetry',
      { resolution: 'raw', from: String(NOW - 8 * 24 * 60 * MIN) },
      'at most 7 days',
    ],
    ['/anomalies', { severity: 'fatal' }, 'severity'],
    ['/work-orders', { status: 'lost' }, 'status'],
    ['/devices', { cursor: 'eyJ4IjoxfQ' }, 'cursor is not one this API handed out'],
    ['/work-orders', { cursor: 'eyJ4IjoxfQ' }, 'cursor is not one this API handed out'],
  ])('when %s gets %j, it answers 400 naming %s', async (path, query, text) => {
    const res = await get(path, query);
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('bad_request');
    expect(res.body.error.message).toContain(text);
  });

  it('when the store fails, the caller gets a 500 with the request id and no internals', async () => {
    local.db.exec('DROP TABLE devices');
    const res = await get('/devices');
    expect(res).toMatchObject({ status: 500, body: { error: { code: 'internal', requestId: 'req-1' } } });
    expect(JSON.stringify(res.body)).not.toMatch(/devices|sqlite|table/i);
    expect(errors).toHaveLength(1);
  });

  it('when a path or method is not served, it answers 404 or 405 as JSON', async () => {
    expect((await get('/nothing')).status).toBe(404);
    const post = await handleApiRequest(
      { method: 'POST', path: '/devices', query: {} },
      { store, openApi: () => ({}) },
    );
    expect(post.status).toBe(405);
    expect(post.headers.allow).toBe('GET');
  });

  it('when paths are matched, every route template matches its own shape only', () => {
    expect(matchRoute('/devices/pump-1/telemetry')?.route.operationId).toBe('getTelemetry');
    expect(matchRoute('/devices/pump-1')).toMatchObject({
      route: { operationId: 'getDevice' },
      params: { id: 'pump-1' },
    });
    expect(matchRoute('/devices/pump-1/other')).toBeUndefined();
  });

  describe('on the local http server', () => {
    let server: http.Server;
    let base: string;
    beforeEach(async () => {
      const api = createApiHandler(store, { basePath: '/api', clock: () => NOW });
      server = http.createServer((req, res) => {
        if (!api(req, res)) {
          res.writeHead(418);
          res.end('not the API');
        }
      });
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterEach(async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    });

    it('when a client calls the API under its mount path, it gets the same answers; other paths are passed on', async () => {
      const res = await fetch(`${base}/api/anomalies?severity=critical`);
      expect(res.status).toBe(200);
      expect(((await res.json()) as { items: AnomalyEvent[] }).items.map((e) => e.deviceId)).toEqual([
        'pump-2',
      ]);
      const doc = (await (await fetch(`${base}/api/openapi.json`)).json()) as { servers: { url: string }[] };
      expect(doc.servers[0]!.url).toBe(`${base}/api`);
      expect((await fetch(`${base}/index.html`)).status).toBe(418);
      expect((await fetch(`${base}/devices`)).status).toBe(418);
      const bad = await fetch(`${base}/api/devices?limit=x`);
      expect(bad.status).toBe(400);
    });
  });

  describe('as a Lambda behind an HTTP API', () => {
    const event = (rawPath: string, query?: Record<string, string>, stage = '$default') =>
      ({
        version: '2.0',
        routeKey: `GET ${rawPath}`,
        rawPath,
        rawQueryString: '',
        headers: {},
        queryStringParameters: query,
        isBase64Encoded: false,
        requestContext: {
          accountId: '123456789012',
          apiId: 'api',
          domainName: 'api.example.com',
          domainPrefix: 'api',
          http: {
            method: 'GET',
            path: rawPath,
            protocol: 'HTTP/1.1',
            sourceIp: '10.0.0.1',
            userAgent: 'test',
          },
          requestId: 'lambda-req',
          routeKey: `GET ${rawPath}`,
          stage,
          time: '',
          timeEpoch: NOW,
        },
      }) as APIGatewayProxyEventV2;

    it('when invoked with a payload 2.0 event, it answers from the routes; stage prefixes are stripped', async () => {
      const handler = makeHandler({ store, clock: () => NOW });
      const res = await handler(event('/devices/pump-3'));
      expect(res.statusCode).toBe(200);
      expect(JSON.parse(res.body!)).toMatchObject({ deviceId: 'pump-3', health: 'warning' });
      const staged = await handler(event('/v1/work-orders', { status: 'open' }, 'v1'));
      expect(JSON.parse(staged.body!).items).toHaveLength(1);
      const doc = JSON.parse((await handler(event('/openapi.json'))).body!);
      expect(doc.servers).toEqual([{ url: 'https://api.example.com' }]);
      expect(doc.security).toEqual([{ sigv4: [] }]);
    });
  });
});
