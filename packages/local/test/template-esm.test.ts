import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseCliArgs } from '../src/runner/cli-options.js';
import { resolveSettings } from '../src/runner/run-event-source.js';
import { parseCfnTemplate } from '../src/runner/template/cfn-yaml.js';
import { IntrinsicResolver } from '../src/runner/template/intrinsics.js';
import { TemplateError } from '../src/runner/template/template-error.js';
import { loadTemplateEsm, templateEsm } from '../src/runner/template/template-esm.js';

const example = (name: string) =>
  fileURLToPath(new URL(`../../../examples/trade-settlement/${name}`, import.meta.url));

describe('loadTemplateEsm: the trade-settlement example', () => {
  it('reads the self-managed template’s mapping with the parameters’ defaults', () => {
    const esm = loadTemplateEsm(example('template.yaml'));
    expect(esm.functionId).toBe('TradeSettlementFunction');
    expect(esm.mapping).toBe('Resources.UserTradesMapping');
    expect(esm.options).toEqual({
      topics: ['user_trades'],
      batchSize: 500,
      batchWindowMs: 1000,
      startingPosition: 'TRIM_HORIZON',
      reportBatchItemFailures: true,
      maxRetries: 3,
      maxRecordAgeSeconds: 86400,
      bisectBatchOnFunctionError: false,
      onFailureDestination: 'kafka://user_trades.failures',
      eventSource: 'SelfManagedKafka',
      groupId: 'trade-settlement',
      timeoutMs: 120_000,
      functionName: 'TradeSettlementFunction',
    });
    // What the local run does instead of the deployed connection settings is named.
    expect(esm.notEmulated.map((line) => line.split(':')[0])).toEqual([
      'SelfManagedEventSource',
      'SourceAccessConfigurations',
      'ProvisionedPollerConfig',
    ]);
  });

  it('reads the MSK template (cluster ARN parameter without Default) as an aws:kafka source', () => {
    const esm = loadTemplateEsm(example('template-msk.yaml'));
    expect(esm.options).toMatchObject({ eventSource: 'aws:kafka', topics: ['user_trades'], batchSize: 500 });
  });

  it('parameter overrides drive conditions and !If: an S3 destination, infinite retries, bisection', () => {
    const esm = loadTemplateEsm(example('template.yaml'), {
      parameters: {
        OnFailureDestination: 's3',
        MaximumRetryAttempts: '-1',
        BisectBatchOnFunctionError: 'true',
      },
    });
    expect(esm.options).toMatchObject({
      onFailureDestination: 'arn:aws:s3:::FailedBatchesBucket',
      maxRetries: -1,
      bisectBatchOnFunctionError: true,
    });
    const none = loadTemplateEsm(example('template.yaml'), { parameters: { OnFailureDestination: 'none' } });
    expect(none.options.onFailureDestination).toBeUndefined();
  });

  it('names an unknown parameter override and a bad value by path', () => {
    expect(() => loadTemplateEsm(example('template.yaml'), { parameters: { Nope: '1' } })).toThrow(
      expect.objectContaining({ name: 'TemplateError', path: 'Parameters.Nope' }),
    );
    expect(() => loadTemplateEsm(example('template.yaml'), { parameters: { BatchSize: '0' } })).toThrow(
      expect.objectContaining({ path: 'Resources.UserTradesMapping.Properties.BatchSize' }),
    );
  });
});

const SAM = `
Transform: AWS::Serverless-2016-10-31
Parameters:
  Env: { Type: String, Default: dev }
  Cluster: { Type: String }
Globals:
  Function:
    Timeout: 30
Resources:
  Orders:
    Type: AWS::Serverless::Function
    Properties:
      Handler: index.handler
      Events:
        FromMsk:
          Type: MSK
          Properties:
            Stream: !Ref Cluster
            Topics: [!Sub "\${Env}.orders"]
            StartingPosition: LATEST
            BatchSize: 10
            FilterCriteria:
              Filters: [{ Pattern: '{"value": {"kind": ["a"]}}' }]
            DestinationConfig:
              OnFailure:
                Destination: !GetAtt Failed.Arn
  Payments:
    Type: AWS::Serverless::Function
    Properties:
      FunctionName: !Join ["-", [payments, !Ref Env]]
      Handler: index.handler
      Timeout: 5
  PaymentsMapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !GetAtt Payments.Arn
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: [b:9092] } }
      Topics: [!Ref MissingTopic]
  Failed:
    Type: AWS::SQS::Queue
    Properties:
      QueueName: !Sub "\${Env}-failed"
`;

describe('templateEsm: SAM events and selection', () => {
  it('a SAM MSK event: !Sub topics, Globals timeout, a queue destination, FilterCriteria', () => {
    const esm = templateEsm(SAM, 'sam.yaml', { functionName: 'Orders' });
    expect(esm.mapping).toBe('Resources.Orders.Properties.Events.FromMsk');
    expect(esm.options).toMatchObject({
      topics: ['dev.orders'],
      startingPosition: 'LATEST',
      batchSize: 10,
      eventSource: 'aws:kafka',
      timeoutMs: 30_000,
      maxRetries: -1,
      onFailureDestination: 'arn:aws:sqs:us-east-1:123456789012:dev-failed',
    });
    expect(esm.options.filterCriteria).toEqual({ Filters: [{ Pattern: '{"value": {"kind": ["a"]}}' }] });
    expect(esm.notEmulated.some((line) => line.startsWith('FilterCriteria'))).toBe(false);
    expect(esm.notEmulated.some((line) => line.startsWith('ProvisionedPollerConfig: absent'))).toBe(true);
  });

  it('with two mapped functions and no --function, lists them; a missing reference names itself', () => {
    expect(() => templateEsm(SAM, 'sam.yaml')).toThrow(
      /Orders \(Resources\.Orders\.Properties\.Events\.FromMsk\), Payments/,
    );
    // The ARN of a function named by a !Join finds its mapping; its Topics name an unknown resource.
    expect(() => templateEsm(SAM, 'sam.yaml', { functionName: 'Payments' })).toThrow(
      expect.objectContaining({ path: 'Resources.PaymentsMapping.Properties.Topics[0].Ref' }),
    );
    expect(() => templateEsm(SAM, 'sam.yaml', { functionName: 'Failed' })).toThrow(TemplateError);
  });

  it('a needed parameter without Default says what to pass', () => {
    const text = SAM.replace('Stream: !Ref Cluster', 'Stream: x').replace(
      `!Sub "\${Env}.orders"`,
      '!Ref Cluster',
    );
    expect(() => templateEsm(text, 'sam.yaml', { functionName: 'Orders' })).toThrow(
      /parameter Cluster has no Default: pass --parameter-overrides Cluster=<value>/,
    );
  });

  it('YAML errors name the line', () => {
    expect(() => parseCfnTemplate('Resources:\n  A: [\n', 'bad.yaml')).toThrow(
      expect.objectContaining({ file: 'bad.yaml', path: expect.stringMatching(/^line \d+/) }),
    );
  });

  it('evaluates the intrinsic functions a mapping uses', () => {
    const template = parseCfnTemplate(
      'Parameters:\n  A: { Type: CommaDelimitedList, Default: "x,y" }\nConditions:\n  Yes: !And [!Equals [1, "1"], !Not [!Equals [a, b]]]\nResources: {}\n',
      't.yaml',
    );
    const r = new IntrinsicResolver({ file: 't.yaml', template, parameters: {} });
    expect(r.resolve({ 'Fn::Select': [1, { Ref: 'A' }] }, 'x')).toBe('y');
    expect(r.resolve({ 'Fn::If': ['Yes', 'on', 'off'] }, 'x')).toBe('on');
    // CloudFormation's ${} syntax, not JavaScript's: escaped in template literals.
    expect(r.resolve({ 'Fn::Sub': [`\${X}-\${!Literal}-\${AWS::Region}`, { X: 'v' }] }, 'x')).toBe(
      `v-\${Literal}-us-east-1`,
    );
    expect(r.resolve({ 'Fn::Split': [',', 'a,b'] }, 'x')).toEqual(['a', 'b']);
    expect(r.resolve([1, { Ref: 'AWS::NoValue' }, 2], 'x')).toEqual([1, 2]);
  });
});

describe('kafka-lambda-local --template', () => {
  it('takes the template’s settings, and flags win over them', () => {
    const { options, template } = parseCliArgs(
      [
        'h.js',
        '--template',
        example('template.yaml'),
        '--batch-size',
        '7',
        '--no-report-batch-item-failures',
        '--maximum-retry-attempts=-1',
        '--on-failure-destination',
        'arn:aws:s3:::local',
        '--parameter-overrides',
        'InputTopic=trades BisectBatchOnFunctionError=true',
      ],
      {},
    );
    expect(options).toMatchObject({
      topics: ['trades'],
      batchSize: 7,
      batchWindowMs: 1000,
      reportBatchItemFailures: false,
      maxRetries: -1,
      bisectBatchOnFunctionError: true,
      onFailureDestination: 'arn:aws:s3:::local',
      groupId: 'trade-settlement',
      timeoutMs: 120_000,
    });
    expect(template?.mapping).toMatch(/template\.yaml: Resources\.UserTradesMapping$/);
  });

  it('--topic is optional with --template only; --function needs --template; --x and --no-x conflict', () => {
    expect(() => parseCliArgs(['h.js'], {})).toThrow(expect.objectContaining({ path: '--topic' }));
    expect(() => parseCliArgs(['h.js', '-t', 'x', '--function', 'F'], {})).toThrow(
      expect.objectContaining({ path: '--function' }),
    );
    expect(() =>
      parseCliArgs(
        ['h.js', '-t', 'x', '--bisect-batch-on-function-error', '--no-bisect-batch-on-function-error'],
        {},
      ),
    ).toThrow(expect.objectContaining({ path: '--bisect-batch-on-function-error' }));
  });

  it('--filter-criteria takes the AWS CLI’s JSON, and names itself when it is not JSON', () => {
    const criteria = { Filters: [{ Pattern: '{"value":{"kind":["trade"]}}' }] };
    const { options } = parseCliArgs(['h.js', '-t', 'x', '--filter-criteria', JSON.stringify(criteria)], {});
    expect(options.filterCriteria).toEqual(criteria);
    expect(() => parseCliArgs(['h.js', '-t', 'x', '--filter-criteria', '{Filters'], {})).toThrow(
      expect.objectContaining({ path: '--filter-criteria' }),
    );
  });

  it('--from-failures-dir needs no topic', () => {
    const command = parseCliArgs(['h.js', '--from-failures-dir', 'failures/s3/b'], {});
    expect(command.fromFailuresDir).toBe('failures/s3/b');
  });

  it('--from-failures with a template replays the on-failure topic without a destination of its own', () => {
    const { options } = parseCliArgs(
      ['h.js', '--template', example('template.yaml'), '--from-failures', '-t', 'user_trades.failures'],
      {},
    );
    expect(options.topics).toEqual(['user_trades.failures']);
    expect(options.onFailureDestination).toBeUndefined();
    const filtered = parseCliArgs(
      [
        'h.js',
        '--template',
        example('template.yaml'),
        '--from-failures',
        '-t',
        'f',
        '--filter-criteria',
        '{"Filters":[{"Pattern":"{}"}]}',
      ],
      {},
    );
    // A flag given explicitly stays, and the runner refuses it: it would filter the on-failure messages.
    expect(() => resolveSettings({ ...filtered.options, handler: () => undefined })).toThrow(
      expect.objectContaining({ path: 'filterCriteria' }),
    );
  });
});

describe('templateEsm: SchemaRegistryConfig', () => {
  const mapping = (kafkaConfig: string) => `
Resources:
  Fn:
    Type: AWS::Lambda::Function
    Properties: { Handler: index.handler, Timeout: 10 }
  Mapping:
    Type: AWS::Lambda::EventSourceMapping
    Properties:
      FunctionName: !Ref Fn
      Topics: [trades]
      SelfManagedEventSource: { Endpoints: { KafkaBootstrapServers: [b:9092] } }
      ProvisionedPollerConfig: { MinimumPollers: 1 }
      SelfManagedKafkaEventSourceConfig:
${kafkaConfig}
`;

  it('reads the registry, record format and attributes; names the deployed URI and credentials as replaced', () => {
    const esm = templateEsm(
      mapping(`        ConsumerGroupId: g
        SchemaRegistryConfig:
          SchemaRegistryURI: https://psrc-1.us-east-1.aws.confluent.cloud
          EventRecordFormat: SOURCE
          AccessConfigs: [{ Type: BASIC_AUTH, URI: arn:aws:secretsmanager:us-east-1:123456789012:secret:sr }]
          SchemaValidationConfigs: [{ Attribute: KEY }, { Attribute: VALUE }]`),
      't.yaml',
    );
    expect(esm.options.schemaRegistry).toEqual({
      uri: 'https://psrc-1.us-east-1.aws.confluent.cloud',
      eventRecordFormat: 'SOURCE',
      attributes: ['KEY', 'VALUE'],
    });
    expect(esm.notEmulated.filter((line) => line.includes('SchemaRegistryConfig'))).toEqual([
      'SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig.SchemaRegistryURI: the local run reads the registry of --schema-registry-uri, else $SCHEMA_REGISTRY_URL, else https://psrc-1.us-east-1.aws.confluent.cloud',
      'SelfManagedKafkaEventSourceConfig.SchemaRegistryConfig.AccessConfigs: the local registry is read without the deployed credentials',
    ]);
    // The CLI: the local registry replaces the deployed one; a flag wins over the environment.
    const file = '/tmp/h27-sr-template.yaml';
    writeFileSync(
      file,
      mapping(
        `        SchemaRegistryConfig: { SchemaRegistryURI: https://sr.example, EventRecordFormat: JSON }`,
      ),
    );
    const local = 'http://127.0.0.1:8081/apis/ccompat/v7';
    expect(
      parseCliArgs(['h.js', '--template', file], { SCHEMA_REGISTRY_URL: local }).options.schemaRegistry,
    ).toEqual({
      uri: local,
      eventRecordFormat: 'JSON',
      attributes: ['VALUE'],
    });
    expect(
      parseCliArgs(
        [
          'h.js',
          '--template',
          file,
          '--schema-registry-uri',
          'http://other:8081',
          '--event-record-format',
          'SOURCE',
        ],
        {
          SCHEMA_REGISTRY_URL: local,
        },
      ).options.schemaRegistry,
    ).toMatchObject({ uri: 'http://other:8081', eventRecordFormat: 'SOURCE' });
  });

  it('refuses a record format or attribute AWS does not have, naming the path', () => {
    expect(() =>
      templateEsm(
        mapping(`        SchemaRegistryConfig: { SchemaRegistryURI: https://sr, EventRecordFormat: AVRO }`),
        't.yaml',
      ),
    ).toThrow(/SchemaRegistryConfig\.EventRecordFormat/);
    expect(() =>
      templateEsm(
        mapping(
          `        SchemaRegistryConfig: { SchemaRegistryURI: https://sr, SchemaValidationConfigs: [{ Attribute: HEADERS }] }`,
        ),
        't.yaml',
      ),
    ).toThrow(/SchemaRegistryConfig\.SchemaValidationConfigs/);
  });
});
