// Calls into libtorch's operator registry by schema name. Operator ids are looked up once and cached.
import { type Handle, type NativeArg, type NativeResult, native } from './native.js';

const ids = new Map<string, number>();

/** The dispatcher id of `aten::<name>.<overload>`, written 'name' or 'name.overload'. */
export function opId(qualified: string): number {
  let id = ids.get(qualified);
  if (id === undefined) {
    const dot = qualified.indexOf('.');
    const name = dot < 0 ? qualified : qualified.slice(0, dot);
    const overload = dot < 0 ? '' : qualified.slice(dot + 1);
    id = native.findOp(name.includes('::') ? name : `aten::${name}`, overload);
    ids.set(qualified, id);
  }
  return id;
}

/** The schema of an operator, e.g. `schema('conv2d')`: what its arguments are, in order. */
export function schema(qualified: string): string {
  return native.opSchema(opId(qualified));
}

export type { Handle, NativeArg, NativeResult };
