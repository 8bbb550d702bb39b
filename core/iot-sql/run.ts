import { TopicMemo, topicMatches } from '../topics';
import { RuleEvaluationError } from './errors';
import { type Context, decode, evaluate, type RuleInput, UNDEFINED } from './evaluate';
import type { CompiledRule, SelectItem } from './parse';

/** Topics seen per rule, matched once: a fleet publishes on a few topics per device, again and again. */
const fromCache = new WeakMap<CompiledRule, TopicMemo<boolean>>();

function fromMatches(rule: CompiledRule, topic: string): boolean {
  let seen = fromCache.get(rule);
  if (!seen) {
    seen = new TopicMemo((t) => topicMatches(rule.from, t));
    fromCache.set(rule, seen);
  }
  return seen.get(topic);
}

/**
 * `SELECT *, a AS x, …` on a JSON object: the payload's own text with the selected fields
 * appended before its closing brace — the object `Object.assign({}, doc, {x: …})` would give
 * once parsed (a repeated key takes the last value), without re-serialising the whole document,
 * which is also how its numbers keep their exact text. Undefined for any other shape of SELECT.
 */
function appendToPayload(rule: CompiledRule, ctx: Context): Uint8Array | undefined {
  const [first, ...rest] = rule.select;
  if (first?.type !== 'star' || rest.some((s) => s.type === 'star')) return undefined;
  if (ctx.docError) throw new RuleEvaluationError(ctx.docError);
  const doc = ctx.doc;
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw new RuleEvaluationError('SELECT * with other fields needs a JSON object payload');
  }
  let extra = '';
  for (const item of rest as Extract<SelectItem, { type: 'expr' }>[]) {
    const v = evaluate(item.expr, ctx);
    if (v === UNDEFINED) continue;
    const json = JSON.stringify(v);
    if (json === undefined) continue;
    extra += `${extra || Object.keys(doc).length > 0 ? ',' : ''}${JSON.stringify(item.alias)}:${json}`;
  }
  // The closing brace is ASCII, and in UTF-8 its byte never occurs inside another character:
  // the bytes are spliced without decoding the text again.
  const bytes = Buffer.from(
    ctx.input.payload.buffer,
    ctx.input.payload.byteOffset,
    ctx.input.payload.byteLength,
  );
  const close = bytes.lastIndexOf(0x7d);
  return Buffer.concat([bytes.subarray(0, close), Buffer.from(extra), bytes.subarray(close)]);
}

/** What a rule made of a message: not matched, matched with its output, or failed (→ error action). */
export type RuleResult =
  | { readonly status: 'no-match' }
  | { readonly status: 'matched'; readonly output: Uint8Array }
  | { readonly status: 'error'; readonly reason: string };

/**
 * Runs a compiled rule on one message. `SELECT *` alone passes any payload through unchanged;
 * once fields are added or referenced, the payload must be a JSON object, or the rule fails
 * with the reason (IoT Core sends such a message to the rule's error action).
 */
export function runRule(rule: CompiledRule, input: RuleInput): RuleResult {
  if (!fromMatches(rule, input.topic)) return { status: 'no-match' };
  const onlyStar = rule.select.every((s) => s.type === 'star');
  let ctx: Context = { input, doc: undefined };
  if (!onlyStar || rule.where) {
    const { doc, error } = decode(input.payload);
    ctx = { input, doc, docError: error };
  }
  try {
    if (rule.where && evaluate(rule.where, ctx) !== true) return { status: 'no-match' };
    if (onlyStar) return { status: 'matched', output: input.payload };
    const appended = appendToPayload(rule, ctx);
    if (appended) return { status: 'matched', output: appended };
    const out: Record<string, unknown> = {};
    for (const item of rule.select) {
      if (item.type === 'star') {
        if (ctx.docError) throw new RuleEvaluationError(ctx.docError);
        if (ctx.doc === null || typeof ctx.doc !== 'object' || Array.isArray(ctx.doc)) {
          throw new RuleEvaluationError('SELECT * with other fields needs a JSON object payload');
        }
        Object.assign(out, ctx.doc);
      } else {
        const v = evaluate(item.expr, ctx);
        if (v !== UNDEFINED) out[item.alias] = v;
      }
    }
    return { status: 'matched', output: Buffer.from(JSON.stringify(out)) };
  } catch (e) {
    if (e instanceof RuleEvaluationError) return { status: 'error', reason: e.message };
    throw e;
  }
}
