import {
  CreateSecretCommand,
  PutSecretValueCommand,
  ResourceExistsException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';

/** Stores the function's credentials the way production does: one JSON secret in Secrets Manager. */
export async function putDemoSecret(name: string, value: Record<string, string>): Promise<void> {
  const client = new SecretsManagerClient({});
  const SecretString = JSON.stringify(value);
  try {
    await client.send(new CreateSecretCommand({ Name: name, SecretString }));
  } catch (error) {
    if (!(error instanceof ResourceExistsException)) throw error;
    await client.send(new PutSecretValueCommand({ SecretId: name, SecretString }));
  }
}
