import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/** Reads a secret's text (SecretString) by ARN or name. */
export type SecretReader = (secretId: string) => Promise<string>;

/** The SecretReader on AWS Secrets Manager; a binary-only secret is refused with its id. */
export function secretsManagerReader(client: SecretsManagerClient): SecretReader {
  return async (secretId) => {
    const res = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    if (res.SecretString === undefined) throw new Error(`secret ${secretId} holds no text (SecretString)`);
    return res.SecretString;
  };
}
