import { Stack, Token } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import type { Construct } from 'constructs';
import { LONGEST_DEPLOY_REGION } from '../common/deploy-regions';

/**
 * AWS IoT Core refuses a policy document longer than 2,048 characters, whitespace excluded
 * (CreatePolicy, policyDocument: https://docs.aws.amazon.com/iot/latest/apireference/API_CreatePolicy.html).
 */
export const IOT_POLICY_MAX_CHARS = 2048;

/** The values the stack's pseudo parameters take in the largest deployment the checks assume. */
export interface PolicyEnvironment {
  readonly partition: string;
  readonly region: string;
  readonly account: string;
}

/** The commercial partition, the longest Region the stack deploys to, a 12-digit account. */
export const WORST_CASE_ENVIRONMENT: PolicyEnvironment = {
  partition: 'aws',
  region: LONGEST_DEPLOY_REGION,
  account: '123456789012',
};

/**
 * Resolves a policy document as CloudFormation would: the stack's tokens become the pseudo
 * parameters' values (a concrete Region or account of the stack is kept). Anything else unknown
 * at synth (a reference to another resource) cannot be measured and is refused.
 */
export function resolvePolicyDocument(stack: Stack, document: unknown, env: PolicyEnvironment): unknown {
  const pseudo: Record<string, string> = {
    'AWS::Partition': env.partition,
    'AWS::Region': env.region,
    'AWS::AccountId': env.account,
    'AWS::URLSuffix': 'amazonaws.com',
  };
  const evaluate = (v: unknown): unknown => {
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null) return v;
    if (Array.isArray(v)) return v.map(evaluate);
    const o = v as Record<string, unknown>;
    if ('Ref' in o) {
      const value = pseudo[String(o.Ref)];
      if (value === undefined)
        throw new Error(`cannot measure an IoT policy that refers to ${String(o.Ref)}`);
      return value;
    }
    if ('Fn::Join' in o) {
      const [sep, parts] = o['Fn::Join'] as [string, unknown[]];
      return parts.map((p) => String(evaluate(p))).join(sep);
    }
    const key = Object.keys(o).find((k) => k.startsWith('Fn::'));
    if (key) throw new Error(`cannot measure an IoT policy that uses ${key}`);
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, evaluate(x)]));
  };
  return evaluate(stack.resolve(document));
}

/** The length AWS IoT Core counts: the JSON document without whitespace. */
export function policyLength(resolved: unknown): number {
  return JSON.stringify(resolved).replace(/\s/g, '').length;
}

/**
 * An IoT policy whose document is rendered from a name that depends on the stage, checked at
 * synth: rendered for the stack's own name and for the longest a stage may make it, in the longest
 * Region, it must stay within IoT Core's limit, or synth fails saying by how much.
 */
export function sizedIotPolicy<T>(
  scope: Construct,
  id: string,
  props: {
    readonly policyName: string;
    /** The stack's own name first, then the longest one. */
    readonly variants: readonly [T, T];
    readonly render: (variant: T) => unknown;
  },
): iot.CfnPolicy {
  const policy = new iot.CfnPolicy(scope, id, {
    policyName: props.policyName,
    policyDocument: props.render(props.variants[0]),
  });
  policy.node.addValidation({
    validate: () => {
      const stack = Stack.of(policy);
      const env: PolicyEnvironment = {
        ...WORST_CASE_ENVIRONMENT,
        region: Token.isUnresolved(stack.region) ? WORST_CASE_ENVIRONMENT.region : stack.region,
      };
      const longest = Math.max(
        ...props.variants.map((v) => policyLength(resolvePolicyDocument(stack, props.render(v), env))),
      );
      return longest > IOT_POLICY_MAX_CHARS
        ? [
            `IoT policy ${props.policyName}: ${longest} characters without whitespace in ${env.region} with the longest stage name; ` +
              `AWS IoT Core accepts at most ${IOT_POLICY_MAX_CHARS}`,
          ]
        : [];
    },
  });
  return policy;
}
