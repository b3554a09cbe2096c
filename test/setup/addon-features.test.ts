// A native addon whose librdkafka lacks a documented codec or SASL mechanism is an error naming the
// package to install (packages/local/src/addon/features.ts), checked against the installed build's real features.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { featuresError, missingFeatures } from '../../packages/local/src/addon/features.js';

describe('librdkafka features', () => {
  it('the installed build has every feature the SDK documents', () => {
    const { features } = createRequire(import.meta.url)('@confluentinc/kafka-javascript') as {
      features: string[];
    };
    expect(missingFeatures(features)).toEqual([]);
  });

  it('a build configured without libzstd-dev and libsasl2-dev names both packages', () => {
    const features = ['gzip', 'snappy', 'ssl', 'sasl', 'lz4', 'sasl_plain', 'sasl_scram', 'sasl_oauthbearer'];
    const missing = missingFeatures(features);
    expect(missing).toEqual(['zstd', 'sasl_gssapi']);
    expect(featuresError(missing, 'Node 24.22.3')).toBe(
      'librdkafka for Node 24.22.3 was built without zstd, sasl_gssapi, which the SDK documents. ' +
        'Install libzstd-dev libsasl2-dev (apt-get install -y libzstd-dev libsasl2-dev), then build again: npx kafka-lambda addon --force',
    );
  });
});
