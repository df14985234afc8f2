// Test helper: two backends' (or two runs') detections compared row by row: [x1, y1, x2, y2, score, class].
import assert from 'node:assert/strict';
import type { Results } from '../../src/engine/results.js';

/** A Results' detections as rows [x1, y1, x2, y2, score, class]. */
export function detectionRows(r: Results): number[][] {
  const flat = r.boxes?.rows ?? new Float32Array(0);
  const columns = r.boxes?.columns ?? 6;
  return Array.from({ length: flat.length / columns }, (_, i) => Array.from(flat.slice(i * columns, i * columns + 6)));
}

export interface SameRowsOptions {
  /** What the message names ('image 0', a path). */
  what: string;
  /** Largest box-coordinate difference allowed, in pixels. */
  boxTol: number;
  /** Largest score difference allowed. */
  scoreTol: number;
  /**
   * Row i against row i (the default); with false, each row against the unused row of its class with the nearest box,
   * for backends whose near-equal scores may come out in another order.
   */
  ordered?: boolean;
}

/**
 * Asserts two lists of rows [x1, y1, x2, y2, score, class] hold the same detections: as many, of the same classes,
 * boxes within `boxTol` px and scores within `scoreTol`. Returns the worst box and score differences.
 * @example const { boxes } = assertSameRows(detectionRows(onnx), detectionRows(torch), { what: path, boxTol: 1e-3, scoreTol: 1e-4 });
 */
export function assertSameRows(actual: number[][], expected: number[][], options: SameRowsOptions): { boxes: number; scores: number } {
  const { what, boxTol, scoreTol, ordered = true } = options;
  assert.equal(actual.length, expected.length, `${what}: detection count`);
  const boxDiff = (a: number[], b: number[]) => Math.max(...[0, 1, 2, 3].map((k) => Math.abs((a[k] as number) - (b[k] as number))));
  const unused = new Set(expected.keys());
  let boxes = 0;
  let scores = 0;
  actual.forEach((row, i) => {
    let match = ordered ? i : -1;
    if (!ordered) {
      let nearest = Number.POSITIVE_INFINITY;
      for (const j of unused) {
        const d = expected[j]?.[5] === row[5] ? boxDiff(row, expected[j] as number[]) : Number.POSITIVE_INFINITY;
        if (d < nearest) [match, nearest] = [j, d];
      }
      assert.ok(match >= 0, `${what}: row ${i} ${JSON.stringify(row)} has no counterpart of its class`);
      unused.delete(match);
    }
    const want = expected[match] as number[];
    assert.equal(row[5], want[5], `${what} row ${i}: class`);
    const box = boxDiff(row, want);
    const score = Math.abs((row[4] as number) - (want[4] as number));
    assert.ok(box <= boxTol, `${what} row ${i}: box ${JSON.stringify(row.slice(0, 4))} vs ${JSON.stringify(want.slice(0, 4))}`);
    assert.ok(score <= scoreTol, `${what} row ${i}: score ${row[4]} vs ${want[4]}`);
    boxes = Math.max(boxes, box);
    scores = Math.max(scores, score);
  });
  return { boxes, scores };
}
