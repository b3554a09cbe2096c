// Errors rebuilt from what the real clients rejected with (recordings/*.json): the same class name,
// message and own fields, so the fakes of the unit tests hand the stores exactly those shapes.
import { readFileSync } from 'node:fs';

type Recording = { scenarios: Record<string, Record<string, unknown>> };
type Shape = { class: string; name: string; message: string } & Record<string, unknown>;

const load = (file: string): Recording =>
  JSON.parse(readFileSync(new URL(`./recordings/${file}`, import.meta.url), 'utf8')) as Recording;
const redis = load('redis-errors.json');
const dynamodb = load('dynamodb-errors.json');

function rebuild(shape: Shape): Error {
  const { class: className, name, message, ...fields } = shape;
  const Named = { [className]: class extends Error {} }[className] as new (message: string) => Error;
  const error = new Named(message);
  Object.defineProperty(error, 'name', { value: name, configurable: true, writable: true });
  return Object.assign(error, fields);
}

/** A node-redis rejection: `path` is the scenario then the field holding `{ rejected }`. */
export function redisError(scenario: string, field: string): Error {
  const entry = redis.scenarios[scenario]?.[field] as { rejected?: Shape } | undefined;
  if (!entry?.rejected) throw new Error(`no recorded rejection ${scenario}.${field}`);
  return rebuild(entry.rejected);
}

/** An AWS SDK DynamoDB rejection of the recorded `scenario`. */
export function dynamoDbError(scenario: string): Error {
  const entry = dynamodb.scenarios[scenario] as { rejected?: Shape } | undefined;
  if (!entry?.rejected) throw new Error(`no recorded rejection ${scenario}`);
  return rebuild(entry.rejected);
}
