// Linear assignment as Ultralytics' trackers call it: `lap.lapjv(cost, extend_cost=True, cost_limit=thresh)`. The
// cost matrix is extended to (rows + cols)² with cost_limit / 2 for "leave this row (column) unmatched", so a pair is
// matched only where that beats leaving both ends unmatched, and the square problem is solved exactly by the
// shortest-augmenting-path method of Jonker and Volgenant (O(n³); n is a few tens of tracks here).

/** Matched (row, column) pairs and the rows and columns left unmatched, each in increasing order. */
export interface Assignment {
  matches: [number, number][];
  unmatchedA: number[];
  unmatchedB: number[];
}

/**
 * A minimum-cost assignment of the rows×cols `cost` (row-major) in which no pair costs more than `thresh`
 * (Ultralytics' matching.linear_assignment with lapjv). An empty matrix matches nothing.
 *
 * @example
 * linearAssignment(Float64Array.from([0.1, 0.9, 0.8, 0.2]), 2, 2, 0.5).matches; // [[0, 0], [1, 1]]
 */
export function linearAssignment(cost: ArrayLike<number>, rows: number, cols: number, thresh: number): Assignment {
  if (cost.length !== rows * cols) throw new RangeError(`linearAssignment: ${cost.length} costs for a ${rows}x${cols} matrix`);
  if (rows === 0 || cols === 0) return { matches: [], unmatchedA: range(rows), unmatchedB: range(cols) };
  const n = rows + cols;
  const half = thresh / 2;
  const extended = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let c: number;
      if (i < rows && j < cols) c = cost[i * cols + j]!;
      else if (i >= rows && j >= cols) c = 0;
      else c = half;
      extended[i * n + j] = c;
    }
  }
  const rowToCol = solveSquare(extended, n);
  const matches: [number, number][] = [];
  const matchedCols = new Uint8Array(cols);
  const unmatchedA: number[] = [];
  for (let i = 0; i < rows; i++) {
    const j = rowToCol[i]!;
    if (j < cols) {
      matches.push([i, j]);
      matchedCols[j] = 1;
    } else unmatchedA.push(i);
  }
  const unmatchedB = range(cols).filter((j) => !matchedCols[j]);
  return { matches, unmatchedA, unmatchedB };
}

/**
 * The optimal assignment of a square n×n cost matrix: `rowToCol[i]` is the column of row i. Shortest augmenting
 * paths with dual potentials u (rows) and v (columns); costs must be finite.
 */
export function solveSquare(cost: Float64Array, n: number): Int32Array {
  // 1-based internally: column 0 is the virtual start of each augmenting path.
  const u = new Float64Array(n + 1);
  const v = new Float64Array(n + 1);
  const p = new Int32Array(n + 1); // p[j]: the row assigned to column j (0: none)
  const way = new Int32Array(n + 1);
  const minv = new Float64Array(n + 1);
  const used = new Uint8Array(n + 1);
  for (let i = 1; i <= n; i++) {
    p[0] = i;
    let j0 = 0;
    minv.fill(Number.POSITIVE_INFINITY);
    used.fill(0);
    do {
      used[j0] = 1;
      const i0 = p[j0]!;
      let delta = Number.POSITIVE_INFINITY;
      let j1 = 0;
      const rowBase = (i0 - 1) * n - 1;
      const ui0 = u[i0]!;
      for (let j = 1; j <= n; j++) {
        if (used[j]) continue;
        const cur = cost[rowBase + j]! - ui0 - v[j]!;
        if (cur < minv[j]!) {
          minv[j] = cur;
          way[j] = j0;
        }
        if (minv[j]! < delta) {
          delta = minv[j]!;
          j1 = j;
        }
      }
      for (let j = 0; j <= n; j++) {
        if (used[j]) {
          const row = p[j]!;
          u[row] = u[row]! + delta;
          v[j] = v[j]! - delta;
        } else minv[j] = minv[j]! - delta;
      }
      j0 = j1;
    } while (p[j0] !== 0);
    do {
      const j1 = way[j0]!;
      p[j0] = p[j1]!;
      j0 = j1;
    } while (j0 !== 0);
  }
  const rowToCol = new Int32Array(n);
  for (let j = 1; j <= n; j++) rowToCol[p[j]! - 1] = j - 1;
  return rowToCol;
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
