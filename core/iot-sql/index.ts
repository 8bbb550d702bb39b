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
export { RuleEvaluationError, UnsupportedSqlError } from './errors';
export type { RuleInput } from './evaluate';
export { type CompiledRule, compileRule, type Expr, type SelectItem } from './parse';
export { type RuleResult, runRule } from './run';
export { compileTemplate } from './template';
