import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { QueryStore } from '../../core/ports';
import { type ApiRequest, handleApiRequest } from '../../core/query/api';
import { type OpenApiOptions, openApiDocument } from '../../core/query/openapi';

export interface QueryApiDeps {
  readonly store: QueryStore;
  /** Epoch ms now. @default Date.now */
  readonly clock?: () => number;
  /** Receives unexpected errors whole; the caller sees a sanitised message with the request id. */
  readonly logError?: (message: string, details: Record<string, unknown>) => void;
  /** How the served OpenAPI document describes this deployment. */
  readonly openApi?: OpenApiOptions;
}

/** The HTTP API (payload 2.0) handler: maps the event to the shared route table and back. */
export function makeHandler(deps: QueryApiDeps) {
  let doc: unknown;
  return async (event: APIGatewayProxyEventV2): Promise<APIGatewayProxyStructuredResultV2> => {
    const stage = event.requestContext.stage;
    // On a named stage the raw path carries it as its first segment; the routes do not.
    const path =
      stage && stage !== '$default' && event.rawPath.startsWith(`/${stage}/`)
        ? event.rawPath.slice(stage.length + 1)
        : event.rawPath;
    const req: ApiRequest = {
      method: event.requestContext.http.method,
      path,
      query: event.queryStringParameters ?? {},
      requestId: event.requestContext.requestId,
    };
    const answer = await handleApiRequest(req, {
      store: deps.store,
      clock: deps.clock,
      openApi: () => {
        doc ??= openApiDocument({
          serverUrl: `https://${event.requestContext.domainName}`,
          ...deps.openApi,
        });
        return doc;
      },
      onError: (error, r) =>
        deps.logError?.('query failed', { error, method: r.method, path: r.path, requestId: r.requestId }),
    });
    return { statusCode: answer.status, headers: { ...answer.headers }, body: answer.body };
  };
}
