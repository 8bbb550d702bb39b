/**
 * A small HTTP client for the one wire API every InfluxDB that aiot may meet accepts: the v1
 * `/write` (line protocol) and `/query` (InfluxQL) endpoints.
 *
 * - InfluxDB 1.x serves them natively (the Debian `influxdb` package the tests run).
 * - InfluxDB 2.x (Timestream for InfluxDB DB instances) keeps them as its "1.x compatibility
 *   API", authenticated with `Authorization: Token …`, the database mapped to a bucket
 *   (https://docs.influxdata.com/influxdb/v2/reference/api/influxdb-1x/,
 *   https://docs.influxdata.com/influxdb/v2/query-data/influxql/dbrp/).
 * - InfluxDB 3 (Timestream for InfluxDB 3 clusters, what AWS recommends for new workloads) keeps
 *   `/write` and `/query` for v1 workloads and accepts the token in the `Token`, `Bearer` or Basic
 *   (password) schemes (https://docs.influxdata.com/influxdb3/core/get-started/migrate-from-influxdb-v1-v2/,
 *   https://docs.influxdata.com/influxdb3/core/api/authentication/).
 *
 * No InfluxData client library speaks to all three: `@influxdata/influxdb-client` writes to
 * `/api/v2/write` and queries in Flux (neither exists on 1.x, Flux not on 3.x),
 * `@influxdata/influxdb3-client` queries over Flight gRPC (3.x only). Two endpoints over Node's
 * own fetch need no dependency.
 *
 * Retries: network errors, timeouts, 429 and 5xx are retried with exponential backoff and full
 * jitter (a write retried after a lost answer is harmless: InfluxDB keeps one point per
 * measurement, tag set and time, and the retry carries the same fields). 401/403 are never
 * retried: they become an {@link InfluxAuthError} that says what to check.
 */

export type InfluxAuth =
  /** InfluxDB 2 and 3: an API token (`Authorization: Token …`). */
  | { readonly kind: 'token'; readonly token: string }
  /** InfluxDB 1.x users; InfluxDB 3 reads the password as the token and ignores the username. */
  | { readonly kind: 'basic'; readonly username: string; readonly password: string }
  | { readonly kind: 'none' };

export interface InfluxClientOptions {
  /** Base URL, e.g. `https://<endpoint>:8086` (InfluxDB 2) or `:8181` (InfluxDB 3). */
  readonly url: string;
  /**
   * The credentials, or where to get them (a secret, read on first use and read again after the
   * server refused them, so a rotated secret is picked up without a restart). @default none
   */
  readonly auth?: InfluxAuth | (() => Promise<InfluxAuth>);
  /** Deadline of one HTTP request. @default 10000 */
  readonly timeoutMs?: number;
  /** Attempts per request while the server is unreachable, throttles or fails. @default 5 */
  readonly maxAttempts?: number;
  /** First backoff; doubles each attempt, full jitter. @default 100 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff (a `Retry-After` is honoured up to it). @default 5000 */
  readonly maxDelayMs?: number;
  /** Injected for tests. */
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Told before each backoff (logs, metrics). */
  readonly onRetry?: (retry: { attempt: number; delayMs: number; reason: string }) => void;
}

/** The server refused the credentials (401) or their rights (403). Never retried. */
export class InfluxAuthError extends Error {
  override readonly name = 'InfluxAuthError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The server could not be reached, kept failing or kept throttling through every attempt. */
export class InfluxUnavailableError extends Error {
  override readonly name = 'InfluxUnavailableError';
  constructor(
    message: string,
    readonly attempts: number,
  ) {
    super(message);
  }
}

/** Any other refusal of a request (a missing database, a malformed request). */
export class InfluxRequestError extends Error {
  override readonly name = 'InfluxRequestError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** An InfluxQL statement the server could not run. */
export class InfluxQueryError extends Error {
  override readonly name = 'InfluxQueryError';
  /** The database or measurement (table) does not exist (yet): no data, rather than a fault. */
  readonly notFound: boolean;
  constructor(message: string) {
    super(message);
    this.notFound =
      /\b(database|table|measurement)\b[^\n]*\bnot found\b|\bnot found\b[^\n]*\b(database|table|measurement)\b/i.test(
        message,
      );
  }
}

/** A database or measurement that does not exist yet holds nothing: an empty answer, not a fault. */
export function emptyWhenNotFound(e: unknown): [] {
  if (e instanceof InfluxQueryError && e.notFound) return [];
  throw e;
}

export type WriteResponse =
  | { readonly ok: true }
  /** 400/422: some or all lines refused (partial write, parse error); 413: the body is too large. */
  | { readonly ok: false; readonly status: number; readonly message: string };

export type Row = Readonly<Record<string, unknown>>;

/** One InfluxQL statement's result: its series flattened to rows, the series' tags merged in. */
export interface StatementResult {
  readonly rows: readonly Row[];
}

interface RawSeries {
  name?: string;
  tags?: Record<string, string>;
  columns?: string[];
  values?: unknown[][];
}

interface RawStatement {
  statement_id?: number;
  series?: RawSeries[];
  error?: string;
}

const REFUSED_LINES = new Set([400, 413, 422]);
const MAX_MESSAGE = 2000;

/** The server's own words from an error body (1.x and 3.x `error`, 2.x `message`), bounded. */
function serverMessage(status: number, text: string): string {
  let message = text.trim();
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown; data?: unknown };
    const main =
      typeof body.error === 'string' ? body.error : typeof body.message === 'string' ? body.message : '';
    // InfluxDB 3 lists the refused lines (line number, line, reason) beside the message.
    const detail = body.data === undefined ? '' : ` ${JSON.stringify(body.data)}`;
    if (main || detail) message = `${main}${detail}`.trim();
  } catch {
    // Not JSON (a proxy's page, plain text): keep the text.
  }
  if (!message) message = `HTTP ${status}`;
  return message.length > MAX_MESSAGE ? `${message.slice(0, MAX_MESSAGE)}…` : message;
}

function retryAfterMs(header: string | null): number | undefined {
  if (!header) return undefined;
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

type Attempt =
  | { readonly kind: 'response'; readonly status: number; readonly text: string; readonly headers: Headers }
  | { readonly kind: 'network'; readonly reason: string };

export class InfluxClient {
  readonly origin: string;
  private readonly base: string;
  private authHeader: Promise<string | undefined> | undefined;
  private readonly timeoutMs: number;
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly random: () => number;

  constructor(private readonly opts: InfluxClientOptions) {
    const url = new URL(opts.url);
    if (url.protocol !== 'http:' && url.protocol !== 'https:')
      throw new Error(`the InfluxDB URL must be http(s): ${opts.url}`);
    this.origin = url.origin;
    this.base = url.href.endsWith('/') ? url.href : `${url.href}/`;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.baseDelayMs = opts.baseDelayMs ?? 100;
    this.maxDelayMs = opts.maxDelayMs ?? 5000;
    this.sleep = opts.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
    this.random = opts.random ?? Math.random;
  }

  /** Writes line protocol (ms precision). Refused lines come back as `ok: false` with the reason. */
  async write(database: string, body: string): Promise<WriteResponse> {
    const url = this.url('write', { db: database, precision: 'ms' });
    const res = await this.send('write', database, url, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'text/plain; charset=utf-8' },
    });
    if (res.status === 204 || res.status === 200) return { ok: true };
    if (REFUSED_LINES.has(res.status))
      return { ok: false, status: res.status, message: serverMessage(res.status, res.text) };
    throw this.requestError('write', database, res.status, res.text);
  }

  /** Runs InfluxQL (one or more `;`-separated statements); times come back as epoch ms. */
  async query(database: string, influxql: string): Promise<StatementResult[]> {
    const url = this.url('query', { db: database, q: influxql, epoch: 'ms' });
    const res = await this.send('query', database, url, { method: 'GET' });
    if (res.status !== 200) {
      // 1.x answers a statement it cannot parse with 400 and the reason; a server that answers a
      // database it does not have (yet) with 404 says so in the message.
      const refusal = new InfluxQueryError(serverMessage(res.status, res.text));
      if (res.status === 400 || (res.status === 404 && refusal.notFound)) throw refusal;
      throw this.requestError('query', database, res.status, res.text);
    }
    let body: { results?: RawStatement[]; error?: string };
    try {
      body = JSON.parse(res.text) as typeof body;
    } catch {
      throw new InfluxQueryError(`the query answer is not JSON: ${res.text.slice(0, 200)}`);
    }
    if (body.error) throw new InfluxQueryError(body.error);
    return (body.results ?? []).map((statement) => {
      if (statement.error) throw new InfluxQueryError(statement.error);
      return { rows: (statement.series ?? []).flatMap(seriesRows) };
    });
  }

  private url(path: string, params: Record<string, string>): URL {
    const url = new URL(path, this.base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    return url;
  }

  private async send(
    op: 'write' | 'query',
    database: string,
    url: URL,
    init: { method: string; body?: string; headers?: Record<string, string> },
  ): Promise<{ status: number; text: string }> {
    const headers: Record<string, string> = { ...init.headers };
    const authorization = await this.authorization();
    if (authorization) headers.Authorization = authorization;
    let last = '';
    for (let attempt = 1; ; attempt++) {
      const outcome = await this.attempt(url, { ...init, headers });
      let retryAfter: number | undefined;
      if (outcome.kind === 'response') {
        const { status } = outcome;
        if (status === 401 || status === 403) {
          // Read the credentials again next time: the secret may have been rotated since.
          this.authHeader = undefined;
          throw this.authError(op, database, status, outcome.text);
        }
        if (status !== 429 && status < 500) return outcome;
        last = `HTTP ${status}: ${serverMessage(status, outcome.text)}`;
        retryAfter = retryAfterMs(outcome.headers.get('retry-after'));
      } else {
        last = outcome.reason;
      }
      if (attempt >= this.maxAttempts) {
        throw new InfluxUnavailableError(
          `InfluxDB at ${this.origin} did not complete the ${op} on database "${database}" after ${attempt} attempts: ${last}`,
          attempt,
        );
      }
      const backoff = this.random() * Math.min(this.maxDelayMs, this.baseDelayMs * 2 ** (attempt - 1));
      const delayMs = Math.min(this.maxDelayMs, Math.max(backoff, retryAfter ?? 0));
      this.opts.onRetry?.({ attempt, delayMs, reason: last });
      await this.sleep(delayMs);
    }
  }

  private authorization(): Promise<string | undefined> {
    if (!this.authHeader) {
      const { auth } = this.opts;
      const header = (typeof auth === 'function' ? auth() : Promise.resolve(auth)).then(authorizationHeader);
      // A failed read of the secret is not kept: the next request tries again.
      header.catch(() => {
        if (this.authHeader === header) this.authHeader = undefined;
      });
      this.authHeader = header;
    }
    return this.authHeader;
  }

  private async attempt(url: URL, init: RequestInit): Promise<Attempt> {
    try {
      const res = await fetch(url, { ...init, signal: AbortSignal.timeout(this.timeoutMs) });
      // The body is read whole even when unused, so the connection goes back to the pool.
      const text = await res.text();
      return { kind: 'response', status: res.status, text, headers: res.headers };
    } catch (e) {
      const err = e as Error & { cause?: { code?: string; message?: string } };
      if (err.name === 'TimeoutError' || err.name === 'AbortError')
        return { kind: 'network', reason: `no answer within ${this.timeoutMs} ms` };
      const cause = err.cause?.code ?? err.cause?.message;
      return { kind: 'network', reason: cause ? `${err.message} (${cause})` : err.message };
    }
  }

  private authError(op: 'write' | 'query', database: string, status: number, text: string): InfluxAuthError {
    const said = serverMessage(status, text);
    const check =
      status === 401
        ? 'check the credentials: an API token for InfluxDB 2 or 3 (sent as "Authorization: Token …"), ' +
          'a username and password for InfluxDB 1.x; and that the secret holding them is current'
        : `the credentials are valid but may not ${op === 'write' ? 'write to' : 'read'} database "${database}"` +
          ' (on InfluxDB 2: the bucket it is mapped to); grant that permission to the token or user';
    return new InfluxAuthError(
      status,
      `InfluxDB at ${this.origin} refused the ${op} on database "${database}" (${status}: ${said}): ${check}`,
    );
  }

  private requestError(op: string, database: string, status: number, text: string): InfluxRequestError {
    const said = serverMessage(status, text);
    const hint =
      status === 404
        ? `: create database "${database}" (InfluxDB 2: a bucket with that name, or a DBRP mapping to one)`
        : '';
    return new InfluxRequestError(
      status,
      `InfluxDB at ${this.origin} refused the ${op} on database "${database}" (${status}: ${said})${hint}`,
    );
  }
}

function authorizationHeader(auth: InfluxAuth | undefined): string | undefined {
  if (auth?.kind === 'token') return `Token ${auth.token}`;
  if (auth?.kind === 'basic')
    return `Basic ${Buffer.from(`${auth.username}:${auth.password}`, 'utf8').toString('base64')}`;
  return undefined;
}

function seriesRows(s: RawSeries): Row[] {
  const columns = s.columns ?? [];
  return (s.values ?? []).map((values) => {
    const row: Record<string, unknown> = { ...s.tags };
    columns.forEach((c, i) => {
      row[c] = values[i];
    });
    return row;
  });
}
