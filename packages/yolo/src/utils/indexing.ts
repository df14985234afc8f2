/**
 * Python list indexing, as a model YAML's `from` fields use it: a negative index counts from the end. An index
 * outside the list throws a RangeError that says what was looked up (`what()`, e.g. the layer and its `from`).
 *
 * @example
 * pyAt([10, 20, 30], -1); // 30
 * pyAt([10, 20, 30], 3); // throws RangeError: index 3 is outside a list of 3
 */
export function pyAt<T>(list: readonly T[], index: number, what?: () => string): T {
  const i = index < 0 ? list.length + index : index;
  if (!(Number.isInteger(i) && i >= 0 && i < list.length)) {
    throw new RangeError(what ? what() : `index ${index} is outside a list of ${list.length}`);
  }
  return list[i] as T;
}
