/**
 * A minimal Node runtime client for the Runtime Interface Emulator, written to a temporary `.mjs` file
 * at start (so it runs the same from sources and from the built package). It loads the handler once
 * (the init phase: module scope runs once per "container") and then loops on the Runtime API.
 */
export const RIE_BOOTSTRAP_SOURCE = `
import http from 'node:http';
import { pathToFileURL } from 'node:url';

const api = process.env.AWS_LAMBDA_RUNTIME_API;
const file = process.env.KAFKA_LAMBDA_HANDLER_FILE;
const exportName = process.env.KAFKA_LAMBDA_HANDLER_EXPORT || 'handler';
const colon = api.lastIndexOf(':');
const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });

function call(method, path, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const request = http.request(
      { host: api.slice(0, colon), port: Number(api.slice(colon + 1)), method, path: '/2018-06-01/runtime' + path, agent, headers },
      (response) => {
        const chunks = [];
        response.on('data', (chunk) => chunks.push(chunk));
        response.on('end', () => resolve({ headers: response.headers, body: Buffer.concat(chunks).toString('utf8') }));
      },
    );
    request.on('error', reject);
    request.end(body);
  });
}

function errorBody(error) {
  return JSON.stringify({
    errorType: (error && error.name) || 'Error',
    errorMessage: (error && error.message) || String(error),
    stackTrace: error && typeof error.stack === 'string' ? error.stack.split('\\n') : [],
  });
}

const errorHeaders = (error) => ({ 'Content-Type': 'application/json', 'Lambda-Runtime-Function-Error-Type': 'Runtime.' + ((error && error.name) || 'Error') });

let handler;
try {
  const module = await import(pathToFileURL(file).href);
  handler = module[exportName] ?? (module.default && module.default[exportName]);
  if (typeof handler !== 'function') throw Object.assign(new Error(exportName + ' is not a function exported by ' + file), { name: 'HandlerNotFound' });
} catch (error) {
  console.error('init failed:', error);
  await call('POST', '/init/error', errorBody(error), errorHeaders(error));
  process.exit(1);
}

const timeoutMs = Number(process.env.AWS_LAMBDA_FUNCTION_TIMEOUT || 300) * 1000;
for (;;) {
  const next = await call('GET', '/invocation/next');
  const id = next.headers['lambda-runtime-aws-request-id'];
  const header = Number(next.headers['lambda-runtime-deadline-ms']);
  const deadline = Number.isFinite(header) && header > 0 ? header : Date.now() + timeoutMs;
  const functionName = process.env.AWS_LAMBDA_FUNCTION_NAME || 'test_function';
  const context = {
    awsRequestId: id,
    functionName,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION || '$LATEST',
    invokedFunctionArn: next.headers['lambda-runtime-invoked-function-arn'] || 'arn:aws:lambda:us-east-1:123456789012:function:' + functionName,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE || '1024',
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME || '/aws/lambda/' + functionName,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME || '$LATEST',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(JSON.parse(next.body), context);
    await call('POST', '/invocation/' + id + '/response', JSON.stringify(result ?? null), { 'Content-Type': 'application/json' });
  } catch (error) {
    console.error('invocation failed:', error);
    await call('POST', '/invocation/' + id + '/error', errorBody(error), errorHeaders(error));
  }
}
`;
