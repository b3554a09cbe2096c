import type { KafkaRecord } from '../record/record.js';
import { closestName } from '../shared/closest-name.js';
import { ConfigError } from '../shared/errors.js';
import { checkEnum, describeShape } from '../shared/option-checks.js';
import type { AllFailedAlike, ErrorPolicy } from './error-policy.js';
import { POLICIES } from './index.js';
import type { FailurePolicy } from './policy.js';
import { type FailureRoute, routedPolicy } from './route.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** The `onError` option after its checks. */
export interface ResolvedErrorPolicy {
  /** The policy's name, or `'route'` when a function chooses one per failed record. */
  readonly policyName: ErrorPolicy | 'route';
  /** The policies a failure may go to: the named one, or the route's `routes`. */
  readonly routes: readonly ErrorPolicy[];
  /** What the batch calls on a failure, a hand-back and at its end. */
  readonly policy: FailurePolicy;
  readonly deadLetterTopic: string | ((record: AnyRecord, error: Error) => string) | undefined;
  readonly allFailedAlike: AllFailedAlike;
}

const FIELDS = ['policy', 'routes', 'topic', 'allFailedAlike'] as const;
const NAMES = Object.keys(POLICIES) as ErrorPolicy[];
const SHAPES = `${NAMES.map((p) => `'${p}'`).join(', ')} or { policy, topic?, allFailedAlike? }`;

/**
 * `onError`: a policy's name, or `{ policy, routes?, topic?, allFailedAlike? }` where `policy` is a
 * name or a route (a function of the failure returning one of `routes`). Checked at load: an
 * unknown policy, route or field is named with its near miss (none of them can be a secret); a
 * dead-letter policy (or a route that may dead-letter) without a topic, or a topic no route uses,
 * is refused.
 */
export function resolveErrorPolicy(option: unknown): ResolvedErrorPolicy {
  if (option === undefined) return named('log', undefined, undefined);
  if (typeof option === 'string') {
    const policyName = policyNamed(option, 'onError');
    if (policyName === 'dead-letter')
      throw new ConfigError(
        "onError: 'dead-letter' needs its topic: onError: { policy: 'dead-letter', topic: 'orders.dlq' }",
      );
    return named(policyName, undefined, undefined);
  }
  if (typeof option === 'function')
    throw new ConfigError(
      `onError must be ${SHAPES}, not a function: a route goes in onError: { policy: (failure) => …, routes: [...] }`,
    );
  if (typeof option !== 'object' || option === null || Array.isArray(option))
    throw new ConfigError(`onError must be ${SHAPES}, not ${describeShape(option)}`);
  for (const field of Object.keys(option)) {
    if ((FIELDS as readonly string[]).includes(field)) continue;
    const near = closestName(field, FIELDS);
    throw new ConfigError(`onError has no \`${field}\`${near ? ` (did you mean \`${near}\`?)` : ''}`);
  }
  const { policy, routes, topic, allFailedAlike } = option as {
    policy?: unknown;
    routes?: unknown;
    topic?: unknown;
    allFailedAlike?: unknown;
  };
  if (typeof policy === 'function') {
    const declared = routesOf(routes);
    checkTopic(
      topic,
      declared.includes('dead-letter'),
      `a route whose routes lack it (add 'dead-letter' to onError.routes if the route may return it)`,
    );
    checkAllFailedAlike(allFailedAlike);
    return {
      policyName: 'route',
      routes: declared,
      policy: routedPolicy(policy as FailureRoute, declared),
      deadLetterTopic: topic as ResolvedErrorPolicy['deadLetterTopic'],
      allFailedAlike: (allFailedAlike as AllFailedAlike | undefined) ?? 'fail-invocation',
    };
  }
  const policyName = policyNamed(policy, 'onError.policy');
  if (routes !== undefined)
    throw new ConfigError(
      `onError.routes is for a route (onError.policy a function of the failure), not for policy '${policyName}'`,
    );
  checkTopic(topic, policyName === 'dead-letter', `'${policyName}'`);
  checkAllFailedAlike(allFailedAlike);
  return named(
    policyName,
    topic as ResolvedErrorPolicy['deadLetterTopic'],
    allFailedAlike as AllFailedAlike | undefined,
  );
}

function named(
  policyName: ErrorPolicy,
  deadLetterTopic: ResolvedErrorPolicy['deadLetterTopic'],
  allFailedAlike: AllFailedAlike | undefined,
): ResolvedErrorPolicy {
  return {
    policyName,
    routes: [policyName],
    policy: POLICIES[policyName],
    deadLetterTopic,
    allFailedAlike: allFailedAlike ?? 'fail-invocation',
  };
}

function checkAllFailedAlike(allFailedAlike: unknown): void {
  if (
    allFailedAlike !== undefined &&
    allFailedAlike !== 'fail-invocation' &&
    allFailedAlike !== 'apply-policy'
  )
    throw new ConfigError("onError.allFailedAlike must be 'fail-invocation' or 'apply-policy'");
}

/** A dead-lettering policy needs its topic; any other must not have one (a topic nobody writes is a mistake). */
function checkTopic(topic: unknown, deadLetters: boolean, other: string): void {
  if (deadLetters) {
    if (!(typeof topic === 'function' || (typeof topic === 'string' && topic.trim() !== '')))
      throw new ConfigError(
        `onError.topic must be a topic name or a function of (record, error) returning one, not ${describeShape(topic)}`,
      );
  } else if (topic !== undefined) {
    throw new ConfigError(`onError.topic is for policy 'dead-letter' only, not ${other}`);
  }
}

/** A route's `routes`: a non-empty list of policy names, each one known. */
function routesOf(routes: unknown): ErrorPolicy[] {
  if (!Array.isArray(routes) || routes.length === 0)
    throw new ConfigError(
      `onError.routes must list the policies onError.policy may return (some of ${NAMES.map((p) => `'${p}'`).join(', ')}; 'report' only if the ESM has ReportBatchItemFailures on), not ${describeShape(routes)}`,
    );
  routes.forEach((route, i) => {
    checkEnum(`onError.routes[${i}]`, route, NAMES, true);
  });
  return [...new Set(routes as ErrorPolicy[])];
}

function policyNamed(value: unknown, name: string): ErrorPolicy {
  if (typeof value === 'object' && value !== null)
    throw new ConfigError(
      `${name} must be ${NAMES.map((p) => `'${p}'`).join(', ')}, or a function of the failure returning one of them (with onError.routes), not an object`,
    );
  checkEnum(name, value, NAMES, true);
  return value as ErrorPolicy;
}
