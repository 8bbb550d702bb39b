import type { Stack } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';

/**
 * Lambda keeps at least 100 of an account's concurrency unreserved, and new accounts start
 * with a lower concurrency quota, so any reserved concurrency fails to deploy there
 * (https://docs.aws.amazon.com/lambda/latest/dg/configuration-concurrency.html,
 * https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). The stack reserves none:
 * synth fails naming any function that does.
 */
export function forbidReservedConcurrency(stack: Stack): void {
  stack.node.addValidation({
    validate: () =>
      stack.node
        .findAll()
        .filter((c): c is lambda.CfnFunction => c instanceof lambda.CfnFunction)
        .filter((f) => f.reservedConcurrentExecutions !== undefined)
        .map(
          (f) =>
            `${f.node.path}: reserves concurrency, which fails in accounts whose quota leaves no 100 unreserved executions (new accounts)`,
        ),
  });
}
