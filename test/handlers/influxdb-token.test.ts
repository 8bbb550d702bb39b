import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { makeHandler, type TokenLog } from '../../lambda/influxdb-token/handler';

/**
 * A STAND-IN for InfluxDB 2's API, not InfluxDB: the Debian `influxd` on this machine is 1.x and
 * has no `/api/v2` sign-in, organizations, buckets or authorizations. It implements the four
 * endpoints the token function calls as InfluxData documents them:
 * - POST /api/v2/signin: Basic auth, 204 + session cookie in Set-Cookie, 401 otherwise
 *   (https://docs.influxdata.com/influxdb/v2/api/signin/);
 * - GET /api/v2/orgs?org= → { orgs: [...] } (https://docs.influxdata.com/influxdb/v2/api/organizations/);
 * - GET /api/v2/buckets?orgID=&name= → { buckets: [...] }, OSS requiring org or orgID
 *   (https://docs.influxdata.com/influxdb/v2/api/buckets/);
 * - GET, POST /api/v2/authorizations and DELETE /api/v2/authorizations/{authID}: list (OSS shows
 *   token values), create (201 with the token), delete (204, 404 when unknown)
 *   (https://docs.influxdata.com/influxdb/v2/api/authorizations-api-tokens/).
 * Every call but sign-in needs the session cookie, else 401.
 */
interface StandIn {
  readonly url: string;
  readonly orgID: string;
  readonly bucketID: string;
  readonly authorizations: Map<
    string,
    { id: string; token: string; status: string; orgID: string; permissions: unknown[] }
  >;
  /** Method and path of every request, in order. */
  readonly calls: string[];
  /** Answer this many more requests with 503 (an instance still starting). */
  notReady: number;
  close(): Promise<void>;
}

const ADMIN = { username: 'aiotadmin', password: 'Adm1nPassw0rdOfTheInstance' };
const hex16 = () => randomBytes(8).toString('hex');

async function startStandIn(): Promise<StandIn> {
  const orgID = '0a1b2c3d4e5f6071';
  const bucketID = '1122334455667788';
  const sessions = new Set<string>();
  const state = {
    notReady: 0,
    calls: [] as string[],
    authorizations: new Map() as StandIn['authorizations'],
  };
  const send = (
    res: ServerResponse,
    status: number,
    body?: unknown,
    headers: Record<string, string> = {},
  ) => {
    res.writeHead(status, {
      ...(body === undefined ? {} : { 'Content-Type': 'application/json' }),
      ...headers,
    });
    res.end(body === undefined ? undefined : JSON.stringify(body));
  };
  const handle = (req: IncomingMessage, res: ServerResponse, body: string) => {
    const url = new URL(req.url ?? '/', 'http://stand-in');
    state.calls.push(`${req.method} ${url.pathname}`);
    if (state.notReady > 0) {
      state.notReady--;
      return send(res, 503, { code: 'unavailable', message: 'service unavailable' });
    }
    if (req.method === 'POST' && url.pathname === '/api/v2/signin') {
      const [scheme, encoded] = (req.headers.authorization ?? '').split(' ');
      const [user, ...rest] = Buffer.from(encoded ?? '', 'base64')
        .toString('utf8')
        .split(':');
      if (scheme !== 'Basic' || user !== ADMIN.username || rest.join(':') !== ADMIN.password)
        return send(res, 401, { code: 'unauthorized', message: 'Unauthorized' });
      const session = hex16();
      sessions.add(session);
      return send(res, 204, undefined, {
        'Set-Cookie': `influxdb-oss-session=${session}; Path=/api/; HttpOnly`,
      });
    }
    const cookie = /influxdb-oss-session=([0-9a-f]+)/.exec(req.headers.cookie ?? '')?.[1];
    if (!cookie || !sessions.has(cookie))
      return send(res, 401, { code: 'unauthorized', message: 'unauthorized access' });

    if (req.method === 'GET' && url.pathname === '/api/v2/orgs') {
      const org = url.searchParams.get('org');
      if (org && org !== 'aiot')
        return send(res, 404, { code: 'not found', message: `organization name "${org}" not found` });
      return send(res, 200, { orgs: [{ id: orgID, name: 'aiot' }] });
    }
    if (req.method === 'GET' && url.pathname === '/api/v2/buckets') {
      if (url.searchParams.get('orgID') !== orgID && url.searchParams.get('org') !== 'aiot')
        return send(res, 400, { code: 'invalid', message: 'org or orgID is required' });
      const all = [
        { id: bucketID, name: 'aiot', orgID },
        { id: '99aa99aa99aa99aa', name: '_monitoring', orgID },
      ];
      const name = url.searchParams.get('name');
      return send(res, 200, { buckets: all.filter((b) => !name || b.name === name) });
    }
    if (req.method === 'GET' && url.pathname === '/api/v2/authorizations') {
      const list = [...state.authorizations.values()].filter(
        (a) => a.orgID === url.searchParams.get('orgID'),
      );
      return send(res, 200, { authorizations: list });
    }
    if (req.method === 'POST' && url.pathname === '/api/v2/authorizations') {
      const parsed = JSON.parse(body) as {
        orgID?: string;
        permissions?: { action?: string; resource?: { type?: string } }[];
      };
      const valid =
        parsed.orgID === orgID &&
        Array.isArray(parsed.permissions) &&
        parsed.permissions.length > 0 &&
        parsed.permissions.every(
          (p) => (p.action === 'read' || p.action === 'write') && typeof p.resource?.type === 'string',
        );
      if (!valid) return send(res, 400, { code: 'invalid', message: 'invalid authorization' });
      const auth = {
        id: hex16(),
        token: randomBytes(32).toString('base64url'),
        status: 'active',
        orgID,
        permissions: parsed.permissions!,
      };
      state.authorizations.set(auth.id, auth);
      return send(res, 201, auth);
    }
    const del = /^\/api\/v2\/authorizations\/([^/]+)$/.exec(url.pathname);
    if (req.method === 'DELETE' && del) {
      if (!state.authorizations.delete(del[1]!))
        return send(res, 404, { code: 'not found', message: 'authorization not found' });
      return send(res, 204);
    }
    return send(res, 404, { code: 'not found', message: 'path not found' });
  };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => {
      body += c.toString('utf8');
    });
    req.on('end', () => handle(req, res, body));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return Object.assign(state, {
    url: `http://127.0.0.1:${port}`,
    orgID,
    bucketID,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
}

/** A port nobody listens on: the instance is gone. */
async function deadUrl(): Promise<string> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return `http://127.0.0.1:${port}`;
}

const ADMIN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:StoreAdmin-abc';
const TOKEN_ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:StoreToken-def';
const sm = mockClient(SecretsManagerClient);
let secrets: Map<string, string>;
let now: number;
let logged: { level: string; message: string; extra?: Record<string, unknown> }[];
let influx: StandIn;

function handler(overrides: Partial<Parameters<typeof makeHandler>[0]> = {}) {
  const log: TokenLog = {
    info: (message, extra) => logged.push({ level: 'info', message, extra }),
    warn: (message, extra) => logged.push({ level: 'warn', message, extra }),
  };
  return makeHandler({
    secrets: new SecretsManagerClient({ region: 'eu-west-1' }),
    clock: () => now,
    // No real waiting: a backoff moves the injected clock.
    sleep: async (ms) => {
      now += ms;
    },
    random: () => 0.5,
    log,
    ...overrides,
  });
}

function event(
  type: 'Create' | 'Update' | 'Delete',
  url: string,
  physicalId = 'none',
): CloudFormationCustomResourceEvent {
  const base = {
    ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
    ResponseURL: 'https://cloudformation-custom-resource-response-euwest1.s3.amazonaws.com/x',
    StackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/aiot/1',
    RequestId: `req-${type}`,
    LogicalResourceId: 'StoreTokenResource',
    ResourceType: 'Custom::InfluxDbToken',
    ResourceProperties: {
      ServiceToken: 'arn:aws:lambda:eu-west-1:123456789012:function:provider',
      Url: url,
      Organization: 'aiot',
      Bucket: 'aiot',
      AdminSecretArn: ADMIN_ARN,
      TokenSecretArn: TOKEN_ARN,
      InstanceId: 'abcdef1234',
    },
  };
  if (type === 'Create') return { ...base, RequestType: 'Create' };
  if (type === 'Update')
    return {
      ...base,
      RequestType: 'Update',
      PhysicalResourceId: physicalId,
      OldResourceProperties: base.ResourceProperties,
    };
  return { ...base, RequestType: 'Delete', PhysicalResourceId: physicalId };
}

const tokenInSecret = () => (JSON.parse(secrets.get(TOKEN_ARN)!) as { token: string }).token;

beforeEach(async () => {
  now = 1_767_225_600_000;
  logged = [];
  // As CDK creates them: the admin secret generated as JSON, the token secret a random string.
  secrets = new Map([
    [ADMIN_ARN, JSON.stringify(ADMIN)],
    [TOKEN_ARN, 'Random-Generated-Placeholder-0123456789'],
  ]);
  sm.reset();
  sm.on(GetSecretValueCommand).callsFake(async (input: { SecretId: string }) => {
    const value = secrets.get(input.SecretId);
    if (value === undefined)
      throw Object.assign(new Error("Secrets Manager can't find the specified secret."), {
        name: 'ResourceNotFoundException',
      });
    return { ARN: input.SecretId, SecretString: value };
  });
  sm.on(PutSecretValueCommand).callsFake(async (input: { SecretId: string; SecretString: string }) => {
    secrets.set(input.SecretId, input.SecretString);
    return { ARN: input.SecretId };
  });
  influx = await startStandIn();
});

afterEach(async () => {
  await influx.close();
});

describe('influxdb-token (against a stand-in of the documented InfluxDB 2 API)', () => {
  it('when created, makes one authorization with read and write on the bucket only and puts {"token"} in the token secret', async () => {
    const result = await handler()(event('Create', influx.url));

    expect(influx.authorizations.size).toBe(1);
    const [auth] = [...influx.authorizations.values()];
    expect(result).toEqual({ PhysicalResourceId: auth!.id, Data: { AuthorizationId: auth!.id } });
    expect(auth!.permissions).toEqual([
      { action: 'read', resource: { type: 'buckets', id: influx.bucketID, orgID: influx.orgID } },
      { action: 'write', resource: { type: 'buckets', id: influx.bucketID, orgID: influx.orgID } },
    ]);
    expect(sm).toReceiveCommandWith(PutSecretValueCommand, {
      SecretId: TOKEN_ARN,
      SecretString: JSON.stringify({ token: auth!.token }),
    });
    expect(sm).toReceiveCommandTimes(PutSecretValueCommand, 1);
    expect(influx.calls).toEqual([
      'POST /api/v2/signin',
      'GET /api/v2/orgs',
      'GET /api/v2/buckets',
      'POST /api/v2/authorizations',
    ]);
    // Neither the token nor the password reaches CloudFormation or the logs.
    const visible = JSON.stringify({ result, logged });
    expect(visible).not.toContain(auth!.token);
    expect(visible).not.toContain(ADMIN.password);
  });

  it('when run again while the secret holds a token InfluxDB still has active, keeps it: no new authorization, no write', async () => {
    const first = await handler()(event('Create', influx.url));
    const token = tokenInSecret();
    sm.resetHistory();

    const again = await handler()(event('Update', influx.url, first.PhysicalResourceId));

    expect(again).toEqual(first);
    expect(influx.authorizations.size).toBe(1);
    expect(tokenInSecret()).toBe(token);
    expect(sm).toReceiveCommandTimes(PutSecretValueCommand, 0);
    expect(influx.calls.filter((c) => c === 'POST /api/v2/authorizations')).toHaveLength(1);
  });

  it('when the token in the secret was deleted in InfluxDB (or the instance replaced), makes a new one under a new physical id', async () => {
    const first = await handler()(event('Create', influx.url));
    influx.authorizations.delete(first.PhysicalResourceId);

    const second = await handler()(event('Update', influx.url, first.PhysicalResourceId));

    expect(second.PhysicalResourceId).not.toBe(first.PhysicalResourceId);
    expect(influx.authorizations.has(second.PhysicalResourceId)).toBe(true);
    expect(tokenInSecret()).toBe(influx.authorizations.get(second.PhysicalResourceId)!.token);
  });

  it('when the instance is still starting (503), retries with backoff and then succeeds', async () => {
    influx.notReady = 4;
    const start = now;

    const result = await handler({ baseDelayMs: 1000 })(event('Create', influx.url));

    expect(influx.authorizations.has(result.PhysicalResourceId)).toBe(true);
    expect(influx.calls.slice(0, 5)).toEqual(Array(5).fill('POST /api/v2/signin'));
    const retries = logged.filter((l) => l.message === 'InfluxDB not ready, retrying');
    expect(retries).toHaveLength(4);
    // Backoff doubles: 0.5 × (1, 2, 4, 8) s with the seeded jitter.
    expect(retries.map((r) => r.extra?.delayMs)).toEqual([500, 1000, 2000, 4000]);
    expect(now - start).toBe(7500);
  });

  it('when the instance never answers within the budget, fails naming the step and the last reason', async () => {
    const url = await deadUrl();
    await expect(handler({ readyBudgetMs: 30_000 })(event('Create', url))).rejects.toThrow(
      /InfluxDB token: could not sign in: InfluxDB at http:\/\/127\.0\.0\.1:\d+ was not ready to sign in after \d+ attempts: fetch failed/,
    );
    expect(sm).toReceiveCommandTimes(PutSecretValueCommand, 0);
  });

  it('when the admin password is wrong, fails at once with a clear error and writes nothing', async () => {
    secrets.set(ADMIN_ARN, JSON.stringify({ username: ADMIN.username, password: 'not-the-password' }));

    const attempt = handler()(event('Create', influx.url));

    await expect(attempt).rejects.toThrow(
      'InfluxDB token: could not sign in: InfluxDB at ' +
        `${influx.url} refused the admin sign-in of user "aiotadmin" (401: Unauthorized): check that the admin secret holds the instance's current password`,
    );
    expect(influx.calls).toEqual(['POST /api/v2/signin']);
    expect(sm).toReceiveCommandTimes(PutSecretValueCommand, 0);
    expect(JSON.stringify(logged)).not.toContain('not-the-password');
  });

  it('when the bucket does not exist, fails naming the step', async () => {
    const e = event('Create', influx.url);
    (e.ResourceProperties as Record<string, unknown>).Bucket = 'elsewhere';
    await expect(handler()(e)).rejects.toThrow(/could not find the bucket: .*no bucket named "elsewhere"/);
  });

  it('when deleted, deletes the authorization it made', async () => {
    const created = await handler()(event('Create', influx.url));

    const result = await handler()(event('Delete', influx.url, created.PhysicalResourceId));

    expect(result.PhysicalResourceId).toBe(created.PhysicalResourceId);
    expect(influx.authorizations.size).toBe(0);
    expect(influx.calls.at(-1)).toBe(`DELETE /api/v2/authorizations/${created.PhysicalResourceId}`);
  });

  it('when deleted after the instance is gone, succeeds within the delete budget and says why', async () => {
    const url = await deadUrl();
    const start = now;

    const result = await handler({ deleteBudgetMs: 20_000 })(event('Delete', url, 'a1b2c3d4e5f60718'));

    expect(result).toEqual({ PhysicalResourceId: 'a1b2c3d4e5f60718', Data: {} });
    expect(now - start).toBeLessThanOrEqual(20_000);
    expect(logged.find((l) => l.level === 'warn')?.extra?.reason).toMatch(
      /could not sign in: .*was not ready/,
    );
  });

  it('when deleted after a failed create (the physical id is no authorization), calls nothing', async () => {
    const result = await handler()(event('Delete', influx.url, 'req-Create'));
    expect(result.PhysicalResourceId).toBe('req-Create');
    expect(influx.calls).toEqual([]);
    expect(sm).toReceiveCommandTimes(GetSecretValueCommand, 0);
  });
});
