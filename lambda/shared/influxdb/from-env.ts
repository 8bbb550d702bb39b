import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { z } from 'zod';
import { EnvParts, loadEnv } from '../env';
import { type SecretReader, secretsManagerReader } from '../secrets';
import { type InfluxAuth, InfluxClient, type InfluxClientOptions } from './client';
import { InfluxEventStore } from './event-store';
import { InfluxQueryStore } from './query-store';
import { InfluxTelemetryStore } from './telemetry-store';

/**
 * What a function that reads or writes InfluxDB needs in its environment: the `influxdb` part of
 * {@link EnvParts}, which a function's own schema composes.
 */
export const InfluxEnvSchema = z.object(EnvParts.influxdb);
export type InfluxEnv = z.infer<typeof InfluxEnvSchema>;

const SecretJson = z.union([
  z.object({ token: z.string().min(1) }),
  z.object({ username: z.string().min(1), password: z.string().min(1) }),
]);

/** The credentials in a secret's text: JSON with a token, or with a username and password, or the bare token. */
export function authFromSecret(text: string): InfluxAuth {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    const token = text.trim();
    if (!token) throw new Error('the InfluxDB secret is empty');
    return { kind: 'token', token };
  }
  const parsed = SecretJson.safeParse(json);
  if (!parsed.success)
    throw new Error(
      'the InfluxDB secret must hold {"token": …} or {"username": …, "password": …}, or the bare token',
    );
  return 'token' in parsed.data
    ? { kind: 'token', token: parsed.data.token }
    : { kind: 'basic', username: parsed.data.username, password: parsed.data.password };
}

export interface InfluxStores {
  readonly client: InfluxClient;
  readonly telemetry: InfluxTelemetryStore;
  /** EventStore and PredictionStore. */
  readonly events: InfluxEventStore;
  /** TimeSeriesQueries and HistoryReader. */
  readonly query: InfluxQueryStore;
}

export interface InfluxStoresDeps {
  /** @default process.env */
  readonly env?: NodeJS.ProcessEnv;
  /** @default Secrets Manager */
  readonly readSecret?: SecretReader;
  readonly clock?: () => number;
  readonly onRetry?: InfluxClientOptions['onRetry'];
}

/**
 * The InfluxDB adapters of a Lambda function, from its environment (checked at cold start; a bad
 * variable fails the start naming it). The secret is read on the first request, not here, so
 * building the stores needs no network.
 */
export function influxStoresFromEnv(deps: InfluxStoresDeps = {}): InfluxStores {
  const env = loadEnv(InfluxEnvSchema, deps.env);
  const secretArn = env.INFLUXDB_SECRET_ARN;
  let auth: InfluxClientOptions['auth'];
  if (secretArn) {
    const read = deps.readSecret ?? secretsManagerReader(new SecretsManagerClient({}));
    auth = async () => authFromSecret(await read(secretArn));
  }
  const client = new InfluxClient({
    url: env.INFLUXDB_URL,
    ...(auth ? { auth } : {}),
    timeoutMs: env.INFLUXDB_TIMEOUT_MS,
    maxAttempts: env.INFLUXDB_MAX_ATTEMPTS,
    ...(deps.onRetry ? { onRetry: deps.onRetry } : {}),
  });
  const database = env.INFLUXDB_DATABASE;
  return {
    client,
    telemetry: new InfluxTelemetryStore({ client, database, batchSize: env.INFLUXDB_BATCH_SIZE }),
    events: new InfluxEventStore({ client, database, batchSize: env.INFLUXDB_BATCH_SIZE }),
    query: new InfluxQueryStore({ client, database, ...(deps.clock ? { clock: deps.clock } : {}) }),
  };
}
