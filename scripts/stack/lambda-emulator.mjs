#!/usr/bin/env node
// A dependency-free stand-in for aws-lambda-rie (the AWS Lambda Runtime Interface Emulator),
// with the same command line and HTTP contract:
//
//   lambda-emulator.mjs [--runtime-interface-emulator-address 127.0.0.1:8080]
//                       [--runtime-api-address 127.0.0.1:9001] <bootstrap> [args...]
//
// - Invoke API: POST /2015-03-31/functions/<name>/invocations, body = event, answer = result.
// - Runtime API (for the bootstrap, via AWS_LAMBDA_RUNTIME_API): /2018-06-01/runtime/...
// - One execution environment, one invocation at a time (others queue), started on the first
//   invoke (as the RIE does) and kept warm; restarted after a timeout or a crash.
// - Timeout from AWS_LAMBDA_FUNCTION_TIMEOUT (seconds, default 300): the runtime is killed.
// Used when the Go RIE cannot be built (see rie.mjs). It also does one thing the RIE does not:
// with KAFKA_LAMBDA_RIE_FREEZE=1 it SIGSTOPs the runtime between invocations, as Lambda freezes
// the sandbox, so background threads (librdkafka) really stop while idle.
import { spawn } from 'node:child_process';
import crypto from 'node:crypto';
import http from 'node:http';

const argv = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = argv.indexOf(name);
  if (i < 0) return dflt;
  const v = argv[i + 1];
  argv.splice(i, 2);
  return v;
};
const splitAddr = (a) => {
  const i = a.lastIndexOf(':');
  return { host: a.slice(0, i) || '127.0.0.1', port: Number(a.slice(i + 1)) };
};
const invokeAddr = splitAddr(opt('--runtime-interface-emulator-address', '127.0.0.1:8080'));
const rapiAddr = splitAddr(opt('--runtime-api-address', '127.0.0.1:9001'));
opt('--log-level', 'info'); // accepted for RIE compatibility
opt('--init-timeout', '');
const [bootstrap, ...bootstrapArgs] = argv;
if (!bootstrap) {
  console.error(
    'usage: lambda-emulator.mjs [--runtime-interface-emulator-address h:p] [--runtime-api-address h:p] <bootstrap> [args...]',
  );
  process.exit(2);
}

const env = process.env;
const fn = {
  name: env.AWS_LAMBDA_FUNCTION_NAME || 'function',
  version: env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST',
  memory: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '3008',
  timeoutMs: Number(env.AWS_LAMBDA_FUNCTION_TIMEOUT || 300) * 1000,
  region: env.AWS_REGION || env.AWS_DEFAULT_REGION || 'us-east-1',
};
const freeze = env.KAFKA_LAMBDA_RIE_FREEZE === '1';
const log = (msg) => process.stdout.write(`${msg}\n`);

// --- the execution environment (the runtime process) -------------------------------------
let runtime = null; // { child, waiting: res|null, initStarted, initMs, frozen, current }
const queue = [];
let busy = false;

function startRuntime() {
  const child = spawn(bootstrap, bootstrapArgs, {
    stdio: ['ignore', 'inherit', 'inherit'],
    env: {
      ...env,
      AWS_LAMBDA_RUNTIME_API: `${rapiAddr.host}:${rapiAddr.port}`,
      AWS_LAMBDA_FUNCTION_NAME: fn.name,
      AWS_LAMBDA_FUNCTION_VERSION: fn.version,
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: fn.memory,
      AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${fn.name}`,
      AWS_LAMBDA_LOG_STREAM_NAME: `local/${crypto.randomUUID()}`,
      AWS_REGION: fn.region,
      AWS_DEFAULT_REGION: fn.region,
      AWS_EXECUTION_ENV: env.AWS_EXECUTION_ENV || `AWS_Lambda_nodejs${process.versions.node.split('.')[0]}.x`,
      LAMBDA_TASK_ROOT: env.LAMBDA_TASK_ROOT || process.cwd(),
      _HANDLER: env._HANDLER || bootstrapArgs[0] || '',
    },
  });
  const rt = {
    child,
    waiting: null,
    initStarted: Date.now(),
    initMs: null,
    firstInvoke: true,
    frozen: false,
    current: null,
    initError: null,
  };
  child.on('exit', (code, signal) => {
    if (runtime === rt) runtime = null;
    if (rt.current)
      finish(
        rt.current,
        errorBody(
          'Runtime.ExitError',
          `Runtime exited with error: ${signal ? `signal: ${signal}` : `exit status ${code}`}`,
        ),
        true,
      );
    else if (rt.onReady)
      rt.onReady(new Error(rt.initError ?? `runtime exited during init (${signal ?? code})`));
  });
  runtime = rt;
  return rt;
}

function setFrozen(rt, frozen) {
  if (!freeze || rt.frozen === frozen) return;
  rt.frozen = frozen;
  try {
    process.kill(rt.child.pid, frozen ? 'SIGSTOP' : 'SIGCONT');
  } catch {
    /* exited */
  }
}

/** A runtime ready for an event: the warm one, or a fresh init if there is none or it died idle. */
async function acquire() {
  for (let attempt = 0; ; attempt++) {
    const rt = runtime ?? startRuntime();
    const cold = rt.initMs === null;
    setFrozen(rt, false);
    try {
      await whenReady(rt);
      return rt;
    } catch (err) {
      if (cold || attempt > 0) throw err; // init itself failed: report it
    }
  }
}

/** Wait until the runtime has asked for its next event (init done). */
function whenReady(rt) {
  if (rt.waiting) return Promise.resolve();
  return new Promise((resolve, reject) => {
    rt.onReady = (err) => {
      rt.onReady = null;
      if (err) reject(err);
      else resolve();
    };
  });
}

const errorBody = (errorType, errorMessage) => JSON.stringify({ errorType, errorMessage });

function finish(inv, body, isError) {
  if (inv.done) return;
  inv.done = true;
  clearTimeout(inv.timer);
  if (runtime?.current === inv) runtime.current = null;
  const ms = (Date.now() - (inv.started ?? inv.queuedAt)).toFixed(2);
  log(`END RequestId: ${inv.id}`);
  log(
    `REPORT RequestId: ${inv.id}\tDuration: ${ms} ms${inv.initMs != null ? `\tInit Duration: ${inv.initMs} ms` : ''}`,
  );
  const headers = { 'Content-Type': 'application/json' };
  if (isError) headers['X-Amz-Function-Error'] = 'Unhandled';
  inv.res.writeHead(200, headers).end(body);
  busy = false;
  next();
}

async function next() {
  if (busy || queue.length === 0) return;
  busy = true;
  const inv = queue.shift();
  let rt;
  try {
    rt = await acquire();
    if (rt.initMs !== null && rt.firstInvoke) inv.initMs = rt.initMs;
    rt.firstInvoke = false;
  } catch (err) {
    runtime?.child.kill('SIGKILL');
    runtime = null;
    return finish(inv, errorBody('Runtime.InitError', err.message), true);
  }
  inv.started = Date.now();
  inv.deadline = inv.started + fn.timeoutMs;
  rt.current = inv;
  inv.timer = setTimeout(() => {
    log(
      `${new Date().toISOString()} ${inv.id} Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`,
    );
    rt.current = null;
    if (runtime === rt) runtime = null; // the next invocation gets a fresh init
    setFrozen(rt, false);
    rt.child.kill('SIGKILL');
    finish(
      inv,
      errorBody('Runtime.TimeoutError', `Task timed out after ${(fn.timeoutMs / 1000).toFixed(2)} seconds`),
      true,
    );
  }, fn.timeoutMs);
  log(`START RequestId: ${inv.id} Version: ${fn.version}`);
  const res = rt.waiting;
  rt.waiting = null;
  res.writeHead(200, {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Aws-Request-Id': inv.id,
    'Lambda-Runtime-Deadline-Ms': String(inv.deadline),
    'Lambda-Runtime-Invoked-Function-Arn': `arn:aws:lambda:${fn.region}:012345678912:function:${fn.name}`,
    'Lambda-Runtime-Trace-Id': `Root=1-${Math.floor(Date.now() / 1000).toString(16)}-${crypto.randomBytes(12).toString('hex')};Parent=${crypto.randomBytes(8).toString('hex')};Sampled=0`,
  });
  res.end(inv.event);
}

// --- HTTP servers -------------------------------------------------------------------------
const readBody = (req) =>
  new Promise((resolve) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks)));
  });

const invokeServer = http.createServer(async (req, res) => {
  const m = req.method === 'POST' && req.url.match(/^\/2015-03-31\/functions\/[^/]+\/invocations/);
  if (!m) return res.writeHead(404).end();
  const body = await readBody(req);
  queue.push({
    id: crypto.randomUUID(),
    event: body.length ? body : Buffer.from('{}'),
    res,
    initMs: null,
    queuedAt: Date.now(),
  });
  next();
});

const rapiServer = http.createServer(async (req, res) => {
  const rt = runtime;
  const url = req.url;
  const body = await readBody(req);
  if (!rt) return res.writeHead(410).end();
  if (req.method === 'GET' && url === '/2018-06-01/runtime/invocation/next') {
    rt.waiting = res;
    if (rt.initMs === null) rt.initMs = Date.now() - rt.initStarted;
    if (rt.onReady) rt.onReady();
    else if (!busy || !rt.current) setFrozen(rt, true); // idle between invocations: freeze
    return;
  }
  const m = url.match(/^\/2018-06-01\/runtime\/invocation\/([^/]+)\/(response|error)$/);
  if (req.method === 'POST' && m) {
    const inv = rt.current;
    if (!inv || inv.id !== m[1])
      return res.writeHead(400).end(errorBody('InvalidRequestID', 'unknown request id'));
    res.writeHead(202).end('{"status":"OK"}');
    return finish(inv, body, m[2] === 'error');
  }
  if (req.method === 'POST' && url === '/2018-06-01/runtime/init/error') {
    res.writeHead(202).end('{"status":"OK"}');
    const parsed = (() => {
      try {
        return JSON.parse(body.toString());
      } catch {
        return {};
      }
    })();
    rt.initError = `${parsed.errorType ?? 'Runtime.InitError'}: ${parsed.errorMessage ?? 'init failed'}`;
    return;
  }
  res.writeHead(404).end();
});

function shutdown() {
  const rt = runtime;
  if (!rt) process.exit(0);
  setFrozen(rt, false);
  rt.child.kill('SIGTERM');
  const t = setTimeout(() => rt.child.kill('SIGKILL'), 2000);
  rt.child.on('exit', () => {
    clearTimeout(t);
    process.exit(0);
  });
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);

rapiServer.listen(rapiAddr.port, rapiAddr.host, () => {
  invokeServer.listen(invokeAddr.port, invokeAddr.host, () => {
    log(
      `lambda-emulator: invoke http://${invokeAddr.host}:${invokeAddr.port}/2015-03-31/functions/function/invocations, runtime API ${rapiAddr.host}:${rapiAddr.port}${freeze ? ', freeze on' : ''}`,
    );
  });
});
