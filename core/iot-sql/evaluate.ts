import { RuleEvaluationError } from './errors';
import type { Expr } from './parse';

/** What a rule sees of one MQTT message. */
export interface RuleInput {
  /** The topic the rule sees (Basic Ingest prefix already removed). */
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly clientId: string;
  /** Epoch ms when the broker received the message. */
  readonly timestamp: number;
}

export interface Context {
  readonly input: RuleInput;
  readonly doc: unknown;
  readonly docError?: string;
}

/** IoT SQL's Undefined: a missing field. It makes comparisons false and is left out of results. */
export const UNDEFINED: unique symbol = Symbol('Undefined');
export type Value = unknown | typeof UNDEFINED;

export function evaluate(e: Expr, ctx: Context): Value {
  switch (e.type) {
    case 'literal':
      return e.value;
    case 'path': {
      if (ctx.docError) throw new RuleEvaluationError(ctx.docError);
      let v: unknown = ctx.doc;
      for (const p of e.path) {
        if (v === null || typeof v !== 'object' || Array.isArray(v) || !Object.hasOwn(v, p)) return UNDEFINED;
        v = (v as Record<string, unknown>)[p];
      }
      return v;
    }
    case 'call': {
      if (e.name === 'timestamp') return ctx.input.timestamp;
      if (e.name === 'clientid') return ctx.input.clientId;
      if (e.args.length === 0) return ctx.input.topic;
      const n = Number((e.args[0] as { value: unknown }).value);
      return ctx.input.topic.split('/')[n - 1] ?? UNDEFINED;
    }
    case 'not': {
      const v = evaluate(e.arg, ctx);
      return typeof v === 'boolean' ? !v : UNDEFINED;
    }
    case 'logic': {
      const l = evaluate(e.left, ctx);
      const r = evaluate(e.right, ctx);
      if (e.op === 'AND') return l === true && r === true;
      return l === true || r === true;
    }
    case 'compare': {
      const l = evaluate(e.left, ctx);
      const r = evaluate(e.right, ctx);
      if (l === UNDEFINED || r === UNDEFINED) return UNDEFINED;
      if (e.op === '=') return l === r;
      if (e.op === '<>') return l !== r;
      const comparable =
        (typeof l === 'number' && typeof r === 'number') || (typeof l === 'string' && typeof r === 'string');
      if (!comparable) return UNDEFINED;
      const a = l as number | string;
      const b = r as number | string;
      if (e.op === '<') return a < b;
      if (e.op === '<=') return a <= b;
      if (e.op === '>') return a > b;
      return a >= b;
    }
  }
}

export function decode(payload: Uint8Array): { doc: unknown; error?: string } {
  try {
    return {
      doc: JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')),
    };
  } catch (e) {
    return { doc: undefined, error: `payload is not JSON: ${(e as Error).message}` };
  }
}
