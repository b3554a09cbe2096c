import type avsc from 'avsc';
// avsc's main entry also loads its file, IDL, service and container modules: ≈22 ms to import on
// Node 24 against ≈12.5 ms for `lib/types`, the module that defines every Type (the main entry
// re-exports these very classes, so a Type a user built with `avsc` is one of ours too).
// avsc ships types for its main entry only; the shape of `lib/types` is given below.
// @ts-expect-error TS7016: no declaration file for this path (one would have to ship with ours)
import avscTypes from 'avsc/lib/types.js';

const lib = avscTypes as { readonly Type: typeof avsc.Type; readonly builtins: typeof avsc.types };

/** avsc's `Type` (`avsc.Type`), loaded without the rest of avsc. */
export const Type: typeof avsc.Type = lib.Type;

/** avsc's type classes (`avsc.types`), e.g. `LogicalType`. */
export const types: typeof avsc.types = lib.builtins;
