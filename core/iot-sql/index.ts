/**
 * A subset of AWS IoT SQL (version 2016-03-23), enough to run the stack's own rules locally with
 * the same meaning IoT Core gives them:
 *
 * - `SELECT *`, fields and nested paths (`a.b.c`), literals, aliases (`AS name`)
 * - `FROM '<topic filter>'` with `+` and `#`
 * - `WHERE` with `=`, `<>`, `!=`, `<`, `<=`, `>`, `>=`, `AND`, `OR`, `NOT` and parentheses
 * - functions `topic()`, `topic(n)`, `timestamp()`, `clientid()`
 * - substitution templates (`${topic(4)}`) as used by rule actions
 *
 * Anything else is refused when the rule is compiled, with an error naming the construct, so a
 * rule the local runtime cannot evaluate faithfully stops it at start-up instead of misbehaving.
 */
import { TopicMemo, topicMatches } from '../topics';

export class UnsupportedSqlError extends Error {}
export class RuleEvaluationError extends Error {}

type Token =
  | { kind: 'ident'; value: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'end'; pos: number };

const KEYWORDS = new Set(['SELECT', 'FROM', 'WHERE', 'AS', 'AND', 'OR', 'NOT', 'TRUE', 'FALSE', 'NULL']);
const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

function tokenize(sql: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  while (i < sql.length) {
    const c = sql[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (c === "'") {
      let j = i + 1;
      let s = '';
      while (j < sql.length) {
        if (sql[j] === "'" && sql[j + 1] === "'") {
          s += "'";
          j += 2;
        } else if (sql[j] === "'") break;
        else s += sql[j++];
      }
      if (j >= sql.length) throw new UnsupportedSqlError(`unterminated string at ${i}`);
      out.push({ kind: 'string', value: s, pos: i });
      i = j + 1;
    } else if (/[0-9]/.test(c) || (c === '-' && /[0-9]/.test(sql[i + 1] ?? '') && isOperandStart(out))) {
      const m = /^-?[0-9]+(\.[0-9]+)?([eE][-+]?[0-9]+)?/.exec(sql.slice(i))!;
      out.push({ kind: 'number', value: Number(m[0]), pos: i });
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(sql.slice(i))!;
      out.push({ kind: 'ident', value: m[0], pos: i });
      i += m[0].length;
    } else if (c === '`') {
      const j = sql.indexOf('`', i + 1);
      if (j < 0) throw new UnsupportedSqlError(`unterminated quoted name at ${i}`);
      out.push({ kind: 'ident', value: sql.slice(i + 1, j), pos: i });
      i = j + 1;
    } else {
      const two = sql.slice(i, i + 2);
      if (['<>', '!=', '<=', '>='].includes(two)) {
        out.push({ kind: 'op', value: two, pos: i });
        i += 2;
      } else if ('=<>*,.()'.includes(c)) {
        out.push({ kind: 'op', value: c, pos: i });
        i++;
      } else {
        throw new UnsupportedSqlError(`unsupported character "${c}" at ${i}`);
      }
    }
  }
  out.push({ kind: 'end', pos: sql.length });
  return out;
}

/** A minus starts a number only where an operand may start (not after a name or a value). */
function isOperandStart(tokens: Token[]): boolean {
  const last = tokens[tokens.length - 1];
  return (
    !last ||
    (last.kind === 'op' && last.value !== ')') ||
    (last.kind === 'ident' && KEYWORDS.has(last.value.toUpperCase()))
  );
}

export type Expr =
  | { type: 'literal'; value: unknown }
  | { type: 'path'; path: string[] }
  | { type: 'call'; name: 'topic' | 'timestamp' | 'clientid'; args: Expr[] }
  | { type: 'not'; arg: Expr }
  | { type: 'logic'; op: 'AND' | 'OR'; left: Expr; right: Expr }
  | { type: 'compare'; op: string; left: Expr; right: Expr };

export type SelectItem = { type: 'star' } | { type: 'expr'; expr: Expr; alias: string };

export interface CompiledRule {
  readonly sql: string;
  readonly select: readonly SelectItem[];
  readonly from: string;
  readonly where?: Expr;
}

class Parser {
  private i = 0;
  constructor(
    private readonly tokens: Token[],
    private readonly sql: string,
  ) {}

  private peek(): Token {
    return this.tokens[this.i]!;
  }
  private next(): Token {
    return this.tokens[this.i++]!;
  }
  private isKeyword(word: string): boolean {
    const t = this.peek();
    return t.kind === 'ident' && t.value.toUpperCase() === word;
  }
  private isOp(op: string): boolean {
    const t = this.peek();
    return t.kind === 'op' && t.value === op;
  }
  private expectKeyword(word: string): void {
    if (!this.isKeyword(word)) throw this.error(`expected ${word}`);
    this.i++;
  }
  private expectOp(op: string): void {
    if (!this.isOp(op)) throw this.error(`expected "${op}"`);
    this.i++;
  }
  private error(msg: string): UnsupportedSqlError {
    const t = this.peek();
    const near = this.sql.slice(t.pos, t.pos + 20) || 'end of statement';
    return new UnsupportedSqlError(`${msg} near "${near}" in: ${this.sql}`);
  }

  statement(): CompiledRule {
    this.expectKeyword('SELECT');
    const select: SelectItem[] = [];
    let n = 0;
    do {
      if (this.isOp('*')) {
        this.i++;
        select.push({ type: 'star' });
      } else {
        const expr = this.expr();
        let alias: string | undefined;
        if (this.isKeyword('AS')) {
          this.i++;
          const t = this.next();
          if (t.kind !== 'ident') throw this.error('expected a name after AS');
          alias = t.value;
        }
        select.push({ type: 'expr', expr, alias: alias ?? defaultAlias(expr, n) });
      }
      n++;
    } while (this.isOp(',') && this.next());
    this.expectKeyword('FROM');
    const from = this.next();
    if (from.kind !== 'string') throw this.error('expected a quoted topic filter after FROM');
    let where: Expr | undefined;
    if (this.isKeyword('WHERE')) {
      this.i++;
      where = this.expr();
    }
    if (this.peek().kind !== 'end') throw this.error('unsupported construct');
    return { sql: this.sql, select, from: from.value, where };
  }

  expr(): Expr {
    let left = this.and();
    while (this.isKeyword('OR')) {
      this.i++;
      left = { type: 'logic', op: 'OR', left, right: this.and() };
    }
    return left;
  }
  private and(): Expr {
    let left = this.not();
    while (this.isKeyword('AND')) {
      this.i++;
      left = { type: 'logic', op: 'AND', left, right: this.not() };
    }
    return left;
  }
  private not(): Expr {
    if (this.isKeyword('NOT')) {
      this.i++;
      return { type: 'not', arg: this.not() };
    }
    const left = this.primary();
    const t = this.peek();
    if (t.kind === 'op' && COMPARISONS.has(t.value)) {
      this.i++;
      return { type: 'compare', op: t.value === '!=' ? '<>' : t.value, left, right: this.primary() };
    }
    return left;
  }
  private primary(): Expr {
    const t = this.next();
    if (t.kind === 'string' || t.kind === 'number') return { type: 'literal', value: t.value };
    if (t.kind === 'op' && t.value === '(') {
      const e = this.expr();
      this.expectOp(')');
      return e;
    }
    if (t.kind === 'ident') {
      const upper = t.value.toUpperCase();
      if (upper === 'TRUE' || upper === 'FALSE') return { type: 'literal', value: upper === 'TRUE' };
      if (upper === 'NULL') return { type: 'literal', value: null };
      if (KEYWORDS.has(upper)) {
        this.i--;
        throw this.error(`unexpected ${upper}`);
      }
      if (this.isOp('(')) return this.call(t.value);
      const path = [t.value];
      while (this.isOp('.')) {
        this.i++;
        const p = this.next();
        if (p.kind !== 'ident') throw this.error('expected a field name after "."');
        path.push(p.value);
      }
      return { type: 'path', path };
    }
    this.i--;
    throw this.error('unsupported construct');
  }
  private call(name: string): Expr {
    const fn = name.toLowerCase();
    if (fn !== 'topic' && fn !== 'timestamp' && fn !== 'clientid') {
      this.i--;
      throw this.error(`unsupported function ${name}()`);
    }
    this.expectOp('(');
    const args: Expr[] = [];
    if (!this.isOp(')')) {
      do args.push(this.expr());
      while (this.isOp(',') && this.next());
    }
    this.expectOp(')');
    if (fn === 'topic' && (args.length > 1 || (args[0] && args[0].type !== 'literal'))) {
      throw this.error('topic() takes at most one literal number');
    }
    if (fn !== 'topic' && args.length > 0) throw this.error(`${fn}() takes no argument`);
    return { type: 'call', name: fn, args };
  }
}

function defaultAlias(expr: Expr, n: number): string {
  if (expr.type === 'path') return expr.path[expr.path.length - 1]!;
  if (expr.type === 'call') return expr.name;
  return `_${n + 1}`;
}

/** Parses a rule's SQL; throws {@link UnsupportedSqlError} naming what is not supported. */
export function compileRule(sql: string): CompiledRule {
  return new Parser(tokenize(sql), sql).statement();
}

/** What a rule sees of one MQTT message. */
export interface RuleInput {
  /** The topic the rule sees (Basic Ingest prefix already removed). */
  readonly topic: string;
  readonly payload: Uint8Array;
  readonly clientId: string;
  /** Epoch ms when the broker received the message. */
  readonly timestamp: number;
}

interface Context {
  readonly input: RuleInput;
  readonly doc: unknown;
  readonly docError?: string;
}

/** IoT SQL's Undefined: a missing field. It makes comparisons false and is left out of results. */
const UNDEFINED: unique symbol = Symbol('Undefined');
type Value = unknown | typeof UNDEFINED;

function evaluate(e: Expr, ctx: Context): Value {
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

function decode(payload: Uint8Array): { doc: unknown; error?: string } {
  try {
    return {
      doc: JSON.parse(Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8')),
    };
  } catch (e) {
    return { doc: undefined, error: `payload is not JSON: ${(e as Error).message}` };
  }
}

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

/**
 * Compiles a substitution template (`${expr}` parts inside text), as rule actions use for
 * partition keys and object keys; throws {@link UnsupportedSqlError} for what it cannot run.
 */
export function compileTemplate(template: string): (input: RuleInput, doc?: unknown) => string {
  const parts: (string | Expr)[] = [];
  let rest = template;
  while (rest.length) {
    const start = rest.indexOf('${');
    if (start < 0) {
      parts.push(rest);
      break;
    }
    const end = rest.indexOf('}', start);
    if (end < 0) throw new UnsupportedSqlError(`unterminated substitution in template ${template}`);
    if (start > 0) parts.push(rest.slice(0, start));
    const src = rest.slice(start + 2, end);
    const parser = new Parser(tokenize(src), src);
    parts.push(parser.expr());
    rest = rest.slice(end + 1);
  }
  return (input, doc) =>
    parts
      .map((p) => {
        if (typeof p === 'string') return p;
        const v = evaluate(p, { input, doc });
        return v === UNDEFINED ? '' : String(v);
      })
      .join('');
}
