// The librdkafka features the SDK documents (compression codecs, TLS, SASL mechanisms), and the Debian
// package whose headers librdkafka's configure needs to build each one. configure leaves out what it
// does not find without failing, so a build is checked against this list: a producer configured with
// `compression.type: zstd`, or SASL/GSSAPI, must not fail only at run time.
export const REQUIRED_FEATURES = Object.freeze({
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

/** The required features that `features` (librdkafka's builtin.features) lacks. */
export const missingFeatures = (features) =>
  Object.keys(REQUIRED_FEATURES).filter((f) => !features.includes(f));

/** The message for a build that lacks `missing`: the packages to install, then how to rebuild. */
export function featuresError(missing, label) {
  const packages = [...new Set(missing.map((f) => REQUIRED_FEATURES[f]).filter(Boolean))];
  return (
    `librdkafka for ${label} was built without ${missing.join(', ')}, which the SDK documents. ` +
    `Install ${packages.join(' ')} (apt-get install -y ${packages.join(' ')}), then rebuild: pnpm addon --force`
  );
}
