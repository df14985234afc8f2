/**
 * Python's `difflib.get_close_matches` (no junk heuristics, as for short words): the candidates whose
 * Ratcliff/Obershelp similarity to `word` is at least `cutoff`, best first, ties broken by the larger string,
 * exactly as Ultralytics ranks its "Similar arguments are i.e. [...]" suggestions.
 *
 * @example
 * closeMatches('epoch', ['epochs', 'patience', 'batch']); // ['epochs']
 */
export function closeMatches(word: string, candidates: Iterable<string>, n = 3, cutoff = 0.6): string[] {
  const scored: Array<[number, string]> = [];
  for (const candidate of candidates) {
    const score = similarity(candidate, word);
    if (score >= cutoff) scored.push([score, candidate]);
  }
  scored.sort((x, y) => y[0] - x[0] || (y[1] > x[1] ? 1 : y[1] < x[1] ? -1 : 0));
  return scored.slice(0, n).map(([, candidate]) => candidate);
}

/** `SequenceMatcher(None, a, b).ratio()`: 2·M / (|a| + |b|), M = characters in matching blocks. */
export function similarity(a: string, b: string): number {
  const total = a.length + b.length;
  return total === 0 ? 1 : (2 * matchedLength(a, b)) / total;
}

function matchedLength(a: string, b: string): number {
  const positionsInB = new Map<string, number[]>();
  for (const [j, c] of [...b].entries()) {
    const list = positionsInB.get(c);
    if (list) list.push(j);
    else positionsInB.set(c, [j]);
  }
  let matched = 0;
  // difflib pops from the end of its queue; the order changes nothing in the total, only in the block list.
  const queue: Array<[number, number, number, number]> = [[0, a.length, 0, b.length]];
  while (queue.length > 0) {
    const [alo, ahi, blo, bhi] = queue.pop() as [number, number, number, number];
    const [i, j, k] = longestMatch(a, positionsInB, alo, ahi, blo, bhi);
    if (k === 0) continue;
    matched += k;
    if (alo < i && blo < j) queue.push([alo, i, blo, j]);
    if (i + k < ahi && j + k < bhi) queue.push([i + k, ahi, j + k, bhi]);
  }
  return matched;
}

/** difflib's `find_longest_match`: the longest block, earliest in `a`, then earliest in `b`. */
function longestMatch(
  a: string,
  positionsInB: Map<string, number[]>,
  alo: number,
  ahi: number,
  blo: number,
  bhi: number,
): [number, number, number] {
  let besti = alo;
  let bestj = blo;
  let bestSize = 0;
  let runEndingAt = new Map<number, number>();
  for (let i = alo; i < ahi; i++) {
    const next = new Map<number, number>();
    for (const j of positionsInB.get(a.charAt(i)) ?? []) {
      if (j < blo) continue;
      if (j >= bhi) break;
      const k = (runEndingAt.get(j - 1) ?? 0) + 1;
      next.set(j, k);
      if (k > bestSize) {
        besti = i - k + 1;
        bestj = j - k + 1;
        bestSize = k;
      }
    }
    runEndingAt = next;
  }
  return [besti, bestj, bestSize];
}
