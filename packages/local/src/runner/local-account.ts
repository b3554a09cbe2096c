/**
 * The account, region and stack a local run pretends to be in: ARNs the runner makes up (the
 * function's, an MSK cluster's) and CloudFormation's pseudo parameters (`AWS::Region` …) use them.
 *
 * @example
 * ```ts
 * `arn:aws:lambda:${LOCAL_ACCOUNT.region}:${LOCAL_ACCOUNT.accountId}:function:my-function`;
 * ```
 */
export const LOCAL_ACCOUNT = {
  region: 'us-east-1',
  accountId: '123456789012',
  stackName: 'kafka-lambda-local',
} as const;
