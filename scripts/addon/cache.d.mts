// Types of cache.mjs, for the tests that load a cached addon.
export declare const NATIVE: '@confluentinc/kafka-javascript';
export declare const ADDON_FILE: 'confluent-kafka-javascript.node';
export declare const WORKSPACE: string;
export declare const CACHE: string;
export interface Runtime {
  abi: string | number;
  platform: string;
  arch: string;
  libc: string;
}
export declare function packageDir(): string;
/** Every installed copy of the package (pnpm makes one per set of resolved peers). */
export declare function packageDirs(): string[];
export declare function packageVersion(dir?: string): string;
export declare function bindingName(runtime: Runtime): string;
export declare function entryDir(runtime: Runtime, version?: string): string;
export declare function cachedAddon(runtime: Runtime, version?: string): string | undefined;
/** Every cached build for this platform, architecture and libc; `dir` holds Release/ and deps/. */
export declare function cachedBuilds(version?: string): Array<{ abi: string; dir: string }>;
