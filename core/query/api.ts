import type { z } from 'zod';
import { InvalidCursor } from '../cursor';
import type { QueryStore } from '../ports';
import { BadRequestError, matchRoute, NotFoundError, OPENAPI_PATH } from './routes';

/** A request as both transports see it: API Gateway (HTTP API) and the local Node server. */
export interface ApiRequest {
  readonly method: string;
  /** Path without query string and without any stage or mount prefix. */
  readonly path: string;
  /** Decoded query parameters; repeated ones joined with commas (as API Gateway does). */
  readonly query: Readonly<Record<string, string | undefined>>;
  /** Echoed in 500 answers so a caller can quote it. */
  readonly requestId?: string;
}

export interface ApiResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  /** JSON text. */
  readonly body: string;
}

export interface ApiDeps {
  readonly store: QueryStore;
  /** Epoch ms now. @default Date.now */
  readonly clock?: () => number;
  /** The OpenAPI document served at {@link OPENAPI_PATH}. */
  readonly openApi: () => unknown;
  /** Receives unexpected errors whole (the caller only sees a sanitised message). */
  readonly onError?: (error: unknown, req: ApiRequest) => void;
}

export interface ErrorBody {
  readonly error: {
    readonly code: 'bad_request' | 'not_found' | 'method_not_allowed' | 'internal';
    readonly message: string;
    readonly details?: readonly {
      readonly in: 'path' | 'query';
      readonly name: string;
      readonly message: string;
    }[];
    readonly requestId?: string;
  };
}

const HEADERS = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
} as const;

function json(status: number, body: unknown, extra: Record<string, string> = {}): ApiResponse {
  return { status, headers: { ...HEADERS, ...extra }, body: JSON.stringify(body) };
}

function error(status: number, err: ErrorBody['error'], extra?: Record<string, string>): ApiResponse {
  return json(status, { error: err } satisfies ErrorBody, extra);
}

function issues(where: 'path' | 'query', e: z.ZodError) {
  return e.issues.map((i) => {
    // An unknown parameter is reported on the object itself, naming the keys.
    if (i.code === 'unrecognized_keys') {
      return { in: where, name: i.keys.join(','), message: `unknown parameter: ${i.keys.join(', ')}` };
    }
    return { in: where, name: String(i.path[0] ?? ''), message: i.message };
  });
}

/** Whether a path belongs to the API (so a server can pass other paths on). */
export function isApiPath(path: string): boolean {
  return path === OPENAPI_PATH || matchRoute(path) !== undefined;
}

/**
 * Answers one request from the route table: validates path and query parameters, runs the
 * route against the store and maps every failure to a JSON error without internals.
 */
export async function handleApiRequest(req: ApiRequest, deps: ApiDeps): Promise<ApiResponse> {
  const isOpenApi = req.path === OPENAPI_PATH;
  const matched = isOpenApi ? undefined : matchRoute(req.path);
  if (!isOpenApi && !matched) {
    return error(404, { code: 'not_found', message: `no route ${req.path}` });
  }
  if (req.method !== 'GET') {
    return error(
      405,
      { code: 'method_not_allowed', message: `${req.method} is not allowed here; use GET` },
      { allow: 'GET' },
    );
  }
  if (isOpenApi) return json(200, deps.openApi());
  const { route, params } = matched!;
  const p = route.params.safeParse(params);
  const q = route.query.safeParse(
    Object.fromEntries(Object.entries(req.query).filter(([, v]) => v !== undefined)),
  );
  if (!p.success || !q.success) {
    const details = [
      ...(p.success ? [] : issues('path', p.error)),
      ...(q.success ? [] : issues('query', q.error)),
    ];
    return error(400, {
      code: 'bad_request',
      message: details.map((d) => `${d.name}: ${d.message}`).join('; '),
      details,
    });
  }
  try {
    const body = await route.run({ store: deps.store, now: (deps.clock ?? Date.now)() }, p.data, q.data);
    return json(200, body);
  } catch (e) {
    if (e instanceof BadRequestError) return error(400, { code: 'bad_request', message: e.message });
    if (e instanceof InvalidCursor) {
      return error(400, { code: 'bad_request', message: 'cursor is not one this API handed out' });
    }
    if (e instanceof NotFoundError) return error(404, { code: 'not_found', message: e.message });
    deps.onError?.(e, req);
    return error(500, {
      code: 'internal',
      message: 'the request could not be answered; try again later',
      ...(req.requestId ? { requestId: req.requestId } : {}),
    });
  }
}
