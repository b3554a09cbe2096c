import protobuf from 'protobufjs';
import type { ProtoFile } from './protobuf-root.js';

/** Generated `.proto` files: the one declaring the type, and those of the other packages it uses (dependencies first). */
export interface GeneratedProto {
  readonly main: ProtoFile;
  readonly dependencies: ProtoFile[];
}

/**
 * Writes `.proto` text for the package that declares `type`, for registering a schema the user gave
 * as a protobufjs Root or reflected class. Well-known types become imports; other packages the
 * package uses are generated as files of their own, named after the package (`acme.common.proto`),
 * to be registered as references. Field names are those of the root.
 */
export function protoFilesOf(type: protobuf.Type): GeneratedProto {
  const generated = new Map<protobuf.NamespaceBase, ProtoFile>();
  const order: ProtoFile[] = [];
  const visit = (pkg: protobuf.NamespaceBase, depth: number): ProtoFile => {
    const done = generated.get(pkg);
    if (done) return done;
    if (depth > 32) throw new Error('protobuf packages import each other in a cycle; give protoFile instead');
    const others = new Set<protobuf.NamespaceBase>();
    const text = packageText(pkg, type, others);
    const imports: string[] = [];
    for (const other of others) imports.push(visit(other, depth + 1).name);
    const file = {
      name: fileNameOf(pkg),
      text: text.replace(
        '\n/*IMPORTS*/',
        imports
          .sort()
          .map((name) => `\nimport "${name}";`)
          .join(''),
      ),
    };
    generated.set(pkg, file);
    order.push(file);
    return file;
  };
  const main = visit(packageOf(type)!, 0);
  return { main, dependencies: order.filter((file) => file !== main) };
}

function fileNameOf(pkg: protobuf.NamespaceBase): string {
  const name = pkg.fullName.replace(/^\./, '');
  // Dots, not slashes: the file name is also the reference's subject, and some registries (and
  // proxies) refuse %2F in paths.
  return name ? `${name}.proto` : 'root.proto';
}

function packageText(
  pkg: protobuf.NamespaceBase,
  sample: protobuf.Type,
  others: Set<protobuf.NamespaceBase>,
): string {
  const imports = new Set<string>();
  const proto3 = (sample as unknown as { _edition?: string })._edition === 'proto3';
  const packageName = pkg.fullName.replace(/^\./, '');
  const context: Context = { proto3, imports, pkg, others };
  const body: string[] = [];
  for (const object of pkg.nestedArray) {
    if (object instanceof protobuf.Type) body.push(...message(object, '', context));
    else if (object instanceof protobuf.Enum) body.push(...enumeration(object, ''));
  }
  const head = [`syntax = "${proto3 ? 'proto3' : 'proto2'}";`];
  if (packageName) head.push(`package ${packageName};`);
  for (const name of [...imports].sort()) head.push(`import "${name}";`);
  return `${head.join('\n')}\n/*IMPORTS*/\n\n${body.join('\n')}\n`;
}

interface Context {
  readonly proto3: boolean;
  readonly imports: Set<string>;
  readonly pkg: protobuf.NamespaceBase;
  readonly others: Set<protobuf.NamespaceBase>;
}

function typeName(field: protobuf.Field, context: Context): string {
  const resolved = field.resolvedType;
  if (!resolved) return field.type;
  const full = resolved.fullName.replace(/^\./, '');
  if (full.startsWith('google.protobuf.')) {
    const file = WELL_KNOWN_FILES[full.slice('google.protobuf.'.length).split('.')[0]!];
    if (!file) throw new Error(`cannot generate an import for ${full}; give protoFile instead`);
    context.imports.add(file);
  } else if (packageOf(resolved) !== context.pkg) {
    context.others.add(packageOf(resolved)!);
  }
  return `.${full}`;
}

function packageOf(object: protobuf.ReflectionObject): protobuf.NamespaceBase | null {
  let parent = object.parent;
  while (parent instanceof protobuf.Type) parent = parent.parent;
  return parent;
}

function message(type: protobuf.Type, indent: string, context: Context): string[] {
  const inner = `${indent}  `;
  const lines = [`${indent}message ${type.name} {`];
  for (const nested of type.nestedArray) {
    if (nested instanceof protobuf.Type) lines.push(...message(nested, inner, context));
    else if (nested instanceof protobuf.Enum) lines.push(...enumeration(nested, inner));
  }
  const inOneof = new Set<protobuf.Field>();
  for (const oneof of type.oneofsArray) {
    const synthetic = oneof.fieldsArray.length === 1 && oneof.fieldsArray[0]!.options?.proto3_optional;
    if (synthetic) continue;
    lines.push(`${inner}oneof ${oneof.name} {`);
    for (const field of oneof.fieldsArray) {
      inOneof.add(field);
      lines.push(`${inner}  ${typeName(field, context)} ${field.name} = ${field.id};`);
    }
    lines.push(`${inner}}`);
  }
  for (const field of type.fieldsArray) {
    if (inOneof.has(field)) continue;
    if (field instanceof protobuf.MapField) {
      lines.push(`${inner}map<${field.keyType}, ${typeName(field, context)}> ${field.name} = ${field.id};`);
      continue;
    }
    let label = field.repeated ? 'repeated ' : field.required ? 'required ' : '';
    if (!label && (!context.proto3 || field.options?.proto3_optional)) label = 'optional ';
    const options: string[] = [];
    if (field.options?.packed !== undefined && !context.proto3)
      options.push(`packed = ${field.options.packed}`);
    if (field.options?.default !== undefined)
      options.push(`default = ${JSON.stringify(field.options.default)}`);
    if (field.options?.deprecated) options.push('deprecated = true');
    const suffix = options.length ? ` [${options.join(', ')}]` : '';
    lines.push(`${inner}${label}${typeName(field, context)} ${field.name} = ${field.id}${suffix};`);
  }
  lines.push(`${indent}}`);
  return lines;
}

function enumeration(type: protobuf.Enum, indent: string): string[] {
  const lines = [`${indent}enum ${type.name} {`];
  const ids = Object.values(type.values);
  if (new Set(ids).size !== ids.length) lines.push(`${indent}  option allow_alias = true;`);
  for (const [name, id] of Object.entries(type.values)) lines.push(`${indent}  ${name} = ${id};`);
  lines.push(`${indent}}`);
  return lines;
}

const WELL_KNOWN_FILES: Record<string, string> = {
  Any: 'google/protobuf/any.proto',
  Duration: 'google/protobuf/duration.proto',
  Timestamp: 'google/protobuf/timestamp.proto',
  Empty: 'google/protobuf/empty.proto',
  Struct: 'google/protobuf/struct.proto',
  Value: 'google/protobuf/struct.proto',
  ListValue: 'google/protobuf/struct.proto',
  NullValue: 'google/protobuf/struct.proto',
  FieldMask: 'google/protobuf/field_mask.proto',
  DoubleValue: 'google/protobuf/wrappers.proto',
  FloatValue: 'google/protobuf/wrappers.proto',
  Int64Value: 'google/protobuf/wrappers.proto',
  UInt64Value: 'google/protobuf/wrappers.proto',
  Int32Value: 'google/protobuf/wrappers.proto',
  UInt32Value: 'google/protobuf/wrappers.proto',
  BoolValue: 'google/protobuf/wrappers.proto',
  StringValue: 'google/protobuf/wrappers.proto',
  BytesValue: 'google/protobuf/wrappers.proto',
};
