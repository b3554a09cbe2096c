import { parseDocument, type ScalarTag, type YAMLMap, type YAMLSeq } from 'yaml';
import { TemplateError } from './template-error.js';

// Every short-form intrinsic CloudFormation and SAM accept. `!Ref` and `!Condition` have no `Fn::`.
const FUNCTIONS = [
  'Base64',
  'Cidr',
  'Contains',
  'EachMemberEquals',
  'EachMemberIn',
  'FindInMap',
  'GetAtt',
  'GetAZs',
  'ImportValue',
  'Join',
  'Length',
  'Select',
  'Split',
  'Sub',
  'Transform',
  'ToJsonString',
  'ValueOf',
  'ValueOfAll',
  'RefAll',
  'If',
  'Equals',
  'Not',
  'And',
  'Or',
] as const;

type CustomTag = ScalarTag | { tag: string; collection: 'seq' | 'map'; resolve: (node: never) => unknown };

/** `!Ref x` → `{ Ref: x }`, `!Sub [...]` → `{ 'Fn::Sub': [...] }`, `!GetAtt A.B` → `{ 'Fn::GetAtt': ['A', 'B'] }`. */
function cloudFormationTags(): CustomTag[] {
  const tags: CustomTag[] = [];
  const add = (short: string, key: string, scalar: (text: string) => unknown) => {
    tags.push({ tag: `!${short}`, resolve: (text: string) => ({ [key]: scalar(text) }) });
    tags.push({
      tag: `!${short}`,
      collection: 'seq',
      resolve: (seq: YAMLSeq) => ({ [key]: seq.toJSON() }),
    });
    tags.push({
      tag: `!${short}`,
      collection: 'map',
      resolve: (map: YAMLMap) => ({ [key]: map.toJSON() }),
    });
  };
  add('Ref', 'Ref', (text) => text);
  add('Condition', 'Condition', (text) => text);
  for (const name of FUNCTIONS) {
    // The short form of GetAtt is `Resource.Attribute` (the attribute may itself contain dots).
    add(name, `Fn::${name}`, (text) =>
      name === 'GetAtt' ? [text.slice(0, text.indexOf('.')), text.slice(text.indexOf('.') + 1)] : text,
    );
  }
  return tags;
}

/**
 * Parses a CloudFormation / SAM template (YAML or JSON, which is YAML) into plain data, the short-form
 * intrinsic tags turned into their long forms. Throws {@link TemplateError} on a YAML error, with its line.
 *
 * @example
 * ```ts
 * const template = parseCfnTemplate('Resources:\n  Q:\n    Type: AWS::SQS::Queue\n', 'template.yaml');
 * ```
 */
export function parseCfnTemplate(text: string, file: string): Record<string, unknown> {
  const document = parseDocument(text, {
    customTags: cloudFormationTags() as ScalarTag[],
    prettyErrors: true,
  });
  const first = document.errors[0];
  if (first)
    throw new TemplateError(file, `line ${first.linePos?.[0]?.line ?? '?'}`, `valid YAML (${first.message})`);
  const data: unknown = document.toJS({ maxAliasCount: 1_000 });
  if (typeof data !== 'object' || data === null || Array.isArray(data))
    throw new TemplateError(file, '(root)', 'a mapping with Resources');
  return data as Record<string, unknown>;
}
