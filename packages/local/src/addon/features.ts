// The librdkafka features the SDK documents (compression codecs, TLS, SASL mechanisms), and the Debian
// package whose headers librdkafka's configure needs to build each one. configure leaves out what it
// does not find without failing, so a build is checked against this list: a producer configured with
// `compression.type: zstd`, or SASL/GSSAPI, must not fail only at run time.

/**
 * Each documented feature and the Debian package its source build needs (undefined: bundled).
 *
 * @example
 * ```ts
 * REQUIRED_FEATURES.zstd; // 'libzstd-dev'
 * ```
 */
export const REQUIRED_FEATURES: Readonly<Record<string, string | undefined>> = Object.freeze({
  gzip: 'zlib1g-dev',
  snappy: undefined, // bundled with librdkafka
  lz4: 'liblz4-dev',
  zstd: 'libzstd-dev',
  ssl: 'libssl-dev',
  sasl_plain: 'libssl-dev', // built-in once SASL is, which needs ssl here
  sasl_scram: 'libssl-dev',
  sasl_gssapi: 'libsasl2-dev',
  sasl_oauthbearer: 'libssl-dev', // MSK IAM
});

/**
 * The required features that `features` (librdkafka's builtin.features) lacks.
 *
 * @example
 * ```ts
 * missingFeatures(['gzip', 'ssl']); // ['snappy', 'lz4', 'zstd', 'sasl_plain', …]
 * ```
 */
export const missingFeatures = (features: readonly string[]): string[] =>
  Object.keys(REQUIRED_FEATURES).filter((feature) => !features.includes(feature));

/**
 * The message for a build that lacks `missing`: the packages to install, then how to build again.
 *
 * @example
 * ```ts
 * featuresError(['zstd'], 'Node 24.22.3'); // '… Install libzstd-dev (apt-get install -y libzstd-dev) …'
 * ```
 */
export function featuresError(missing: readonly string[], label: string): string {
  const packages = [...new Set(missing.map((f) => REQUIRED_FEATURES[f]).filter(Boolean))];
  return (
    `librdkafka for ${label} was built without ${missing.join(', ')}, which the SDK documents. ` +
    `Install ${packages.join(' ')} (apt-get install -y ${packages.join(' ')}), then build again: npx kafka-lambda addon --force`
  );
}
