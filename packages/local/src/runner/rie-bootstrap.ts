/**
 * The project's one Lambda runtime client for Node (what aws-lambda-ric does, without its native
 * build), for the Runtime Interface Emulator: `aws-lambda-rie node <this file> [handler]`. It loads the
 * handler once (the init phase: module scope runs once per "container"), then loops on the Runtime API
 * at AWS_LAMBDA_RUNTIME_API: GET /invocation/next, call the handler, POST /invocation/<id>/response (or
 * /error; /init/error when loading fails). An error escaping the handler fails the invocation and ends
 * the process, as the managed runtime does (the next invocation gets a fresh init).
 *
 * Which handler, the first that is set:
 * - KAFKA_LAMBDA_HANDLER_FILE (a module's path) and KAFKA_LAMBDA_HANDLER_EXPORT (default `handler`):
 *   what `runEventSource({ rie })` passes;
 * - Lambda's handler string, `dir/module.export[.nested]` from the last argument or `_HANDLER`, with the
 *   module `module.{mjs,js,cjs}` under LAMBDA_TASK_ROOT (default: the working directory): what the
 *   local stack's `startRie` passes.
 *
 * It is the source text of a `.mjs` file, written out at start, so that it runs the same from this
 * package's sources, its build, and the local stack (scripts/stack/rie.mjs), which all share it.
 */
export const RIE_BOOTSTRAP_SOURCE = `
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const env = process.env;
const api = env.AWS_LAMBDA_RUNTIME_API;
if (!api) {
  console.error('lambda runtime client: AWS_LAMBDA_RUNTIME_API is not set (run it under aws-lambda-rie)');
  process.exit(2);
}
const colon = api.lastIndexOf(':');
// No socket timeout: /next long-polls for as long as the function is idle.
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, urlPath, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: api.slice(0, colon), port: Number(api.slice(colon + 1)), method, path: '/2018-06-01/runtime' + urlPath, agent, headers },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ status: response.statusCode, headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function postError(urlPath, error) {
  const errorType = (error && error.name) || 'Error';
  const payload = {
    errorType,
    errorMessage: (error && error.message) || String(error),
    stackTrace: error && typeof error.stack === 'string' ? error.stack.split('\\n') : [],
  };
  console.error(new Date().toISOString() + '\\tERROR\\t' + errorType + ': ' + payload.errorMessage);
  return call('POST', urlPath, JSON.stringify(payload), {
    'Content-Type': 'application/json',
    'Lambda-Runtime-Function-Error-Type': 'Runtime.' + errorType,
  });
}

const failure = (name, message) => Object.assign(new Error(message), { name });

/** The handler's module file and its export path (nested: ['a', 'b']). */
function locate() {
  if (env.KAFKA_LAMBDA_HANDLER_FILE)
    return { file: path.resolve(env.KAFKA_LAMBDA_HANDLER_FILE), names: (env.KAFKA_LAMBDA_HANDLER_EXPORT || 'handler').split('.') };
  const spec = process.argv[2] || env._HANDLER;
  if (!spec) throw failure('Runtime.NoHandler', 'no handler: set _HANDLER (module.export) or KAFKA_LAMBDA_HANDLER_FILE');
  const taskRoot = env.LAMBDA_TASK_ROOT || process.cwd();
  const slash = spec.lastIndexOf('/');
  const [moduleName, ...names] = spec.slice(slash + 1).split('.');
  const base = path.resolve(taskRoot, spec.slice(0, slash + 1), moduleName);
  const file = ['.mjs', '.js', '.cjs'].map((ext) => base + ext).find((f) => fs.existsSync(f));
  if (!file) throw failure('Runtime.ImportModuleError', "Cannot find module '" + moduleName + "' in " + taskRoot);
  return { file, names };
}

async function loadHandler() {
  const { file, names } = locate();
  const module = await import(pathToFileURL(file).href);
  let fn = module;
  for (const name of names) fn = fn?.[name] ?? (fn === module ? module.default?.[name] : undefined);
  if (typeof fn !== 'function')
    throw failure('Runtime.HandlerNotFound', names.join('.') + ' is undefined or not a function exported by ' + file);
  return fn;
}

function invokeHandler(handler, event, context) {
  if (handler.length < 3) return Promise.resolve().then(() => handler(event, context));
  // A callback-style handler (event, context, callback).
  return new Promise((resolve, reject) => {
    const returned = handler(event, context, (error, result) => (error ? reject(error) : resolve(result)));
    if (returned && typeof returned.then === 'function') returned.then(resolve, reject);
  });
}

let current = null; // the request id in flight, for an error that escapes the handler

// As the managed Node runtime does: an error escaping the handler fails the invocation and ends the process.
async function fatal(error) {
  if (current) await postError('/invocation/' + current + '/error', error).catch(() => {});
  else console.error(error);
  process.exit(129);
}
process.on('uncaughtException', fatal);
process.on('unhandledRejection', fatal);

let handler;
try {
  handler = await loadHandler();
} catch (error) {
  await postError('/init/error', error).catch(() => {});
  process.exit(1);
}

const timeoutMs = Number(env.AWS_LAMBDA_FUNCTION_TIMEOUT || 300) * 1000;
for (;;) {
  const next = await call('GET', '/invocation/next');
  const headers = next.headers;
  const id = headers['lambda-runtime-aws-request-id'];
  const header = Number(headers['lambda-runtime-deadline-ms']);
  const deadline = Number.isFinite(header) && header > 0 ? header : Date.now() + timeoutMs;
  if (headers['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = headers['lambda-runtime-trace-id'];
  const functionName = env.AWS_LAMBDA_FUNCTION_NAME || 'test_function';
  const context = {
    awsRequestId: id,
    functionName,
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST',
    invokedFunctionArn: headers['lambda-runtime-invoked-function-arn'] || 'arn:aws:lambda:us-east-1:123456789012:function:' + functionName,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '1024',
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME || '/aws/lambda/' + functionName,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME || '$LATEST',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  current = id;
  try {
    const result = await invokeHandler(handler, next.body ? JSON.parse(next.body) : {}, context);
    current = null;
    await call('POST', '/invocation/' + id + '/response', JSON.stringify(result ?? null), { 'Content-Type': 'application/json' });
  } catch (error) {
    current = null;
    await postError('/invocation/' + id + '/error', error);
  }
}
`;
