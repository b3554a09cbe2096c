// @confluentinc/kafka-javascript falls back to building librdkafka from source when its prebuilt
// binary cannot be downloaded. Linking against the system's OpenSSL/SASL/zstd/lz4 (dynamic) is the
// build that works without internet access; the static build would try to download them.
// pnpm's install scripts inherit this process's environment, so setting it here covers `pnpm install`.
process.env.CKJS_LINKING ??= 'dynamic';
module.exports = {};
