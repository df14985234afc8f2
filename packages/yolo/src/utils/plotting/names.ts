/** Class names as Ultralytics keeps them: a list, or a map from class index (YAML `names:` either way). */
export type ClassNames = readonly string[] | Readonly<Record<number, string>>;

/** The display name of class `index`, or the index itself when it has no name (as Ultralytics' `names.get(c, c)`). */
export function className(names: ClassNames | undefined, index: number): string {
  const name = names === undefined ? undefined : (names as Record<number, string | undefined>)[index];
  return name ?? String(index);
}

/** The names in class-index order (a map's entries sorted by index). */
export function nameList(names: ClassNames | undefined): string[] {
  if (names === undefined) return [];
  if (Array.isArray(names)) return [...names];
  return Object.entries(names)
    .map(([k, v]) => [Number(k), v] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, v]) => v);
}
