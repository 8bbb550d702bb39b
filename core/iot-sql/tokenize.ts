import { UnsupportedSqlError } from './errors';

export type Token =
  | { kind: 'ident'; value: string; pos: number }
  | { kind: 'string'; value: string; pos: number }
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'op'; value: string; pos: number }
  | { kind: 'end'; pos: number };

export const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'AS',
  'AND',
  'OR',
  'NOT',
  'TRUE',
  'FALSE',
  'NULL',
]);
export const COMPARISONS = new Set(['=', '<>', '!=', '<', '<=', '>', '>=']);

export function tokenize(sql: string): Token[] {
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
