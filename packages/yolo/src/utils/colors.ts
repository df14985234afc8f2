// Terminal emphasis as Ultralytics' colorstr, honouring the NO_COLOR and FORCE_COLOR conventions: escape codes only
// go to a terminal, or wherever FORCE_COLOR asks; NO_COLOR (any non-empty value) wins over both.

/** Whether output may carry ANSI escape codes. */
export function colorEnabled(stream: { isTTY?: boolean } = process.stdout): boolean {
  if (process.env.NO_COLOR) return false;
  const force = process.env.FORCE_COLOR;
  if (force !== undefined && force !== '') return force !== '0' && force.toLowerCase() !== 'false';
  return stream.isTTY === true;
}

/** `text` in bold when colour is enabled, else unchanged. */
export function bold(text: string): string {
  return colorEnabled() ? `\x1b[1m${text}\x1b[0m` : text;
}
