import { LOCAL_ACCOUNT } from '../local-account.js';
import { TemplateError } from './template-error.js';

/**
 * A value the template leaves to deploy time (a parameter without Default and not overridden, an
 * `!ImportValue`, an attribute only CloudFormation knows). Carried as a value so that only a setting
 * the runner actually needs fails, naming what to pass.
 */
export class Unresolved {
  constructor(readonly what: string) {}
}

/** `!Ref AWS::NoValue`: the property is removed. */
const NO_VALUE = Symbol('AWS::NoValue');

/** What the resolver reads from a template. */
export interface TemplateSource {
  readonly file: string;
  readonly template: Record<string, unknown>;
  /** Parameter values given on the command line; they win over each parameter's `Default`. */
  readonly parameters: Readonly<Record<string, string>>;
}

/**
 * Evaluates CloudFormation intrinsic functions (`Ref`, `Fn::Sub`, `Fn::If`, `Fn::GetAtt`, conditions
 * …) over parsed template data, as the stack would be deployed with the given parameters in
 * {@link LOCAL_ACCOUNT}. Resources resolve to local stand-ins: a function's `Ref` is its logical id, a
 * bucket's `Arn` is `arn:aws:s3:::<BucketName or logical id>`, a queue's `arn:aws:sqs:…:<name>`.
 *
 * @example
 * ```ts
 * const resolver = new IntrinsicResolver({ file: 't.yaml', template, parameters: { InputTopic: 'orders' } });
 * resolver.resolve({ 'Fn::Sub': 'kafka://${InputTopic}.failures' }, 'x'); // 'kafka://orders.failures'
 * ```
 */
export class IntrinsicResolver {
  readonly #source: TemplateSource;
  readonly #conditions = new Map<string, boolean>();

  constructor(source: TemplateSource) {
    this.#source = source;
    const declared = section(source.template, 'Parameters');
    for (const name of Object.keys(source.parameters)) {
      if (!(name in declared))
        throw new TemplateError(
          source.file,
          `Parameters.${name}`,
          'a declared parameter (given as an override)',
        );
    }
  }

  /** The value with every intrinsic evaluated; `AWS::NoValue` entries removed. `path` names it in errors. */
  resolve(value: unknown, path: string): unknown {
    const out = this.#value(value, path);
    return out === NO_VALUE ? undefined : out;
  }

  /** A named condition of the template's `Conditions`. */
  condition(name: string, path: string): boolean {
    const known = this.#conditions.get(name);
    if (known !== undefined) return known;
    const conditions = section(this.#source.template, 'Conditions');
    if (!(name in conditions)) throw this.#error(path, `a condition declared in Conditions (not "${name}")`);
    const result = this.#value(conditions[name], `Conditions.${name}`);
    if (typeof result !== 'boolean') throw this.#error(`Conditions.${name}`, 'a condition function');
    this.#conditions.set(name, result);
    return result;
  }

  #value(value: unknown, path: string): unknown {
    if (Array.isArray(value)) {
      return value.map((item, i) => this.#value(item, `${path}[${i}]`)).filter((item) => item !== NO_VALUE);
    }
    if (typeof value !== 'object' || value === null) return value;
    const entries = Object.entries(value);
    const [only] = entries;
    if (
      entries.length === 1 &&
      only &&
      (only[0] === 'Ref' || only[0] === 'Condition' || only[0].startsWith('Fn::'))
    )
      return this.#intrinsic(only[0], only[1], `${path}.${only[0]}`);
    const out: Record<string, unknown> = {};
    for (const [key, item] of entries) {
      const resolved = this.#value(item, `${path}.${key}`);
      if (resolved !== NO_VALUE) out[key] = resolved;
    }
    return out;
  }

  #intrinsic(name: string, raw: unknown, path: string): unknown {
    switch (name) {
      case 'Ref':
        return this.#ref(this.#string(raw, path), path);
      case 'Condition':
        return this.condition(this.#string(raw, path), path);
      case 'Fn::If': {
        const [condition, whenTrue, whenFalse] = this.#list(raw, 3, path);
        return this.condition(this.#string(condition, `${path}[0]`), path)
          ? this.#value(whenTrue, `${path}[1]`)
          : this.#value(whenFalse, `${path}[2]`);
      }
      case 'Fn::Equals': {
        const [a, b] = this.#list(raw, 2, path).map((item, i) => this.#value(item, `${path}[${i}]`));
        return JSON.stringify(scalarText(a)) === JSON.stringify(scalarText(b));
      }
      case 'Fn::Not':
        return !this.#boolean(this.#list(raw, 1, path)[0], `${path}[0]`);
      case 'Fn::And':
        return this.#anyList(raw, path).every((item, i) => this.#boolean(item, `${path}[${i}]`));
      case 'Fn::Or':
        return this.#anyList(raw, path).some((item, i) => this.#boolean(item, `${path}[${i}]`));
      case 'Fn::Sub':
        return this.#sub(raw, path);
      case 'Fn::Join': {
        const [delimiter, items] = this.#list(raw, 2, path);
        const list = this.#value(items, `${path}[1]`);
        if (!Array.isArray(list)) throw this.#error(`${path}[1]`, 'a list');
        if (list.some((item) => item instanceof Unresolved)) return firstUnresolved(list);
        return list.map((item) => String(item)).join(this.#string(delimiter, `${path}[0]`));
      }
      case 'Fn::Select': {
        const [index, items] = this.#list(raw, 2, path);
        const list = this.#value(items, `${path}[1]`);
        if (list instanceof Unresolved) return list;
        const i = Number(this.#value(index, `${path}[0]`));
        if (!Array.isArray(list) || !Number.isInteger(i) || i < 0 || i >= list.length)
          throw this.#error(path, 'an index within the list');
        return list[i];
      }
      case 'Fn::Split': {
        const [delimiter, text] = this.#list(raw, 2, path);
        const value = this.#value(text, `${path}[1]`);
        if (value instanceof Unresolved) return value;
        return String(value).split(this.#string(delimiter, `${path}[0]`));
      }
      case 'Fn::GetAtt': {
        const [resource, attribute] = Array.isArray(raw)
          ? raw
          : [String(raw).slice(0, String(raw).indexOf('.')), String(raw).slice(String(raw).indexOf('.') + 1)];
        return this.#getAtt(this.#string(resource, path), this.#string(attribute, path), path);
      }
      case 'Fn::FindInMap': {
        const [map, first, second] = this.#list(raw, 3, path).map((item, i) =>
          this.#value(item, `${path}[${i}]`),
        );
        const found = (
          section(this.#source.template, 'Mappings')[String(map)] as
            | Record<string, Record<string, unknown>>
            | undefined
        )?.[String(first)]?.[String(second)];
        if (found === undefined)
          throw this.#error(path, `an entry ${String(map)}.${String(first)}.${String(second)} in Mappings`);
        return this.#value(found, path);
      }
      case 'Fn::Base64': {
        const text = this.#value(raw, path);
        return text instanceof Unresolved ? text : Buffer.from(String(text)).toString('base64');
      }
      case 'Fn::GetAZs':
        return ['a', 'b', 'c'].map((zone) => `${LOCAL_ACCOUNT.region}${zone}`);
      default:
        return new Unresolved(`${name} (at ${path}) is only evaluated by CloudFormation`);
    }
  }

  #ref(name: string, path: string): unknown {
    switch (name) {
      case 'AWS::NoValue':
        return NO_VALUE;
      case 'AWS::Region':
        return LOCAL_ACCOUNT.region;
      case 'AWS::AccountId':
        return LOCAL_ACCOUNT.accountId;
      case 'AWS::StackName':
        return LOCAL_ACCOUNT.stackName;
      case 'AWS::Partition':
        return 'aws';
      case 'AWS::URLSuffix':
        return 'amazonaws.com';
      case 'AWS::StackId':
        return `arn:aws:cloudformation:${LOCAL_ACCOUNT.region}:${LOCAL_ACCOUNT.accountId}:stack/${LOCAL_ACCOUNT.stackName}/local`;
      case 'AWS::NotificationARNs':
        return [];
    }
    const parameters = section(this.#source.template, 'Parameters');
    const parameter = parameters[name] as { Type?: string; Default?: unknown } | undefined;
    if (parameter) {
      const given = this.#source.parameters[name] ?? parameter.Default;
      if (given === undefined)
        return new Unresolved(`parameter ${name} has no Default: pass --parameter-overrides ${name}=<value>`);
      const type = String(parameter.Type ?? 'String');
      if ((type.startsWith('List<') || type === 'CommaDelimitedList') && !Array.isArray(given))
        return String(given)
          .split(',')
          .map((item) => item.trim());
      return given;
    }
    const resource = this.#resource(name, path);
    return physicalId(name, resource, (value, at) => this.#value(value, at), 'Ref');
  }

  #getAtt(name: string, attribute: string, path: string): unknown {
    const resource = this.#resource(name, path);
    if (attribute === 'Arn' || attribute === 'TopicArn' || attribute === 'QueueArn')
      return physicalId(name, resource, (value, at) => this.#value(value, at), 'Arn');
    if (attribute === 'QueueName' || attribute === 'TopicName')
      return physicalId(name, resource, (value, at) => this.#value(value, at), 'Name');
    return new Unresolved(`${name}.${attribute} (at ${path}) is only known once deployed`);
  }

  #resource(name: string, path: string): { Type?: string; Properties?: Record<string, unknown> } {
    const resource = section(this.#source.template, 'Resources')[name];
    if (!resource || typeof resource !== 'object')
      throw this.#error(path, `a parameter, pseudo parameter or resource named "${name}"`);
    return resource as { Type?: string; Properties?: Record<string, unknown> };
  }

  #sub(raw: unknown, path: string): unknown {
    const [text, variables] = Array.isArray(raw) ? raw : [raw, {}];
    const template = this.#string(text, path);
    const locals = (this.#value(variables ?? {}, `${path}[1]`) ?? {}) as Record<string, unknown>;
    let unresolved: Unresolved | undefined;
    const out = template.replace(/\$\{([^}]*)\}/g, (whole, inner: string) => {
      if (inner.startsWith('!')) return `\${${inner.slice(1)}}`;
      let value: unknown;
      if (inner in locals) value = locals[inner];
      else if (inner.includes('.') && !inner.startsWith('AWS::'))
        value = this.#getAtt(inner.slice(0, inner.indexOf('.')), inner.slice(inner.indexOf('.') + 1), path);
      else value = this.#ref(inner, path);
      if (value instanceof Unresolved) unresolved ??= value;
      return value instanceof Unresolved ? whole : String(value);
    });
    return unresolved ?? out;
  }

  #boolean(value: unknown, path: string): boolean {
    const result = this.#value(value, path);
    if (typeof result !== 'boolean')
      throw this.#error(path, 'a condition (Fn::Equals, Fn::Not, Condition …)');
    return result;
  }

  #string(value: unknown, path: string): string {
    const result = this.#value(value, path);
    if (typeof result !== 'string') throw this.#error(path, 'a string');
    return result;
  }

  #list(raw: unknown, length: number, path: string): unknown[] {
    if (!Array.isArray(raw) || raw.length !== length) throw this.#error(path, `a list of ${length}`);
    return raw;
  }

  #anyList(raw: unknown, path: string): unknown[] {
    if (!Array.isArray(raw) || raw.length === 0) throw this.#error(path, 'a list of conditions');
    return raw;
  }

  #error(path: string, expected: string): TemplateError {
    return new TemplateError(this.#source.file, path, expected);
  }
}

/** A template section (`Parameters`, `Resources` …) as a record, empty when absent. */
export function section(template: Record<string, unknown>, name: string): Record<string, unknown> {
  const value = template[name];
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

const NAME_PROPERTY: Record<string, string> = {
  'AWS::S3::Bucket': 'BucketName',
  'AWS::SQS::Queue': 'QueueName',
  'AWS::SNS::Topic': 'TopicName',
  'AWS::Lambda::Function': 'FunctionName',
  'AWS::Serverless::Function': 'FunctionName',
};

/** A resource's local stand-in: its name (the name property, else the logical id), as `Ref` or `Arn` gives it. */
function physicalId(
  logicalId: string,
  resource: { Type?: string; Properties?: Record<string, unknown> },
  resolve: (value: unknown, path: string) => unknown,
  form: 'Ref' | 'Arn' | 'Name',
): unknown {
  const type = String(resource.Type ?? '');
  const property = NAME_PROPERTY[type];
  const named = property
    ? resolve(resource.Properties?.[property], `Resources.${logicalId}.Properties.${property}`)
    : undefined;
  if (named instanceof Unresolved) return named;
  const name = typeof named === 'string' && named ? named : logicalId;
  const { region, accountId } = LOCAL_ACCOUNT;
  switch (type) {
    case 'AWS::S3::Bucket':
      return form === 'Arn' ? `arn:aws:s3:::${name}` : name;
    case 'AWS::SQS::Queue':
      if (form === 'Arn') return `arn:aws:sqs:${region}:${accountId}:${name}`;
      return form === 'Name' ? name : `https://sqs.${region}.amazonaws.com/${accountId}/${name}`;
    case 'AWS::SNS::Topic':
      return form === 'Name' ? name : `arn:aws:sns:${region}:${accountId}:${name}`;
    case 'AWS::Lambda::Function':
    case 'AWS::Serverless::Function':
      return form === 'Arn' ? `arn:aws:lambda:${region}:${accountId}:function:${name}` : name;
    default:
      return form === 'Arn' ? new Unresolved(`the Arn of ${logicalId} (${type})`) : name;
  }
}

function scalarText(value: unknown): unknown {
  return typeof value === 'number' || typeof value === 'boolean' ? String(value) : value;
}

function firstUnresolved(list: unknown[]): Unresolved {
  return list.find((item): item is Unresolved => item instanceof Unresolved)!;
}
