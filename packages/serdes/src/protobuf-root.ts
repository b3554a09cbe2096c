import protobuf from 'protobufjs';

/** A `.proto` file's text and the name other files import it by. */
export interface ProtoFile {
  readonly name: string;
  readonly text: string;
}

/** A parsed schema: the root with every dependency, and the main file's name and package. */
export interface ParsedProto {
  readonly root: protobuf.Root;
  readonly file: string;
  readonly package: string;
}

const WELL_KNOWN = 'google/protobuf/';

/** Whether an import is one of the well-known types protobufjs bundles (never fetched). */
export function isWellKnown(importName: string): boolean {
  return importName.startsWith(WELL_KNOWN) && protobuf.common.get(importName) !== null;
}

/**
 * Parses a `.proto` file with its dependencies (given dependencies first) into one root. Field names
 * are camelCase, as in protobufjs' default, pbjs generated code and the proto3 JSON mapping.
 */
export function parseProto(main: ProtoFile, dependencies: readonly ProtoFile[]): ParsedProto {
  const root = new protobuf.Root();
  const known = new Set<string>();
  const imported: Array<[string, string]> = [];
  const add = (file: ProtoFile): string => {
    (protobuf.parse as unknown as { filename: string | null }).filename = file.name; // stamps `filename` on the declarations, to find the main file's messages
    const parsed = protobuf.parse(file.text, root, { keepCase: false });
    known.add(file.name);
    for (const name of [...(parsed.imports ?? []), ...(parsed.weakImports ?? [])])
      imported.push([file.name, name]);
    return parsed.package ?? '';
  };
  for (const dependency of dependencies) if (!isWellKnown(dependency.name)) add(dependency);
  const pkg = add(main);
  for (const [from, name] of imported) {
    if (known.has(name)) continue;
    const common = isWellKnown(name) ? protobuf.common.get(name) : null;
    if (!common)
      throw new Error(
        `${from} imports ${name}, which is neither a reference of the schema nor a well-known type`,
      );
    root.addJSON(common.nested as Record<string, protobuf.AnyNestedObject>);
    known.add(name);
  }
  root.resolveAll();
  return { root, file: main.name, package: pkg };
}

/** The message types declared directly in `ns`, in declaration order, optionally only those of `file`. */
function messagesOf(ns: protobuf.NamespaceBase, file?: string): protobuf.Type[] {
  return ns.nestedArray.filter(
    (object): object is protobuf.Type =>
      object instanceof protobuf.Type && (file === undefined || object.filename === file),
  );
}

/**
 * The message type at a Confluent message index path: `[1, 0]` is the first nested message of the
 * file's second top-level message.
 */
export function typeAtIndexes(parsed: ParsedProto, indexes: readonly number[]): protobuf.Type | undefined {
  const pkg = parsed.package ? parsed.root.lookup(parsed.package) : parsed.root;
  if (!(pkg instanceof protobuf.Namespace) && !(pkg instanceof protobuf.Root)) return undefined;
  let candidates = messagesOf(pkg as protobuf.NamespaceBase, parsed.file);
  let type: protobuf.Type | undefined;
  for (const index of indexes) {
    type = candidates[index];
    if (!type) return undefined;
    candidates = messagesOf(type);
  }
  return type;
}

/** The Confluent message index path of `type` within the file it was declared in. */
export function indexesOfType(type: protobuf.Type): number[] {
  const path: number[] = [];
  let current: protobuf.ReflectionObject = type;
  for (;;) {
    const parent: protobuf.NamespaceBase | null = current.parent;
    if (!parent) break;
    const nested = parent instanceof protobuf.Type;
    const siblings = messagesOf(parent, nested ? undefined : (current.filename ?? undefined));
    path.unshift(siblings.indexOf(current as protobuf.Type));
    if (!nested) break;
    current = parent;
  }
  return path;
}
