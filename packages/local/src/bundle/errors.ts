/** Why `kafka-lambda bundle` refused to produce a deployable bundle. */
export type BundleFailure = 'input' | 'build' | 'no-addon' | 'does-not-fit' | 'does-not-load';

/**
 * `kafka-lambda bundle` could not produce a bundle that fits the Lambda runtime it was asked for:
 * `reason` says which check failed, the message says why and what to do.
 *
 * @example
 * ```ts
 * try {
 *   await bundleFunction({ projectDir: process.cwd(), handler: 'src/handler.ts', runtime: 'nodejs24.x', arch: 'arm64' });
 * } catch (error) {
 *   if (error instanceof BundleError && error.reason === 'does-not-fit') console.error(error.message); // … is x86_64, the function arm64
 * }
 * ```
 */
export class BundleError extends Error {
  override name = 'BundleError';
  constructor(
    readonly reason: BundleFailure,
    message: string,
  ) {
    super(message);
  }
}
