/**
 * The few InfluxDB 2 API calls that make the functions' API token, each as InfluxData documents it:
 *
 * - `POST /api/v2/signin`, Basic auth; 204 with the session cookie in `Set-Cookie`
 *   (https://docs.influxdata.com/influxdb/v2/api/signin/). The session carries the user's
 *   permissions in every organization the user belongs to, and expires within ten minutes.
 * - `GET /api/v2/orgs?org=<name>` → `{ orgs: [{ id, name }] }`
 *   (https://docs.influxdata.com/influxdb/v2/api/organizations/).
 * - `GET /api/v2/buckets?orgID=<id>&name=<name>` → `{ buckets: [{ id, name, orgID }] }`; OSS
 *   requires `org` or `orgID` (https://docs.influxdata.com/influxdb/v2/api/buckets/).
 * - `GET /api/v2/authorizations?orgID=<id>` → `{ authorizations: [{ id, token, status, permissions }] }`
 *   (InfluxDB OSS shows token values there; Cloud redacts them),
 *   `POST /api/v2/authorizations` with `{ orgID, description, permissions: [{ action, resource:
 *   { type: 'buckets', id, orgID } }] }` → 201 and the authorization with its `token`,
 *   `DELETE /api/v2/authorizations/{authID}` → 204
 *   (https://docs.influxdata.com/influxdb/v2/api/authorizations-api-tokens/).
 *
 * Errors name the step that failed. Network errors, timeouts, 429 and 5xx (an instance still
 * starting, or restarting after a change) are retried with exponential backoff and full jitter
 * until a deadline; 4xx are not.
 */

export type AdminStep =
  | 'sign in'
  | 'find the organization'
  | 'find the bucket'
  | 'list authorizations'
  | 'create the authorization'
  | 'delete the authorization';

/** A step the server refused (a 4xx, or an answer that is not what the documentation describes). */
export class InfluxAdminError extends Error {
  override readonly name = 'InfluxAdminError';
  constructor(
    readonly step: AdminStep,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached, or kept failing, until the deadline. */
export class InfluxNotReadyError extends Error {
  override readonly name = 'InfluxNotReadyError';
  constructor(
    readonly step: AdminStep,
    readonly attempts: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Permission {
  readonly action: 'read' | 'write';
  readonly resource: { readonly type: string; readonly id?: string; readonly orgID?: string };
}

export interface Authorization {
  readonly id: string;
  readonly token?: string;
  readonly status?: string;
  readonly permissions?: readonly Permission[];
}

export interface InfluxAdminOptions {
  /** e.g. `https://<endpoint>:8086`. */
  readonly url: string;
  /** Epoch ms after which a failing request is no longer retried. */
  readonly deadline: number;
  readonly clock: () => number;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random: () => number;
  /** Deadline of one HTTP request. @default 10000 */
  readonly requestTimeoutMs?: number;
  /** First backoff, doubled each attempt. @default 1000 */
  readonly baseDelayMs?: number;
  /** @default 20000 */
  readonly maxDelayMs?: number;
  /** Told before each backoff (never given a credential). */
  readonly onRetry?: (retry: { step: AdminStep; attempt: number; delayMs: number; reason: string }) => void;
}

type Outcome =
  | { kind: 'response'; status: number; text: string; headers: Headers }
  | { kind: 'network'; reason: string };

const MAX_SAID = 300;

/** The server's own words (`message` in InfluxDB 2's error body), bounded; never a request's credentials. */
function said(text: string): string {
  let message = text.trim();
  try {
    const body = JSON.parse(text) as { message?: unknown; code?: unknown };
    if (typeof body.message === 'string') message = body.message;
  } catch {
    // Not JSON: keep the text.
  }
  return message.length > MAX_SAID ? `${message.slice(0, MAX_SAID)}…` : message;
}

export class InfluxAdmin {
  readonly origin: string;
  private cookie: string | undefined;

  constructor(private readonly opts: InfluxAdminOptions) {
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`the InfluxDB URL must be http(s): ${opts.url}`);
    this.origin = url.origin;
  }

  async signIn(username: string, password: string): Promise<void> {
    const basic = Buffer.from(`${username}:${password}`, 'utf8').toString('base64');
    const res = await this.send('sign in', 'POST', '/api/v2/signin', { Authorization: `Basic ${basic}` });
    if (res.status === 401 || res.status === 403)
      throw new InfluxAdminError(
        'sign in',
        res.status,
        `InfluxDB at ${this.origin} refused the admin sign-in of user "${username}" (${res.status}: ${said(res.text)}): check that the admin secret holds the instance's current password`,
      );
    this.expect('sign in', res, [204, 200]);
    const cookies = res.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!.trim())
      .filter(Boolean);
    if (cookies.length === 0)
      throw new InfluxAdminError(
        'sign in',
        res.status,
        `InfluxDB at ${this.origin} signed in but set no session cookie`,
      );
    this.cookie = cookies.join('; ');
  }

  async findOrganization(name: string): Promise<string> {
    const res = await this.send(
      'find the organization',
      'GET',
      `/api/v2/orgs?${new URLSearchParams({ org: name })}`,
    );
    if (res.status === 404) return this.missing('find the organization', `no organization named "${name}"`);
    this.expect('find the organization', res, [200]);
    const orgs =
      this.json<{ orgs?: { id?: string; name?: string }[] }>('find the organization', res).orgs ?? [];
    const org = orgs.find((o) => o.name === name && o.id);
    return org?.id ?? this.missing('find the organization', `no organization named "${name}"`);
  }

  async findBucket(orgID: string, name: string): Promise<string> {
    const query = new URLSearchParams({ orgID, name });
    const res = await this.send('find the bucket', 'GET', `/api/v2/buckets?${query}`);
    if (res.status === 404) return this.missing('find the bucket', `no bucket named "${name}"`);
    this.expect('find the bucket', res, [200]);
    const buckets =
      this.json<{ buckets?: { id?: string; name?: string }[] }>('find the bucket', res).buckets ?? [];
    const bucket = buckets.find((b) => b.name === name && b.id);
    return (
      bucket?.id ?? this.missing('find the bucket', `no bucket named "${name}" in organization ${orgID}`)
    );
  }

  async listAuthorizations(orgID: string): Promise<Authorization[]> {
    const res = await this.send(
      'list authorizations',
      'GET',
      `/api/v2/authorizations?${new URLSearchParams({ orgID })}`,
    );
    this.expect('list authorizations', res, [200]);
    return this.json<{ authorizations?: Authorization[] }>('list authorizations', res).authorizations ?? [];
  }

  async createAuthorization(
    orgID: string,
    permissions: Permission[],
    description: string,
  ): Promise<Required<Pick<Authorization, 'id' | 'token'>>> {
    const res = await this.send(
      'create the authorization',
      'POST',
      '/api/v2/authorizations',
      { 'Content-Type': 'application/json' },
      JSON.stringify({ orgID, description, permissions }),
    );
    this.expect('create the authorization', res, [201]);
    const auth = this.json<Authorization>('create the authorization', res);
    if (!auth.id || !auth.token)
      throw new InfluxAdminError(
        'create the authorization',
        res.status,
        `InfluxDB at ${this.origin} answered without the authorization's id or token`,
      );
    return { id: auth.id, token: auth.token };
  }

  /** Deletes an authorization; one that is not there (404) is already deleted. */
  async deleteAuthorization(id: string): Promise<'deleted' | 'absent'> {
    const res = await this.send(
      'delete the authorization',
      'DELETE',
      `/api/v2/authorizations/${encodeURIComponent(id)}`,
    );
    if (res.status === 404) return 'absent';
    this.expect('delete the authorization', res, [204, 200]);
    return 'deleted';
  }

  private missing(step: AdminStep, what: string): never {
    throw new InfluxAdminError(
      step,
      undefined,
      `InfluxDB at ${this.origin} has ${what} (the instance's Organization and Bucket properties)`,
    );
  }

  private expect(step: AdminStep, res: { status: number; text: string }, ok: number[]): void {
    if (ok.includes(res.status)) return;
    throw new InfluxAdminError(
      step,
      res.status,
      `InfluxDB at ${this.origin} refused to ${step} (${res.status}: ${said(res.text)})`,
    );
  }

  private json<T>(step: AdminStep, res: { status: number; text: string }): T {
    try {
      return JSON.parse(res.text) as T;
    } catch {
      throw new InfluxAdminError(
        step,
        res.status,
        `InfluxDB at ${this.origin} answered "${step}" with no JSON: ${said(res.text)}`,
      );
    }
  }

  private async send(
    step: AdminStep,
    method: string,
    path: string,
    headers: Record<string, string> = {},
    body?: string,
  ): Promise<{ status: number; text: string; headers: Headers }> {
    const all: Record<string, string> = { Accept: 'application/json', ...headers };
    if (this.cookie && !all.Authorization) all.Cookie = this.cookie;
    const base = this.opts.baseDelayMs ?? 1000;
    const cap = this.opts.maxDelayMs ?? 20_000;
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(new URL(path, this.origin), { method, headers: all, body });
      let reason: string;
      if (outcome.kind === 'response') {
        if (outcome.status !== 429 && outcome.status < 500) return outcome;
        reason = `HTTP ${outcome.status}: ${said(outcome.text)}`;
      } else {
        reason = outcome.reason;
      }
      const delayMs = Math.min(cap, this.opts.random() * base * 2 ** (attempt - 1));
      if (this.opts.clock() + delayMs > this.opts.deadline) {
        throw new InfluxNotReadyError(
          step,
          attempt,
          `InfluxDB at ${this.origin} was not ready to ${step} after ${attempt} attempts: ${reason}`,
        );
      }
      this.opts.onRetry?.({ step, attempt, delayMs, reason });
      await this.opts.sleep(delayMs);
    }
  }

  private async attempt(url: URL, init: RequestInit): Promise<Outcome> {
    const timeoutMs = this.opts.requestTimeoutMs ?? 10_000;
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(timeoutMs) });
      const text = await res.text();
      return { kind: 'response', status: res.status, text, headers: res.headers };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError')
        return { kind: 'network', reason: `no answer within ${timeoutMs} ms` };
      const cause = err.cause?.code ?? err.cause?.message;
      return { kind: 'network', reason: cause ? `${err.message} (${cause})` : err.message };
    }
  }
}
