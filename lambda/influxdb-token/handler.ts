import {
  GetSecretValueCommand,
  PutSecretValueCommand,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import type { CloudFormationCustomResourceEvent } from 'aws-lambda';
import { z } from 'zod';
import type { Clock } from '../../core/clock';
import { type AdminStep, type Authorization, InfluxAdmin, type Permission } from './influx-admin';

/**
 * The functions' InfluxDB API token, made at deploy time by a CloudFormation custom resource
 * (request and response contract:
 * https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/crpg-ref.html; the CDK provider
 * framework sends the response, this handler returns `PhysicalResourceId` and `Data`).
 *
 * Create and Update: sign in as the instance's admin, find the organization and bucket, and make
 * sure the token secret holds a token that reads and writes that bucket — the one already there
 * if InfluxDB still has it active with both rights, a new authorization otherwise. The physical
 * id is the authorization's id (no secret), so a replaced instance yields a new id and
 * CloudFormation then deletes the old one.
 * Delete: delete that authorization if the instance can still be reached; never fail.
 */
export const TokenProperties = z.object({
  /** `https://<endpoint>:8086`. */
  Url: z.url({ protocol: /^https?$/ }),
  Organization: z.string().min(1),
  Bucket: z.string().min(1),
  /** `{"username": …, "password": …}`. */
  AdminSecretArn: z.string().min(1),
  /** Receives `{"token": …}`. */
  TokenSecretArn: z.string().min(1),
  /** The instance id: a replaced instance changes it, so CloudFormation sends an Update. */
  InstanceId: z.string().min(1).optional(),
});
export type TokenProperties = z.infer<typeof TokenProperties>;

const AdminSecret = z.object({ username: z.string().min(1), password: z.string().min(1) });
const TokenSecret = z.object({ token: z.string().min(1) });

/** InfluxDB 2 resource ids are 16 hexadecimal digits; anything else was never an authorization. */
const INFLUX_ID = /^[0-9a-f]{16}$/;

export interface TokenResult {
  readonly PhysicalResourceId: string;
  /** Only the authorization id: no secret ever goes to CloudFormation. */
  readonly Data: { readonly AuthorizationId?: string };
}

export interface TokenLog {
  info(message: string, extra?: Record<string, unknown>): void;
  warn(message: string, extra?: Record<string, unknown>): void;
}

export interface TokenDeps {
  readonly secrets: SecretsManagerClient;
  readonly clock: Clock;
  readonly sleep: (ms: number) => Promise<void>;
  readonly random?: () => number;
  readonly log?: TokenLog;
  /** How long a Create or Update waits for an instance that does not answer yet. @default 600000 */
  readonly readyBudgetMs?: number;
  /** How long a Delete tries to reach the instance before giving up (and succeeding). @default 60000 */
  readonly deleteBudgetMs?: number;
  /** @default 10000 */
  readonly requestTimeoutMs?: number;
  /** @default 1000 */
  readonly baseDelayMs?: number;
}

/** A step of the token's making that failed, named. */
export class TokenStepError extends Error {
  override readonly name = 'TokenStepError';
  constructor(
    readonly step:
      | AdminStep
      | 'read the admin secret'
      | 'read the token secret'
      | 'write the token secret'
      | 'read the properties',
    cause: unknown,
  ) {
    const said = cause instanceof Error ? cause.message : String(cause);
    super(`InfluxDB token: could not ${step}: ${said}`);
  }
}

const quiet: TokenLog = { info: () => {}, warn: () => {} };

export function makeHandler(deps: TokenDeps) {
  const log = deps.log ?? quiet;
  const random = deps.random ?? Math.random;

  const admin = (url: string, budgetMs: number) =>
    new InfluxAdmin({
      url,
      deadline: deps.clock() + budgetMs,
      clock: deps.clock,
      sleep: deps.sleep,
      random,
      requestTimeoutMs: deps.requestTimeoutMs,
      baseDelayMs: deps.baseDelayMs,
      onRetry: (r) => log.info('InfluxDB not ready, retrying', r),
    });

  async function readSecret(
    step: 'read the admin secret' | 'read the token secret',
    id: string,
  ): Promise<string | undefined> {
    try {
      const res = await deps.secrets.send(new GetSecretValueCommand({ SecretId: id }));
      return res.SecretString;
    } catch (e) {
      throw new TokenStepError(step, e);
    }
  }

  async function signedIn(props: TokenProperties, budgetMs: number): Promise<InfluxAdmin> {
    const text = await readSecret('read the admin secret', props.AdminSecretArn);
    const parsed = AdminSecret.safeParse(parseJson(text));
    if (!parsed.success)
      throw new TokenStepError(
        'read the admin secret',
        'the admin secret must hold {"username": …, "password": …}',
      );
    const client = admin(props.Url, budgetMs);
    await step('sign in', () => client.signIn(parsed.data.username, parsed.data.password));
    return client;
  }

  async function ensure(props: TokenProperties): Promise<TokenResult> {
    const client = await signedIn(props, deps.readyBudgetMs ?? 600_000);
    const orgID = await step('find the organization', () => client.findOrganization(props.Organization));
    const bucketID = await step('find the bucket', () => client.findBucket(orgID, props.Bucket));

    const current = TokenSecret.safeParse(
      parseJson(await readSecret('read the token secret', props.TokenSecretArn)),
    );
    if (current.success) {
      const authorizations = await step('list authorizations', () => client.listAuthorizations(orgID));
      const kept = authorizations.find((a) => a.token === current.data.token && works(a, bucketID));
      if (kept) {
        log.info('the token secret holds a working token: kept', { authorizationId: kept.id });
        return { PhysicalResourceId: kept.id, Data: { AuthorizationId: kept.id } };
      }
    }

    const created = await step('create the authorization', () =>
      client.createAuthorization(
        orgID,
        bucketPermissions(orgID, bucketID),
        `aiot functions: read and write ${props.Bucket}`,
      ),
    );
    try {
      await deps.secrets.send(
        new PutSecretValueCommand({
          SecretId: props.TokenSecretArn,
          SecretString: JSON.stringify({ token: created.token }),
        }),
      );
    } catch (e) {
      // The new token is of no use to anyone if the secret does not hold it.
      await client.deleteAuthorization(created.id).catch(() => undefined);
      throw new TokenStepError('write the token secret', e);
    }
    log.info('created a token with read and write on the bucket', { authorizationId: created.id, bucketID });
    return { PhysicalResourceId: created.id, Data: { AuthorizationId: created.id } };
  }

  async function remove(physicalId: string, props: TokenProperties): Promise<TokenResult> {
    const done = { PhysicalResourceId: physicalId, Data: {} };
    // A Create that failed leaves CloudFormation a physical id that is no authorization.
    if (!INFLUX_ID.test(physicalId)) return done;
    try {
      const client = await signedIn(props, deps.deleteBudgetMs ?? 60_000);
      const outcome = await step('delete the authorization', () => client.deleteAuthorization(physicalId));
      log.info(`authorization ${outcome}`, { authorizationId: physicalId });
    } catch (e) {
      // The instance (or its admin secret) may be gone with the stack: nothing left to delete.
      log.warn('could not delete the authorization; the stack delete goes on', {
        authorizationId: physicalId,
        reason: e instanceof Error ? e.message : String(e),
      });
    }
    return done;
  }

  return async (event: CloudFormationCustomResourceEvent): Promise<TokenResult> => {
    const parsed = TokenProperties.safeParse(event.ResourceProperties);
    if (event.RequestType === 'Delete') {
      if (!parsed.success) return { PhysicalResourceId: event.PhysicalResourceId, Data: {} };
      return remove(event.PhysicalResourceId, parsed.data);
    }
    if (!parsed.success)
      throw new TokenStepError('read the properties', z.prettifyError(parsed.error).replace(/\n/g, '; '));
    return ensure(parsed.data);
  };
}

/** A token with read and write on the bucket, active. */
function works(a: Authorization, bucketID: string): boolean {
  if (a.status !== undefined && a.status !== 'active') return false;
  const on = (action: Permission['action']) =>
    (a.permissions ?? []).some(
      (p) =>
        p.action === action &&
        p.resource.type === 'buckets' &&
        (p.resource.id === undefined || p.resource.id === bucketID),
    );
  return on('read') && on('write');
}

function bucketPermissions(orgID: string, bucketID: string): Permission[] {
  return (['read', 'write'] as const).map((action) => ({
    action,
    resource: { type: 'buckets', id: bucketID, orgID },
  }));
}

function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

async function step<T>(name: AdminStep, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (e) {
    throw new TokenStepError(name, e);
  }
}
