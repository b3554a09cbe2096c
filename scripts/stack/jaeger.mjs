// Jaeger all-in-one (the tracing backend of the observability tests): built with Go from the module
// proxy at a pinned version, cached, started like the other services. It receives OTLP (gRPC 4317,
// HTTP 4318) and answers Jaeger's query API on 16686, keeping traces in memory.
//
// `github.com/jaegertracing/jaeger/cmd/jaeger` at v1.75.0 is the Jaeger v2 binary (an OpenTelemetry
// Collector distribution; the module's v1.x and v2.x tags name the same code), so it is configured
// by a collector YAML file, written next to its log: loopback only, no metrics port.
//
// Optional: without Go (or when the proxy refuses the module) `up` says so and goes on; the tracing
// integration test then skips, naming why. A failed build is remembered per pin. The first build is
// slow (minutes: some 2,300 packages), so it is announced with its expected time and reports its
// progress; only `stack.mjs up` without parts and the tests that read JAEGER_* start it.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { host, ports, runDir, stackHome } from './env.mjs';
import { goAvailable, goEnv } from './go.mjs';
import { cachedInstall, cacheKey, installDir, isInstalled, run } from './install.mjs';
import { httpRequest, spawnDetached } from './process.mjs';
import { ensureService, logFileOf, stopService } from './service.mjs';
import { versions } from './versions.mjs';

const key = cacheKey(`jaeger-${versions.jaeger}`, { m: versions.jaegerModule, v: versions.jaeger });
const unavailableFile = path.join(stackHome, 'jaeger', `unavailable-${key}.txt`);
export const jaegerQueryUrl = `http://${host}:${ports.jaegerQuery}`;
export const jaegerOtlpHttpUrl = `http://${host}:${ports.jaegerOtlpHttp}`;

export const jaegerService = {
  name: 'jaeger',
  ports: [ports.jaegerOtlpGrpc, ports.jaegerOtlpHttp, ports.jaegerQuery, ports.jaegerHealth],
  endpoint: `${jaegerQueryUrl} (query), ${jaegerOtlpHttpUrl} (OTLP/HTTP), ${host}:${ports.jaegerOtlpGrpc} (OTLP/gRPC)`,
  timeoutMs: 30_000,
  stopGraceMs: 5_000,
  async ready() {
    const res = await httpRequest(`http://${host}:${ports.jaegerHealth}/status`);
    return res?.status === 200 && (await httpRequest(`${jaegerQueryUrl}/api/services`))?.status === 200;
  },
};

const binary = () => path.join(installDir('jaeger', key), 'jaeger');
export const jaegerInstalled = () => isInstalled('jaeger', key);

// Measured on 2 cores in a fresh HOME (empty Go module and build caches): 578 s, of which ~40 s
// fetching modules. With Go's build cache warm (another checkout built it) it is a minute or two.
const EXPECTED = 'about 10 minutes on 2 cores with empty Go caches';
const PROGRESS_EVERY_MS = 20_000;

async function buildJaeger(dir, log, { quiet }) {
  const mod = path.join(dir, 'src');
  fs.mkdirSync(mod, { recursive: true });
  fs.writeFileSync(path.join(mod, 'go.mod'), 'module kafka-lambda-stack/jaeger\n\ngo 1.24\n');
  const env = goEnv();
  const pkg = `${versions.jaegerModule}/cmd/jaeger`;
  const say = quiet ? () => {} : (line) => console.error(`[stack] jaeger: ${line}`);
  say(`building Jaeger ${versions.jaeger} with Go, first time only (${EXPECTED}); log: ${log}`);
  const started = Date.now();
  const clock = () => `${Math.round((Date.now() - started) / 1000)} s`;
  await withProgress('go', ['get', `${pkg}@${versions.jaeger}`], { cwd: mod, env, log }, (lines) =>
    say(
      `fetching modules: ${lines.filter((l) => l.startsWith('go: downloading')).length} so far (${clock()})`,
    ),
  );
  const total = await packageCount(pkg, { cwd: mod, env });
  // -v names each package as it is compiled (those already in Go's build cache are not listed).
  await withProgress(
    'go',
    ['build', '-v', '-trimpath', '-o', path.join(dir, 'jaeger'), pkg],
    { cwd: mod, env, log },
    (lines) =>
      say(
        `compiling: ${lines.filter((l) => !l.startsWith('go: ')).length} of at most ${total} packages (${clock()})`,
      ),
  );
  say(`built in ${clock()}`);
  fs.rmSync(mod, { recursive: true, force: true });
}

/** How many packages the binary is built from (its dependency closure). */
async function packageCount(pkg, { cwd, env }) {
  let out = '';
  await new Promise((resolve) => {
    const child = spawn('go', ['list', '-deps', pkg], { cwd, env, stdio: ['ignore', 'pipe', 'ignore'] });
    child.stdout.on('data', (chunk) => {
      out += chunk;
    });
    child.once('close', resolve);
    child.once('error', resolve);
  });
  return out.split('\n').filter(Boolean).length || '?';
}

/** `run` (output to the install log) with `report(linesSoFar)` every PROGRESS_EVERY_MS. */
async function withProgress(cmd, args, { cwd, env, log }, report) {
  const offset = fs.statSync(log).size;
  const timer = setInterval(() => {
    const text = fs.readFileSync(log, 'utf8').slice(offset);
    report(text.split('\n').filter(Boolean).slice(1)); // without run's "$ cmd" line
  }, PROGRESS_EVERY_MS);
  try {
    await run(cmd, args, { cwd, env, logFile: log });
  } finally {
    clearInterval(timer);
  }
}

/**
 * Installs Jaeger if it can be built. Returns { installed: true } or { installed: false, note }.
 * Never throws for a missing Go or a refused module: Jaeger is optional.
 */
export async function installJaeger({ quiet = false } = {}) {
  if (jaegerInstalled()) return { installed: true };
  if (fs.existsSync(unavailableFile))
    return { installed: false, note: fs.readFileSync(unavailableFile, 'utf8').split('\n')[0] };
  fs.mkdirSync(path.dirname(unavailableFile), { recursive: true });
  if (!goAvailable()) return { installed: false, note: 'go not found (need Go 1.24+ to build Jaeger)' };
  try {
    await cachedInstall('jaeger', key, (dir, log) => buildJaeger(dir, log, { quiet }), { quiet });
    return { installed: true };
  } catch (err) {
    const note = `go build of ${versions.jaegerModule}/cmd/jaeger@${versions.jaeger} failed`;
    fs.writeFileSync(unavailableFile, `${note}\n${err.message}\n`);
    return { installed: false, note };
  }
}

function config() {
  return `# written by scripts/stack/jaeger.mjs
service:
  extensions: [jaeger_storage, jaeger_query, healthcheckv2]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: info
extensions:
  healthcheckv2:
    use_v2: true
    http:
      endpoint: ${host}:${ports.jaegerHealth}
  jaeger_query:
    storage:
      traces: memstore
    http:
      endpoint: ${host}:${ports.jaegerQuery}
    grpc:
      endpoint: ${host}:${ports.jaegerQueryGrpc}
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
receivers:
  otlp:
    protocols:
      grpc:
        endpoint: ${host}:${ports.jaegerOtlpGrpc}
      http:
        endpoint: ${host}:${ports.jaegerOtlpHttp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;
}

/** Install (if Go can) and start Jaeger. Returns { pid, reused } or { unavailable: note }. */
export async function upJaeger({ quiet } = {}) {
  const installed = await installJaeger({ quiet });
  if (!installed.installed) return { unavailable: installed.note };
  return ensureService(jaegerService, {
    start: async () => {
      const dir = path.join(runDir, 'jaeger');
      fs.mkdirSync(dir, { recursive: true });
      const file = path.join(dir, 'config.yaml');
      fs.writeFileSync(file, config());
      const r = await spawnDetached(binary(), [`--config=file:${file}`], {
        cwd: dir,
        env: process.env,
        logFile: logFileOf(jaegerService),
      });
      return { ...r, marker: stackHome };
    },
  });
}

export const stopJaeger = () => stopService(jaegerService);

/** Why Jaeger is not there (for a test to skip with), or undefined when it is installed. */
export function jaegerUnavailable() {
  if (jaegerInstalled()) return undefined;
  if (fs.existsSync(unavailableFile)) return fs.readFileSync(unavailableFile, 'utf8').split('\n')[0];
  return goAvailable() ? 'not installed yet (run node scripts/stack/stack.mjs up)' : 'go not found';
}
