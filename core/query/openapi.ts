import { z } from 'zod';
import { OPENAPI_PATH, QUERY_LIMITS, ROUTES, type RouteDefinition } from './routes';

export interface OpenApiOptions {
  /** Base URL of the deployment (the API's endpoint, or the local server). */
  readonly serverUrl?: string;
  /** Version of the document (the package version). @default 0.1.0 */
  readonly version?: string;
  /**
   * How callers authenticate: SigV4-signed requests (IAM), JWT bearer tokens (the optional
   * authorizer, which then replaces IAM: an HTTP API route has one authorizer), or none (the
   * local server on loopback). @default iam
   */
  readonly auth?: 'iam' | 'jwt' | 'none';
}

type JsonSchema = Record<string, unknown>;

function schemaOf(s: z.ZodType, io: 'input' | 'output'): JsonSchema {
  const { $schema: _drop, ...rest } = z.toJSONSchema(s, {
    target: 'draft-2020-12',
    io,
    unrepresentable: 'any',
  });
  return rest;
}

function parameters(route: RouteDefinition): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [where, obj] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    for (const [name, field] of Object.entries(obj.shape)) {
      const f = field as z.ZodType;
      const schema = schemaOf(f, 'input');
      const { description, ...rest } = schema;
      out.push({
        name,
        in: where,
        required: where === 'path' || !f.safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: rest,
      });
    }
  }
  return out;
}

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } },
});

/**
 * The OpenAPI 3.1 document of the query API, generated from the same route table the handlers
 * serve (parameters and responses from their zod schemas), so the two cannot drift.
 */
export function openApiDocument(opts: OpenApiOptions = {}): JsonSchema {
  const paths: Record<string, JsonSchema> = {};
  for (const r of ROUTES) {
    paths[r.path] = {
      [r.method.toLowerCase()]: {
        operationId: r.operationId,
        summary: r.summary,
        description: r.description,
        parameters: parameters(r),
        responses: {
          '200': {
            description: 'OK',
            content: { 'application/json': { schema: schemaOf(r.response, 'output') } },
          },
          '400': errorResponse('A parameter is invalid (the message and `details` name it)'),
          ...(r.params.shape && Object.keys(r.params.shape).length
            ? { '404': errorResponse('No such device') }
            : {}),
          '500': errorResponse('The request could not be answered (quote `requestId`)'),
        },
      },
    };
  }
  paths[OPENAPI_PATH] = {
    get: {
      operationId: 'getOpenApi',
      summary: 'This document',
      responses: { '200': { description: 'OpenAPI 3.1 document', content: { 'application/json': {} } } },
    },
  };
  const auth = opts.auth ?? 'iam';
  const securitySchemes: Record<string, JsonSchema> =
    auth === 'jwt'
      ? { jwt: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } }
      : {
          sigv4: {
            type: 'apiKey',
            in: 'header',
            name: 'Authorization',
            description:
              'AWS Signature Version 4 (IAM): sign requests for service `execute-api` with credentials allowed execute-api:Invoke.',
          },
        };
  return {
    openapi: '3.1.0',
    info: {
      title: 'aiot query API',
      version: opts.version ?? '0.1.0',
      description:
        'Read access to the fleet: devices with health, telemetry with rollups, anomalies, failure predictions and ' +
        `work orders. Lists are paginated with an opaque \`cursor\`; page sizes are capped at ${QUERY_LIMITS.maxPageSize} ` +
        `(${QUERY_LIMITS.maxTelemetryPageSize} for telemetry). Errors are JSON: {"error": {"code", "message", "details"?}}.`,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    ...(opts.serverUrl ? { servers: [{ url: opts.serverUrl }] } : {}),
    ...(auth === 'none' ? {} : { security: [{ [auth === 'jwt' ? 'jwt' : 'sigv4']: [] }] }),
    paths,
    components: {
      schemas: {
        Error: {
          type: 'object',
          required: ['error'],
          properties: {
            error: {
              type: 'object',
              required: ['code', 'message'],
              properties: {
                code: {
                  type: 'string',
                  enum: ['bad_request', 'not_found', 'method_not_allowed', 'internal'],
                },
                message: { type: 'string' },
                details: {
                  type: 'array',
                  items: {
                    type: 'object',
                    properties: {
                      in: { type: 'string', enum: ['path', 'query'] },
                      name: { type: 'string' },
                      message: { type: 'string' },
                    },
                  },
                },
                requestId: { type: 'string' },
              },
            },
          },
        },
      },
      ...(auth === 'none' ? {} : { securitySchemes }),
    },
  };
}
