/** Why `kafka-lambda addon` could not provide a working native addon. */
export type AddonFailure =
  | 'not-installed'
  | 'no-node'
  | 'no-headers'
  | 'missing-system-packages'
  | 'build-failed'
  | 'lacks-features'
  | 'does-not-load';

/**
 * `kafka-lambda addon` could not give the project a working `@confluentinc/kafka-javascript` addon
 * for the chosen Node. `reason` says which step failed; the message says what to do about it.
 *
 * Not derived from core's KafkaLambdaError: the repository's `pnpm install` runs this code from its
 * sources before any package is built.
 *
 * @example
 * ```ts
 * try {
 *   await installAddon({ projectDir: process.cwd() });
 * } catch (error) {
 *   if (error instanceof AddonInstallError && error.reason === 'missing-system-packages') process.exitCode = 1;
 * }
 * ```
 */
export class AddonInstallError extends Error {
  override name = 'AddonInstallError';
  constructor(
    readonly reason: AddonFailure,
    message: string,
  ) {
    super(message);
  }
}
