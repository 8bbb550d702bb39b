import { z } from 'zod';

/**
 * The telemetry contract: what a device publishes on `dt/aiot/<site>/<deviceId>/telemetry`.
 *
 * One message carries a batch of readings from one device. Every reading has a timestamp
 * (epoch milliseconds) and named numeric measures; the unit of each measure is declared once
 * per message in `units`. Devices number their messages with a sequence number that only
 * grows, so downstream can deduplicate by (deviceId, seq) after a store-and-forward replay.
 */
export const TELEMETRY_SCHEMA_VERSION = 'aiot.telemetry/1';

/** Limits of the contract, enforced by {@link parseTelemetry} and stated in the JSON Schema. */
export const TELEMETRY_LIMITS = {
  /** IoT Core's own message size limit. */
  maxPayloadBytes: 128 * 1024,
  maxReadingsPerMessage: 500,
  maxMeasuresPerReading: 32,
  /** Measure values must be finite and within this magnitude. */
  maxAbsValue: 1e12,
  /** How far ahead of the receiver's clock a reading may be (clock skew). */
  maxFutureSkewMs: 5 * 60 * 1000,
  /** How old a reading may be when it arrives (store-and-forward replays included). */
  maxAgeMs: 30 * 24 * 60 * 60 * 1000,
} as const;

export const DEVICE_ID_PATTERN = /^[A-Za-z0-9_-]{1,128}$/;
export const SITE_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;
export const MEASURE_NAME_PATTERN = /^[a-z][a-z0-9_]{0,63}$/;
/** A year-2001 floor catches seconds sent where milliseconds are expected. */
const MIN_EPOCH_MS = 978_307_200_000;

export const DeviceIdSchema = z.string().regex(DEVICE_ID_PATTERN, 'deviceId must match [A-Za-z0-9_-]{1,128}');
export const SiteSchema = z.string().regex(SITE_PATTERN, 'site must match [a-z0-9][a-z0-9-]{0,63}');
const MeasureNameSchema = z
  .string()
  .regex(MEASURE_NAME_PATTERN, 'measure names must match [a-z][a-z0-9_]{0,63}');

const MeasureValueSchema = z
  .number()
  .refine((v) => Number.isFinite(v) && Math.abs(v) <= TELEMETRY_LIMITS.maxAbsValue, {
    message: `measure values must be finite numbers within ±${TELEMETRY_LIMITS.maxAbsValue}`,
  });

export const ReadingSchema = z.strictObject({
  ts: z.number().int().min(MIN_EPOCH_MS, 'ts must be epoch milliseconds'),
  values: z
    .record(MeasureNameSchema, MeasureValueSchema)
    .refine((v) => Object.keys(v).length >= 1, 'a reading needs at least one measure')
    .refine(
      (v) => Object.keys(v).length <= TELEMETRY_LIMITS.maxMeasuresPerReading,
      `a reading has at most ${TELEMETRY_LIMITS.maxMeasuresPerReading} measures`,
    ),
});

export const TelemetryMessageSchema = z
  .strictObject({
    schema: z.literal(TELEMETRY_SCHEMA_VERSION),
    deviceId: DeviceIdSchema,
    site: SiteSchema,
    seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
    units: z.record(MeasureNameSchema, z.string().min(1).max(32)),
    readings: z
      .array(ReadingSchema)
      .min(1, 'a message needs at least one reading')
      .max(
        TELEMETRY_LIMITS.maxReadingsPerMessage,
        `a message has at most ${TELEMETRY_LIMITS.maxReadingsPerMessage} readings`,
      ),
  })
  .superRefine((msg, ctx) => {
    for (const [i, r] of msg.readings.entries()) {
      for (const name of Object.keys(r.values)) {
        if (!(name in msg.units)) {
          ctx.addIssue({
            code: 'custom',
            path: ['readings', i, 'values', name],
            message: `measure "${name}" has no unit in units`,
          });
          return;
        }
      }
    }
  });

export type TelemetryMessage = z.infer<typeof TelemetryMessageSchema>;
export type Reading = z.infer<typeof ReadingSchema>;

/** Fields the telemetry rule adds from the topic and the broker; the topic is authoritative. */
export const RuleEnvelopeSchema = z.object({
  topicSite: z.string().optional(),
  topicDeviceId: z.string().optional(),
  receivedAt: z.number().optional(),
});

export type ParseResult<T> = { ok: true; value: T } | { ok: false; reason: string };

export interface ParseOptions {
  /** The receiver's clock, epoch ms. */
  readonly now: number;
  /** Site and device from the topic the message came on; they must match the payload. */
  readonly topic?: { readonly site: string; readonly deviceId: string };
}

/** Turns zod issues into one human-readable reason, naming the path of each problem. */
export function formatIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 5)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}

/**
 * Parses and validates one device message (raw bytes or text). Never throws: every way a
 * message can be bad comes back as a reason, so the caller can quarantine it.
 */
export function parseTelemetry(raw: Uint8Array | string, opts: ParseOptions): ParseResult<TelemetryMessage> {
  const size = typeof raw === 'string' ? Buffer.byteLength(raw) : raw.byteLength;
  if (size > TELEMETRY_LIMITS.maxPayloadBytes) {
    return {
      ok: false,
      reason: `payload is ${size} bytes, over the ${TELEMETRY_LIMITS.maxPayloadBytes} limit`,
    };
  }
  let json: unknown;
  try {
    json = JSON.parse(typeof raw === 'string' ? raw : Buffer.from(raw).toString('utf8'));
  } catch (e) {
    return { ok: false, reason: `payload is not JSON: ${(e as Error).message}` };
  }
  return validateTelemetry(json, opts);
}

/** Validates an already-decoded message object; strips the rule's envelope fields first. */
export function validateTelemetry(json: unknown, opts: ParseOptions): ParseResult<TelemetryMessage> {
  let body = json;
  let topic = opts.topic;
  if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
    const { topicSite, topicDeviceId, receivedAt: _receivedAt, ...rest } = json as Record<string, unknown>;
    body = rest;
    if (!topic && typeof topicSite === 'string' && typeof topicDeviceId === 'string') {
      topic = { site: topicSite, deviceId: topicDeviceId };
    }
  }
  const parsed = TelemetryMessageSchema.safeParse(body);
  if (!parsed.success) return { ok: false, reason: `invalid telemetry: ${formatIssues(parsed.error)}` };
  const msg = parsed.data;
  if (topic && (topic.deviceId !== msg.deviceId || topic.site !== msg.site)) {
    return {
      ok: false,
      reason: `payload names ${msg.site}/${msg.deviceId} but was published on the topic of ${topic.site}/${topic.deviceId}`,
    };
  }
  for (const [i, r] of msg.readings.entries()) {
    if (r.ts > opts.now + TELEMETRY_LIMITS.maxFutureSkewMs) {
      return { ok: false, reason: `readings.${i}.ts: ${new Date(r.ts).toISOString()} is in the future` };
    }
    if (r.ts < opts.now - TELEMETRY_LIMITS.maxAgeMs) {
      return {
        ok: false,
        reason: `readings.${i}.ts: ${new Date(r.ts).toISOString()} is older than ${TELEMETRY_LIMITS.maxAgeMs / 86_400_000} days`,
      };
    }
  }
  return { ok: true, value: msg };
}

/** JSON Schema (draft 2020-12) of the contract, for device makers. */
export function telemetryJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(TelemetryMessageSchema, { target: 'draft-2020-12', unrepresentable: 'any' });
  return {
    ...schema,
    $id: `https://aiot.dev/schemas/${TELEMETRY_SCHEMA_VERSION}.json`,
    title: 'aiot device telemetry message',
    description:
      `Version ${TELEMETRY_SCHEMA_VERSION}. Limits: payload ≤ ${TELEMETRY_LIMITS.maxPayloadBytes} bytes; ` +
      `readings ≤ ${TELEMETRY_LIMITS.maxReadingsPerMessage}; measures per reading ≤ ${TELEMETRY_LIMITS.maxMeasuresPerReading}; ` +
      `values finite within ±${TELEMETRY_LIMITS.maxAbsValue}; ts in epoch ms, at most ` +
      `${TELEMETRY_LIMITS.maxFutureSkewMs / 60000} min ahead and ${TELEMETRY_LIMITS.maxAgeMs / 86_400_000} days behind the receiver; ` +
      'every measure named in readings has a unit in units.',
  };
}
