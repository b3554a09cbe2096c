import { ConfigError } from '@kafka-lambda/core';
import { mskIamConfig, type OAuthBearerTokenRefresh } from '@kafka-lambda/core/config';
import { describe, expect, it } from 'vitest';

describe('mskIamConfig', () => {
  it('configures SASL_SSL/OAUTHBEARER with a token refresh that signs with the given signer', async () => {
    const regions: string[] = [];
    const config = await mskIamConfig({
      bootstrapServers: 'b-1.msk:9098',
      region: 'eu-west-1',
      kafka: { 'client.id': 'settlement' },
      signer: async ({ region }) => {
        regions.push(region);
        return { token: 'signed-token', expiryTime: 1_700_000_900_000 };
      },
    }).kafkaConfig();
    expect(config).toMatchObject({
      'bootstrap.servers': 'b-1.msk:9098',
      'security.protocol': 'SASL_SSL',
      'sasl.mechanisms': 'OAUTHBEARER',
      'client.id': 'settlement',
    });
    const refresh = config.oauthbearer_token_refresh_cb as OAuthBearerTokenRefresh;
    expect(await refresh('')).toEqual({
      tokenValue: 'signed-token',
      lifetime: 1_700_000_900_000,
      principal: 'kafka-lambda',
    });
    expect(regions).toEqual(['eu-west-1']);
  });

  it('signs a real MSK IAM token with aws-msk-iam-sasl-signer-js and the environment credentials (no network)', async () => {
    const saved = { ...process.env };
    Object.assign(process.env, {
      AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
      AWS_SECRET_ACCESS_KEY: 'not-a-real-secret',
      AWS_REGION: 'us-east-1',
    });
    delete process.env.AWS_PROFILE;
    try {
      const config = await mskIamConfig({ bootstrapServers: 'b-1.msk:9098' }).kafkaConfig();
      const token = await (config.oauthbearer_token_refresh_cb as OAuthBearerTokenRefresh)('');
      // A base64url presigned URL for kafka-cluster:Connect, signed with SigV4 for the region.
      const url = Buffer.from(token.tokenValue, 'base64url').toString('utf8');
      expect(url).toMatch(/^https:\/\/kafka\.us-east-1\.amazonaws\.com\/\?Action=kafka-cluster%3AConnect/);
      expect(url).toContain('X-Amz-Credential=AKIDEXAMPLE');
      expect(url).not.toContain('not-a-real-secret');
      expect(token.lifetime).toBeGreaterThan(Date.now());
    } finally {
      process.env = saved;
    }
  });

  it('names what is missing', async () => {
    const saved = { ...process.env };
    delete process.env.KAFKA_BROKERS;
    delete process.env.AWS_REGION;
    try {
      await expect(mskIamConfig().kafkaConfig()).rejects.toThrow(
        new ConfigError('mskIamConfig needs `bootstrapServers` (or KAFKA_BROKERS)'),
      );
      await expect(mskIamConfig({ bootstrapServers: 'b:9098' }).kafkaConfig()).rejects.toThrow(
        /`region` \(or AWS_REGION\)/,
      );
    } finally {
      process.env = saved;
    }
  });
});
