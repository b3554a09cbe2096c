import type { KafkaRecord } from '../record/record.js';
import { closestName } from '../shared/closest-name.js';
import { ConfigError } from '../shared/errors.js';
import { checkEnum, describeShape } from '../shared/option-checks.js';
import type { AllFailedAlike, ErrorPolicy } from './error-policy.js';
import { POLICIES } from './index.js';

type AnyRecord = KafkaRecord<unknown, unknown>;

/** The `onError` option after its checks. */
export interface ResolvedErrorPolicy {
  readonly policyName: ErrorPolicy;
  readonly deadLetterTopic: string | ((record: AnyRecord, error: Error) => string) | undefined;
  readonly allFailedAlike: AllFailedAlike;
}

const FIELDS = ['policy', 'topic', 'allFailedAlike'] as const;
const NAMES = Object.keys(POLICIES);

/**
 * `onError`: a policy's name, or `{ policy, topic?, allFailedAlike? }`. Checked at load: an unknown
 * policy or field is named with its near miss (none of them can be a secret), a dead-letter policy
 * without a topic, or a topic for another policy, is refused.
 */
export function resolveErrorPolicy(option: unknown): ResolvedErrorPolicy {
  if (option === undefined)
    return { policyName: 'log', deadLetterTopic: undefined, allFailedAlike: 'fail-invocation' };
  if (typeof option === 'string') {
    const policyName = policyNamed(option, 'onError');
    if (policyName === 'dead-letter')
      throw new ConfigError(
        "onError: 'dead-letter' needs its topic: onError: { policy: 'dead-letter', topic: 'orders.dlq' }",
      );
    return { policyName, deadLetterTopic: undefined, allFailedAlike: 'fail-invocation' };
  }
  if (typeof option !== 'object' || option === null || Array.isArray(option))
    throw new ConfigError(
      `onError must be ${NAMES.map((p) => `'${p}'`).join(', ')} or { policy, topic?, allFailedAlike? }, not ${describeShape(option)}`,
    );
  for (const field of Object.keys(option)) {
    if ((FIELDS as readonly string[]).includes(field)) continue;
    const near = closestName(field, FIELDS);
    throw new ConfigError(`onError has no \`${field}\`${near ? ` (did you mean \`${near}\`?)` : ''}`);
  }
  const { policy, topic, allFailedAlike } = option as {
    policy?: unknown;
    topic?: unknown;
    allFailedAlike?: unknown;
  };
  const policyName = policyNamed(policy, 'onError.policy');
  if (policyName === 'dead-letter') {
    if (!(typeof topic === 'function' || (typeof topic === 'string' && topic.trim() !== '')))
      throw new ConfigError(
        `onError.topic must be a topic name or a function of (record, error) returning one, not ${describeShape(topic)}`,
      );
  } else if (topic !== undefined) {
    throw new ConfigError(`onError.topic is for policy 'dead-letter' only, not '${policyName}'`);
  }
  if (
    allFailedAlike !== undefined &&
    allFailedAlike !== 'fail-invocation' &&
    allFailedAlike !== 'apply-policy'
  )
    throw new ConfigError("onError.allFailedAlike must be 'fail-invocation' or 'apply-policy'");
  return {
    policyName,
    deadLetterTopic: topic as ResolvedErrorPolicy['deadLetterTopic'],
    allFailedAlike: allFailedAlike ?? 'fail-invocation',
  };
}

function policyNamed(value: unknown, name: string): ErrorPolicy {
  checkEnum(name, value, NAMES, true);
  return value as ErrorPolicy;
}
