#!/usr/bin/env node
// A tiny Lambda runtime client for Node (what aws-lambda-ric does, without its native build):
// load the handler once (the init phase), then loop on the Runtime API at AWS_LAMBDA_RUNTIME_API:
// GET  /2018-06-01/runtime/invocation/next -> call the handler ->
// POST /2018-06-01/runtime/invocation/<id>/response  (or /error; /init/error if loading fails).
//
//   node node-runtime-bootstrap.mjs index.handler     (module index.{mjs,js,cjs} in LAMBDA_TASK_ROOT)
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const handlerSpec = process.argv[2] || process.env._HANDLER;
const taskRoot = process.env.LAMBDA_TASK_ROOT || process.cwd();
if (!api || !handlerSpec) {
  console.error('node-runtime-bootstrap: needs AWS_LAMBDA_RUNTIME_API and a handler (argv or _HANDLER)');
  process.exit(2);
}
const [host, port] = [api.slice(0, api.lastIndexOf(':')), Number(api.slice(api.lastIndexOf(':') + 1))];
// No socket timeout: /next long-polls for as long as the function is idle.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function request(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host, port, method, path: `/2018-06-01/runtime${urlPath}`, agent, headers },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

const errorPayload = (err) => ({
  errorType: err?.name ?? 'Error',
  errorMessage: err?.message ?? String(err),
  stackTrace: typeof err?.stack === 'string' ? err.stack.split('\n') : [],
});

function postError(urlPath, err) {
  const payload = errorPayload(err);
  console.error(`${new Date().toISOString()}\tERROR\t${payload.errorType}: ${payload.errorMessage}`);
  return request('POST', urlPath, JSON.stringify(payload), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': `Runtime.${payload.errorType}`,
  });
}

async function loadHandler() {
  // "dir/index.handler" -> module "dir/index", export "handler" (nested: "index.a.b").
  const slash = handlerSpec.lastIndexOf('/');
  const [modName, ...names] = handlerSpec.slice(slash + 1).split('.');
  const base = path.resolve(taskRoot, handlerSpec.slice(0, slash + 1), modName);
  const file = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file)
    throw Object.assign(new Error(`Cannot find module '${modName}' in ${taskRoot}`), {
      name: 'Runtime.ImportModuleError',
    });
  const mod = await import(pathToFileURL(file).href);
  let fn = mod;
  for (const n of names) fn = fn?.[n] ?? (fn === mod ? mod.default?.[n] : undefined);
  if (typeof fn !== 'function')
    throw Object.assign(new Error(`${handlerSpec} is undefined or not exported`), {
      name: 'Runtime.HandlerNotFound',
    });
  return fn;
}

let current = null; // request id in flight, for errors that escape the handler

function invokeHandler(handler, event, context) {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  // Callback-style handler (event, context, callback).
  return new Promise((resolve, reject) => {
    const r = handler(event, context, (err, result) => (err ? reject(err) : resolve(result)));
    if (r && typeof r.then === 'function') r.then(resolve, reject);
  });
}

async function main() {
  let handler;
  try {
    handler = await loadHandler();
  } catch (err) {
    await postError('/init/error', err).catch(() => {});
    process.exit(1);
  }
  for (;;) {
    const next = await request('GET', '/invocation/next');
    const h = next.headers;
    const id = h['lambda-runtime-aws-request-id'];
    const deadline = Number(h['lambda-runtime-deadline-ms']);
    if (h['lambda-runtime-trace-id']) process.env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
    const context = {
      awsRequestId: id,
      invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
      functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
      functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
      memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
      logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
      logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
      callbackWaitsForEmptyEventLoop: true,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    };
    current = id;
    try {
      const event = next.body ? JSON.parse(next.body) : {};
      const result = await invokeHandler(handler, event, context);
      current = null;
      await request('POST', `/invocation/${id}/response`, JSON.stringify(result ?? null), {
        'Content-Type': 'application/json',
      });
    } catch (err) {
      current = null;
      await postError(`/invocation/${id}/error`, err);
    }
  }
}

// As the managed Node runtime does: an error escaping the handler fails the invocation and
// ends the process (the next invocation gets a fresh init).
async function fatal(err) {
  if (current) await postError(`/invocation/${current}/error`, err).catch(() => {});
  else console.error(err);
  process.exit(129);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

main().catch(fatal);
