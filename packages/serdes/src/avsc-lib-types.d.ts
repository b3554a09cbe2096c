// avsc ships types for its main entry only; `lib/types` is the module that entry re-exports.
declare module 'avsc/lib/types.js' {
  import type avsc from 'avsc';

  const avscTypes: { readonly Type: typeof avsc.Type; readonly builtins: typeof avsc.types };
  export default avscTypes;
}
