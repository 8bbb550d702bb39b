import { Aws, CfnMapping, Fn } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { type BuiltInAlgorithm, RANDOM_CUT_FOREST, XGBOOST } from './sagemaker-registry';

/**
 * The image URI of a built-in SageMaker algorithm for the region the stack is deployed to: the
 * region→registry map of `./sagemaker-registry.ts` as a CloudFormation mapping, so a
 * region-agnostic template resolves it at deploy time (and fails there for an unknown region).
 */
export function algorithmImage(scope: Construct, id: string, algorithm: BuiltInAlgorithm): string {
  const mapping = new CfnMapping(scope, id, {
    mapping: Object.fromEntries(
      Object.entries(algorithm.accounts).map(([region, account]) => [region, { account }]),
    ),
  });
  const account = mapping.findInMap(Aws.REGION, 'account');
  return Fn.join('', [
    account,
    '.dkr.ecr.',
    Aws.REGION,
    '.',
    Aws.URL_SUFFIX,
    `/${algorithm.repository}:${algorithm.tag}`,
  ]);
}

export { RANDOM_CUT_FOREST, XGBOOST };
