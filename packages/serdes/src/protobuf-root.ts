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
  /** The top-level messages each file declared, in declaration order (Confluent's first index). */
  readonly declared: ReadonlyMap<string, readonly protobuf.Type[]>;
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
  const declared = new Map<string, protobuf.Type[]>();
  const add = (file: ProtoFile): string => {
    // Which file declared a message is learnt by difference (the messages of its package that are
    // new after parsing it), not from protobufjs' module-level `parse.filename`, which we leave alone.
    const before = new Set(allTopLevelMessages(root));
    const parsed = protobuf.parse(file.text, root, { keepCase: false });
    const pkg = parsed.package ? root.lookup(parsed.package) : root;
    declared.set(
      file.name,
      pkg instanceof protobuf.Namespace ? messagesOf(pkg).filter((type) => !before.has(type)) : [],
    );
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
  return { root, file: main.name, package: pkg, declared };
}

/** The message types declared directly in `ns`, in declaration order. */
function messagesOf(ns: protobuf.NamespaceBase): protobuf.Type[] {
  return ns.nestedArray.filter((object): object is protobuf.Type => object instanceof protobuf.Type);
}

/** Every message that is a direct child of a package namespace (not nested in a message). */
function allTopLevelMessages(ns: protobuf.NamespaceBase): protobuf.Type[] {
  const found: protobuf.Type[] = [];
  for (const object of ns.nestedArray) {
    if (object instanceof protobuf.Type) found.push(object);
    else if (object instanceof protobuf.Namespace) found.push(...allTopLevelMessages(object));
  }
  return found;
}

/**
 * The message type at a Confluent message index path: `[1, 0]` is the first nested message of the
 * file's second top-level message.
 */
export function typeAtIndexes(parsed: ParsedProto, indexes: readonly number[]): protobuf.Type | undefined {
  let candidates: readonly protobuf.Type[] = parsed.declared.get(parsed.file) ?? [];
  let type: protobuf.Type | undefined;
  for (const index of indexes) {
    type = candidates[index];
    if (!type) return undefined;
    candidates = messagesOf(type);
  }
  return type;
}

/** The Confluent message index path of `type` (a message of `parsed`) within the file it was declared in. */
export function indexesOfType(parsed: ParsedProto, type: protobuf.Type): number[] {
  const path: number[] = [];
  let current: protobuf.Type = type;
  for (;;) {
    const parent: protobuf.NamespaceBase | null = current.parent;
    if (!parent) break;
    if (!(parent instanceof protobuf.Type)) {
      for (const messages of parsed.declared.values()) {
        const index = messages.indexOf(current);
        if (index >= 0) {
          path.unshift(index);
          break;
        }
      }
      break;
    }
    path.unshift(messagesOf(parent).indexOf(current));
    current = parent;
  }
  return path;
}
