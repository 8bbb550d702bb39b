import type { IncomingMessage, ServerResponse } from 'node:http';
import type { QueryStore } from '../../core/ports';
import { type ApiRequest, handleApiRequest, isApiPath } from '../../core/query/api';
import { openApiDocument } from '../../core/query/openapi';

export interface LocalApiOptions {
  /** Where the API is mounted, e.g. `/api` (paths under it are the API's). @default '' */
  readonly basePath?: string;
  /** Epoch ms now. @default Date.now */
  readonly clock?: () => number;
  /** Told about unexpected errors (the client gets a sanitised message). @default console.error */
  readonly onError?: (error: unknown, req: ApiRequest) => void;
}

/**
 * The query API on Node's http server, over any QueryStore (the local store in `npm start`):
 * the same routes, validation, errors and OpenAPI document as the Lambda behind API Gateway.
 * Returns a request listener that answers the API's paths and returns false for any other path,
 * so the local runtime mounts it in front of its own pages.
 */
export function createApiHandler(
  store: QueryStore,
  opts: LocalApiOptions = {},
): (req: IncomingMessage, res: ServerResponse) => boolean {
  const base = (opts.basePath ?? '').replace(/\/+$/, '');
  let doc: unknown;
  let requests = 0;
  return (req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (base && url.pathname !== base && !url.pathname.startsWith(`${base}/`)) return false;
    const path = url.pathname.slice(base.length) || '/';
    if (!isApiPath(path)) return false;
    const query: Record<string, string> = {};
    for (const [k, v] of url.searchParams) query[k] = k in query ? `${query[k]},${v}` : v;
    const host = req.headers.host ?? 'localhost';
    const apiReq: ApiRequest = { method: req.method ?? 'GET', path, query, requestId: `local-${++requests}` };
    handleApiRequest(apiReq, {
      store,
      clock: opts.clock,
      openApi: () => {
        doc ??= openApiDocument({ serverUrl: `http://${host}${base}`, auth: 'none' });
        return doc;
      },
      onError: opts.onError ?? ((e, r) => console.error(`query API ${r.method} ${r.path} failed:`, e)),
    })
      .then((answer) => {
        res.writeHead(answer.status, answer.headers);
        res.end(answer.body);
      })
      .catch((e: unknown) => {
        // handleApiRequest maps its own failures; this only catches a broken connection.
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end('{"error":{"code":"internal","message":"the request could not be answered"}}');
        (opts.onError ?? console.error)(e, apiReq);
      });
    return true;
  };
}
