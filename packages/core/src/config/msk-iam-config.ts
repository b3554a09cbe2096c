import { ConfigError } from '../shared/errors.js';
import type { KafkaConfigSource, LibrdkafkaConfig, OAuthBearerToken } from './config-source.js';

/** Signs an MSK IAM token for a region: `generateAuthToken` of `aws-msk-iam-sasl-signer-js` fits. */
export type MskIamTokenSigner = (options: {
  region: string;
}) => Promise<{ token: string; expiryTime: number }>;

/** Options of {@link mskIamConfig}. */
export interface MskIamConfigOptions {
  /** The cluster's IAM bootstrap brokers (port 9098). Default `KAFKA_BROKERS`. */
  bootstrapServers?: string;
  /** Default `AWS_REGION` (set in Lambda). */
  region?: string;
  /** librdkafka properties set in code; they win over these defaults. */
  kafka?: LibrdkafkaConfig;
  /** Default: `generateAuthToken` of the optional peer dependency `aws-msk-iam-sasl-signer-js`. */
  signer?: MskIamTokenSigner;
}

/**
 * Kafka client properties for Amazon MSK with IAM access control: SASL_SSL with OAUTHBEARER, the
 * token signed with the function's own role (SigV4, locally: no call to AWS) whenever librdkafka asks
 * for one — at connect, and before the 15-minute token expires.
 *
 * @example
 * ```ts
 * // npm install aws-msk-iam-sasl-signer-js
 * export const handler = createKafkaHandler({
 *   producer: kafkaProducer(mskIamConfig({ bootstrapServers: process.env.MSK_IAM_BROKERS! })),
 *   process: (record, { produce }) => produce({ topic: 'copies', value: record.rawValue }),
 * });
 * ```
 */
export function mskIamConfig(options: MskIamConfigOptions = {}): KafkaConfigSource {
  return {
    kafkaConfig: async (): Promise<LibrdkafkaConfig> => {
      const servers = options.bootstrapServers ?? process.env.KAFKA_BROKERS;
      if (!servers) throw new ConfigError('mskIamConfig needs `bootstrapServers` (or KAFKA_BROKERS)');
      const region = options.region ?? process.env.AWS_REGION;
      if (!region) throw new ConfigError('mskIamConfig needs `region` (or AWS_REGION)');
      const sign = options.signer ?? defaultSigner;
      return {
        'bootstrap.servers': servers,
        'security.protocol': 'SASL_SSL',
        'sasl.mechanisms': 'OAUTHBEARER',
        oauthbearer_token_refresh_cb: async (): Promise<OAuthBearerToken> => {
          const { token, expiryTime } = await sign({ region });
          return { tokenValue: token, lifetime: expiryTime, principal: 'kafka-lambda' };
        },
        ...options.kafka,
      };
    },
  };
}

async function defaultSigner(options: { region: string }): Promise<{ token: string; expiryTime: number }> {
  let signer: { generateAuthToken: MskIamTokenSigner };
  try {
    // Imported on first use and only here: functions without MSK IAM never need the package.
    signer = (await import('aws-msk-iam-sasl-signer-js')) as unknown as {
      generateAuthToken: MskIamTokenSigner;
    };
  } catch (error) {
    throw new ConfigError('mskIamConfig needs the package aws-msk-iam-sasl-signer-js (or a `signer`)', {
      cause: error,
    });
  }
  return signer.generateAuthToken(options);
}
