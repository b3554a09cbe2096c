import { closestName } from '../shared/closest-name.js';
import { FailureRouteError, messageOf } from '../shared/errors.js';
import type { ErrorPolicy, RecordFailure as FailureOfRecord } from './error-policy.js';
import { POLICIES } from './index.js';
import { type FailurePolicy, failTheInvocation } from './policy.js';
import { reportPolicy } from './report.js';

/** A user's route: the policy of one failed record. */
export type FailureRoute = (failure: FailureOfRecord) => unknown;

/**
 * `onError: { policy: route, routes }`: each failed record goes to the policy its route names, one
 * of `routes` (checked at load). The record's fate is then that policy's, done by the same code as
 * when the policy is named alone. Hand-backs (the deadline, a retryable error, a middleware's) and
 * the result are `report`'s when `routes` has it (the user said the ESM reads `batchItemFailures`),
 * otherwise they fail the invocation. A route that throws or answers anything else fails the
 * invocation with {@link FailureRouteError}: the record comes again, never dropped.
 *
 * @example
 * ```ts
 * const policy = routedPolicy((failure) => (failure.stage === 'decode' ? 'dead-letter' : 'report'), ['dead-letter', 'report']);
 * policy.recordFailed({ record, error, stage: 'decode' }, batch); // dead-letters it, goes on
 * ```
 */
export function routedPolicy(route: FailureRoute, routes: readonly ErrorPolicy[]): FailurePolicy {
  const allowed = new Set<unknown>(routes);
  const handsBack = routes.includes('report') ? reportPolicy : failTheInvocation;
  return {
    recordFailed(failure, batch) {
      let answer: unknown;
      try {
        answer = route(failure);
      } catch (thrown) {
        throw new FailureRouteError(failure.record, `it threw: ${messageOf(thrown)}`, { cause: thrown });
      }
      if (!allowed.has(answer)) throw new FailureRouteError(failure.record, notARoute(answer, routes));
      return POLICIES[answer as ErrorPolicy].recordFailed(failure, batch);
    },
    handBack: handsBack.handBack,
    result: handsBack.result,
  };
}

/** Why `answer` is no route: the routes, and the near miss of a typo or what a promise means. */
function notARoute(answer: unknown, routes: readonly ErrorPolicy[]): string {
  const list = routes.map((r) => `'${r}'`).join(', ');
  if (typeof answer === 'string') {
    const near = closestName(answer, routes);
    const undeclared = Object.hasOwn(POLICIES, answer);
    return `it returned '${answer.slice(0, 40)}', not one of its routes (${list})${
      undeclared ? `: add '${answer}' to onError.routes if it may` : near ? ` (did you mean '${near}'?)` : ''
    }`;
  }
  if (typeof (answer as { then?: unknown } | null)?.then === 'function')
    return `it returned a promise; a route decides synchronously, returning one of ${list}`;
  return `it returned ${answer === null ? 'null' : typeof answer}, not one of its routes (${list})`;
}
