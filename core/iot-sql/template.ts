import { UnsupportedSqlError } from './errors';
import { evaluate, type RuleInput, UNDEFINED } from './evaluate';
import { type Expr, Parser } from './parse';
import { tokenize } from './tokenize';

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
    parts.push(new Parser(tokenize(src), src).wholeExpr());
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
