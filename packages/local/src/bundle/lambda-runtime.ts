// What a Lambda Node.js function runs on: the runtime's Node major and ABI, the architecture, and
// Amazon Linux 2023's C and C++ libraries (glibc 2.34; libstdc++ of GCC 11, GLIBCXX_3.4.29), which
// bound the symbol versions a shipped .node or .so may need.

/** Lambda's Node.js runtimes (Node 20 is past end of life). */
export const LAMBDA_RUNTIMES = {
  'nodejs22.x': { major: '22', abi: '127', esbuildTarget: 'node22' },
  'nodejs24.x': { major: '24', abi: '137', esbuildTarget: 'node24' },
} as const;
export type LambdaRuntime = keyof typeof LAMBDA_RUNTIMES;

/** Lambda's architectures: Node's name for each and the ELF e_machine of their binaries. */
export const LAMBDA_ARCHITECTURES = {
  x86_64: { node: 'x64', elfMachine: 62 },
  arm64: { node: 'arm64', elfMachine: 183 },
} as const;
export type LambdaArchitecture = keyof typeof LAMBDA_ARCHITECTURES;

/**
 * The newest symbol versions Amazon Linux 2023 provides.
 *
 * @example
 * ```ts
 * AMAZON_LINUX_2023.GLIBC; // '2.34'
 * ```
 */
export const AMAZON_LINUX_2023 = { GLIBC: '2.34', GLIBCXX: '3.4.29' } as const;

/** Libraries every Lambda Node.js runtime has: glibc's, libstdc++ and libgcc's. */
export const RUNTIME_LIBRARIES = [
  /^libc\.so\.6$/,
  /^libm\.so\.6$/,
  /^libdl\.so\.2$/,
  /^libpthread\.so\.0$/,
  /^librt\.so\.1$/,
  /^ld-linux-(x86-64|aarch64)\.so\.\d$/,
  /^libstdc\+\+\.so\.6$/,
  /^libgcc_s\.so\.1$/,
] as const;

/**
 * The environment Lambda gives a Node.js function (the variables that change how modules load and
 * where files are), with the task root at `taskRoot`.
 *
 * @example
 * ```ts
 * lambdaEnvironment('/tmp/task', 'nodejs24.x').AWS_EXECUTION_ENV; // 'AWS_Lambda_nodejs24.x'
 * ```
 */
export function lambdaEnvironment(taskRoot: string, runtime: LambdaRuntime): Record<string, string> {
  const major = LAMBDA_RUNTIMES[runtime].major;
  return {
    AWS_EXECUTION_ENV: `AWS_Lambda_${runtime}`,
    AWS_LAMBDA_FUNCTION_NAME: 'kafka-lambda-bundle-check',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '1024',
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    LAMBDA_TASK_ROOT: taskRoot,
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    NODE_PATH: `/opt/nodejs/node${major}/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:${taskRoot}`,
    LD_LIBRARY_PATH: `/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:${taskRoot}:${taskRoot}/lib:/opt/lib`,
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
  };
}
