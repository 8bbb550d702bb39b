import { UnsupportedSqlError } from './errors';
import { COMPARISONS, KEYWORDS, type Token, tokenize } from './tokenize';

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

export class Parser {
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

  /** One expression that must be the whole text (a template's `${…}`). */
  wholeExpr(): Expr {
    const e = this.expr();
    if (this.peek().kind !== 'end') throw this.error('unsupported construct');
    return e;
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
