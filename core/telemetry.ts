import Ajv2020, { type ValidateFunction } from 'ajv/dist/2020';
import { z } from 'zod';
import type { TelemetryRecord } from './ports/telemetry-store';
import { splitRuleEnvelope } from './rules';

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
/**
 * Why a store refuses a record outright (what Timestream refuses as invalid), or undefined. Every
 * TelemetryStore adapter applies it, so each refuses the same records with the same reasons.
 */
export function invalidRecordReason(r: TelemetryRecord): string | undefined {
  if (!DEVICE_ID_PATTERN.test(r.deviceId)) return 'deviceId must match [A-Za-z0-9_-]{1,128}';
  if (!SITE_PATTERN.test(r.site)) return 'site must match [a-z0-9][a-z0-9-]{0,63}';
  if (!Number.isSafeInteger(r.time) || r.time <= 0) return 'time must be positive epoch milliseconds';
  if (!Number.isSafeInteger(r.seq) || r.seq < 0) return 'seq must be a non-negative integer';
  const names = Object.keys(r.measures);
  if (names.length === 0) return 'a record needs at least one measure';
  for (const name of names) {
    if (!MEASURE_NAME_PATTERN.test(name)) return `measure name "${name}" must match [a-z][a-z0-9_]{0,63}`;
    const v = r.measures[name]!;
    if (typeof v !== 'number' || !Number.isFinite(v) || Math.abs(v) > TELEMETRY_LIMITS.maxAbsValue) {
      return `measure "${name}" must be a finite number within ±${TELEMETRY_LIMITS.maxAbsValue}`;
    }
  }
  return undefined;
}

/** A year-2001 floor catches seconds sent where milliseconds are expected. */
const MIN_EPOCH_MS = 978_307_200_000;

export const DeviceIdSchema = z.string().regex(DEVICE_ID_PATTERN, 'deviceId must match [A-Za-z0-9_-]{1,128}');
export const SiteSchema = z.string().regex(SITE_PATTERN, 'site must match [a-z0-9][a-z0-9-]{0,63}');
const MeasureNameSchema = z
  .string()
  .regex(MEASURE_NAME_PATTERN, 'measure names must match [a-z][a-z0-9_]{0,63}');

/** z.number() already refuses NaN and ±Infinity; the bounds keep values storable as doubles. */
const MeasureValueSchema = z
  .number()
  .min(
    -TELEMETRY_LIMITS.maxAbsValue,
    `measure values must be finite numbers within ±${TELEMETRY_LIMITS.maxAbsValue}`,
  )
  .max(
    TELEMETRY_LIMITS.maxAbsValue,
    `measure values must be finite numbers within ±${TELEMETRY_LIMITS.maxAbsValue}`,
  );

// Plain schemas without refinements: zod compiles them into fast checks. The checks that need
// code (measure counts, units for every measure, time window) run in one loop in validateTelemetry.
export const ReadingSchema = z.strictObject({
  ts: z.number().int().min(MIN_EPOCH_MS, 'ts must be epoch milliseconds'),
  values: z.record(MeasureNameSchema, MeasureValueSchema),
});

export const TelemetryMessageSchema = z.strictObject({
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
});

export type TelemetryMessage = z.infer<typeof TelemetryMessageSchema>;
export type Reading = z.infer<typeof ReadingSchema>;

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

let check: ValidateFunction | undefined;

/**
 * The zod schema compiled by ajv from its own JSON Schema export: the same contract, checked
 * about four times faster than zod walks it, which matters on the stream path. zod stays the
 * one definition; a property test keeps the two in agreement.
 */
function compiledCheck(): ValidateFunction {
  check ??= new Ajv2020({ strict: false, allErrors: false }).compile(
    z.toJSONSchema(TelemetryMessageSchema, { target: 'draft-2020-12' }),
  );
  return check;
}

/** True when `json` satisfies the schema (the compiled check; no time window, no unit coverage). */
export function matchesSchema(json: unknown): boolean {
  return compiledCheck()(json);
}

/** Validates an already-decoded message object; strips the rule's envelope fields first. */
export function validateTelemetry(json: unknown, opts: ParseOptions): ParseResult<TelemetryMessage> {
  const { body, topicSite, topicDeviceId } = splitRuleEnvelope(json);
  let topic = opts.topic;
  if (!topic && typeof topicSite === 'string' && typeof topicDeviceId === 'string') {
    topic = { site: topicSite, deviceId: topicDeviceId };
  }
  if (!matchesSchema(body)) {
    // The slow path runs only for bad messages: zod words the reason.
    const parsed = TelemetryMessageSchema.safeParse(body);
    const reason = parsed.success
      ? new Ajv2020().errorsText(compiledCheck().errors)
      : formatIssues(parsed.error);
    return { ok: false, reason: `invalid telemetry: ${reason}` };
  }
  const msg = body as TelemetryMessage;
  if (topic && (topic.deviceId !== msg.deviceId || topic.site !== msg.site)) {
    return {
      ok: false,
      reason: `payload names ${msg.site}/${msg.deviceId} but was published on the topic of ${topic.site}/${topic.deviceId}`,
    };
  }
  const latest = opts.now + TELEMETRY_LIMITS.maxFutureSkewMs;
  const earliest = opts.now - TELEMETRY_LIMITS.maxAgeMs;
  for (let i = 0; i < msg.readings.length; i++) {
    const r = msg.readings[i]!;
    let count = 0;
    for (const name in r.values) {
      if (!(name in msg.units))
        return { ok: false, reason: `readings.${i}.values.${name}: measure "${name}" has no unit in units` };
      count++;
    }
    if (count === 0)
      return { ok: false, reason: `readings.${i}.values: a reading needs at least one measure` };
    if (count > TELEMETRY_LIMITS.maxMeasuresPerReading) {
      return {
        ok: false,
        reason: `readings.${i}.values: a reading has at most ${TELEMETRY_LIMITS.maxMeasuresPerReading} measures`,
      };
    }
    if (r.ts > latest)
      return { ok: false, reason: `readings.${i}.ts: ${new Date(r.ts).toISOString()} is in the future` };
    if (r.ts < earliest) {
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
  const schema = z.toJSONSchema(TelemetryMessageSchema, { target: 'draft-2020-12' });
  type Node = { properties: Record<string, Node>; items: Node };
  // Limits enforced in code rather than by zod, stated here for device makers.
  Object.assign((schema as unknown as Node).properties.readings!.items.properties.values!, {
    minProperties: 1,
    maxProperties: TELEMETRY_LIMITS.maxMeasuresPerReading,
  });
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
