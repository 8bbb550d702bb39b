import { z } from 'zod';
import { AnomalyEventSchema } from '../events';
import type { QueryStore } from '../ports';
import { SEVERITIES } from '../severity';
import { DeviceIdSchema, MEASURE_NAME_PATTERN } from '../telemetry';
import { WorkOrderSchema, WorkOrderStatusSchema } from '../workorders';
import {
  DeviceDetailSchema,
  DeviceSummarySchema,
  PredictionSchema,
  RESOLUTIONS,
  TelemetryPointSchema,
} from './model';

/**
 * The query API's routes, defined once: the Lambda handler, the local HTTP server and the
 * OpenAPI document all read this table, so what is documented is what is served.
 */

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** How far back a request may reach in one query (Timestream bills by data scanned). */
export const QUERY_LIMITS = {
  maxRangeMs: 366 * DAY,
  /** Raw readings are many: their window is kept shorter. */
  maxRawRangeMs: 7 * DAY,
  maxPageSize: 100,
  defaultPageSize: 25,
  maxTelemetryPageSize: 1000,
  defaultTelemetryPageSize: 500,
} as const;

export class NotFoundError extends Error {
  override readonly name = 'NotFoundError';
}

/** A time parameter: ISO 8601 with an offset, or epoch milliseconds. */
const TimeParam = z
  .union([z.iso.datetime({ offset: true }), z.string().regex(/^\d{1,15}$/)])
  .transform((s) => (/^\d+$/.test(s) ? Number(s) : Date.parse(s)))
  .describe('ISO 8601 date-time with offset (2026-11-24T12:00:00Z) or epoch milliseconds');

const limitParam = (max: number, def: number) =>
  z.coerce.number().int().min(1).max(max).default(def).describe(`page size, 1–${max} (default ${def})`);

const CursorParam = z
  .string()
  .max(2048)
  .regex(/^[A-Za-z0-9_-]+$/, 'cursor must be the value of a previous page')
  .describe('the `cursor` of the previous page');

const pageOf = <T extends z.ZodType>(item: T) =>
  z.object({
    items: z.array(item),
    cursor: z.string().optional().describe('present when there are more items: pass it back as `cursor`'),
  });

/** A time window from `from`/`to`, defaulting to the last `defaultSpanMs` before `now`. */
function window(
  q: { from?: number; to?: number },
  now: number,
  defaultSpanMs: number,
  maxSpanMs: number,
): { from: number; to: number } {
  const to = q.to ?? now;
  const from = q.from ?? to - defaultSpanMs;
  if (from >= to) throw new BadRequestError('from must be before to');
  if (to - from > maxSpanMs) {
    throw new BadRequestError(`the window from..to may span at most ${Math.round(maxSpanMs / DAY)} days`);
  }
  return { from, to };
}

export class BadRequestError extends Error {
  override readonly name = 'BadRequestError';
}

export interface RouteContext {
  readonly store: QueryStore;
  /** Epoch ms now, for the default windows. */
  readonly now: number;
}

export interface RouteDefinition<P extends z.ZodObject = z.ZodObject, Q extends z.ZodObject = z.ZodObject> {
  readonly operationId: string;
  readonly method: 'GET';
  /** OpenAPI path template: `{name}` marks a path parameter. */
  readonly path: string;
  readonly summary: string;
  readonly description: string;
  readonly params: P;
  readonly query: Q;
  readonly response: z.ZodType;
  run(ctx: RouteContext, params: z.output<P>, query: z.output<Q>): Promise<unknown>;
}

const route = <P extends z.ZodObject, Q extends z.ZodObject>(r: RouteDefinition<P, Q>) =>
  r as unknown as RouteDefinition;

const NoParams = z.strictObject({});
const DevicePath = z.strictObject({ id: DeviceIdSchema.describe('the device id (its thing name)') });

export const TelemetryResponseSchema = pageOf(TelemetryPointSchema).extend({
  deviceId: z.string(),
  resolution: z.enum(RESOLUTIONS),
  from: z.number().int(),
  to: z.number().int(),
});

export const ROUTES: readonly RouteDefinition[] = [
  route({
    operationId: 'listDevices',
    method: 'GET',
    path: '/devices',
    summary: 'List devices with their latest state and health',
    description:
      'Every device that has sent telemetry, by id, with its newest reading, its last anomaly and a health: ' +
      '`critical`/`warning` when such an anomaly is recent, `stale` when the device has gone quiet, else `ok`.',
    params: NoParams,
    query: z.strictObject({
      limit: limitParam(QUERY_LIMITS.maxPageSize, QUERY_LIMITS.defaultPageSize),
      cursor: CursorParam.optional(),
    }),
    response: pageOf(DeviceSummarySchema),
    run: ({ store }, _p, q) => store.listDevices(q),
  }),
  route({
    operationId: 'getDevice',
    method: 'GET',
    path: '/devices/{id}',
    summary: 'One device: latest state, health, recent anomalies, latest prediction',
    description: 'Answers 404 when the store holds no reading of the device.',
    params: DevicePath,
    query: NoParams,
    response: DeviceDetailSchema,
    run: async ({ store }, p) => {
      const device = await store.getDevice(p.id);
      if (!device) throw new NotFoundError(`no device ${p.id}`);
      return device;
    },
  }),
  route({
    operationId: 'getTelemetry',
    method: 'GET',
    path: '/devices/{id}/telemetry',
    summary: "A device's telemetry, raw or rolled up",
    description:
      'Points oldest first, one per bucket and measure, with avg/min/max/count. Buckets start at multiples of ' +
      'the resolution (UTC); at `raw` every reading is its own point (count 1). Default window: the last hour. ' +
      `The window spans at most ${QUERY_LIMITS.maxRawRangeMs / DAY} days at raw and ${QUERY_LIMITS.maxRangeMs / DAY} days otherwise.`,
    params: DevicePath,
    query: z.strictObject({
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      measure: z
        .string()
        .regex(MEASURE_NAME_PATTERN, 'measure must match [a-z][a-z0-9_]{0,63}')
        .optional()
        .describe('one measure (all when absent)'),
      resolution: z.enum(RESOLUTIONS).default('1m').describe('bucket width (default 1m)'),
      limit: limitParam(QUERY_LIMITS.maxTelemetryPageSize, QUERY_LIMITS.defaultTelemetryPageSize),
      cursor: CursorParam.optional(),
    }),
    response: TelemetryResponseSchema,
    run: async ({ store, now }, p, q) => {
      const maxSpan = q.resolution === 'raw' ? QUERY_LIMITS.maxRawRangeMs : QUERY_LIMITS.maxRangeMs;
      const { from, to } = window(q, now, HOUR, maxSpan);
      const page = await store.telemetry({ ...q, deviceId: p.id, from, to });
      return { deviceId: p.id, resolution: q.resolution, from, to, ...page };
    },
  }),
  route({
    operationId: 'listAnomalies',
    method: 'GET',
    path: '/anomalies',
    summary: 'Anomalies, newest first',
    description: 'Anomaly events from the edge and the cloud path. Default window: the last 24 hours.',
    params: NoParams,
    query: z.strictObject({
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      severity: z
        .string()
        .transform((s) => s.split(','))
        .pipe(z.array(z.enum(SEVERITIES)).min(1))
        .optional()
        .describe(`one severity or a comma-separated list of ${SEVERITIES.join(', ')}`),
      device: DeviceIdSchema.optional().describe('only this device'),
      limit: limitParam(QUERY_LIMITS.maxPageSize, QUERY_LIMITS.defaultPageSize),
      cursor: CursorParam.optional(),
    }),
    response: pageOf(AnomalyEventSchema),
    run: ({ store, now }, _p, q) =>
      store.anomalies({
        ...window(q, now, DAY, QUERY_LIMITS.maxRangeMs),
        limit: q.limit,
        cursor: q.cursor,
        severities: q.severity,
        deviceId: q.device,
      }),
  }),
  route({
    operationId: 'listPredictions',
    method: 'GET',
    path: '/predictions',
    summary: 'Failure predictions, newest first',
    description: 'Predictions of the maintenance model. Default window: the last 7 days.',
    params: NoParams,
    query: z.strictObject({
      device: DeviceIdSchema.optional().describe('only this device'),
      from: TimeParam.optional(),
      to: TimeParam.optional(),
      limit: limitParam(QUERY_LIMITS.maxPageSize, QUERY_LIMITS.defaultPageSize),
      cursor: CursorParam.optional(),
    }),
    response: pageOf(PredictionSchema),
    run: ({ store, now }, _p, q) =>
      store.predictions({
        ...window(q, now, 7 * DAY, QUERY_LIMITS.maxRangeMs),
        limit: q.limit,
        cursor: q.cursor,
        deviceId: q.device,
      }),
  }),
  route({
    operationId: 'listWorkOrders',
    method: 'GET',
    path: '/work-orders',
    summary: 'Work orders, newest first',
    description: 'Work orders opened by the anomaly-response workflow, optionally of one status.',
    params: NoParams,
    query: z.strictObject({
      status: WorkOrderStatusSchema.optional().describe('only orders in this status'),
      limit: limitParam(QUERY_LIMITS.maxPageSize, QUERY_LIMITS.defaultPageSize),
      cursor: CursorParam.optional(),
    }),
    response: pageOf(WorkOrderSchema),
    run: ({ store }, _p, q) => store.workOrders(q),
  }),
];

/** The path of the OpenAPI document, served beside the routes. */
export const OPENAPI_PATH = '/openapi.json';

interface CompiledRoute {
  readonly route: RouteDefinition;
  readonly pattern: RegExp;
  readonly names: readonly string[];
}

const COMPILED: readonly CompiledRoute[] = ROUTES.map((r) => {
  const names: string[] = [];
  const source = r.path
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (!m) return seg.replace(/[.*+?^$()|[\]\\]/g, '\\$&');
      names.push(m[1]!);
      return '([^/]+)';
    })
    .join('/');
  return { route: r, pattern: new RegExp(`^${source}/?$`), names };
});

/** The route whose path matches (any method), with its raw path parameters. */
export function matchRoute(
  path: string,
): { route: RouteDefinition; params: Record<string, string> } | undefined {
  for (const c of COMPILED) {
    const m = c.pattern.exec(path);
    if (!m) continue;
    const params: Record<string, string> = {};
    for (const [i, name] of c.names.entries()) {
      try {
        params[name] = decodeURIComponent(m[i + 1]!);
      } catch {
        params[name] = m[i + 1]!;
      }
    }
    return { route: c.route, params };
  }
  return undefined;
}
