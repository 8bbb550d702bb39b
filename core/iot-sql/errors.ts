/** A rule (or template) uses SQL the local rules engine does not run; the message names it. */
export class UnsupportedSqlError extends Error {
  override readonly name = 'UnsupportedSqlError';
}

/** A rule failed on one message (IoT Core sends such a message to the rule's error action). */
export class RuleEvaluationError extends Error {
  override readonly name = 'RuleEvaluationError';
}
