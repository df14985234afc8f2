// Test helper for the model parity tests: what building and fusing a model prints (its layer table and summaries)
// and what info() counts, against the layers_<name>.txt and model_info.json Ultralytics wrote for a fixture folder.
import assert from 'node:assert/strict';
import { type BaseModel, DetectionModel } from '../../src/nn/tasks.js';
import { captureLog } from '../helpers/capture-log.js';
import { asUltralyticsRow } from '../helpers/ultralytics-table.js';
import type { FixtureSet } from './fixture-set.js';

/** Printed text as lines: split at newlines, trailing blanks trimmed, blank lines dropped. */
function lines(printed: string[]): string[] {
  return printed
    .flatMap((l) => l.split('\n'))
    .map((l) => l.trimEnd())
    .filter((l) => l !== '');
}

/**
 * Builds a model with `build` (verbose, so it prints its layer table and summary), checks it with `unfused`, puts it
 * in eval mode and fuses it (which prints the fused summary), checks it with `fused`, and asserts that what was
 * printed is the fixture's `layers_<name>.txt` line for line. Disposes the model; returns the printed lines.
 * @example checkLayerTable(fixtures, 'yolov8n-seg', () => new SegmentationModel('yolov8n-seg.yaml', { verbose: true }));
 */
export function checkLayerTable<M extends BaseModel>(
  fixtures: FixtureSet,
  name: string,
  build: () => M,
  check: { unfused?: (model: M) => void; fused?: (model: M) => void } = {},
): string[] {
  let model: M | null = null;
  const printed = captureLog(() => {
    model = build();
  });
  const built = model as unknown as M;
  try {
    check.unfused?.(built);
    built.eval();
    printed.push(...captureLog(() => built.fuse()));
    check.fused?.(built);
  } finally {
    built.dispose();
  }
  // yolots names its own module classes; the rows are compared with Ultralytics' names mapped back in.
  const ours = lines(printed).map((l) => asUltralyticsRow(l).trimEnd());
  assert.deepEqual(ours, lines([fixtures.text(`layers_${name}.txt`)]), `${name}: printed table and summaries`);
  return ours;
}

/** One build's counts in a family folder's model_info.json (`layers_printed`: 8.3 counts every module, 8.4 leaves). */
interface Counts {
  parameters: number;
  gradients: number;
  gflops_640: number;
  gflops_320: number;
  layers_printed: number;
}

/**
 * The detection models of a family folder (YOLO11, YOLO26): for each scale, `<family><scale>.yaml` prints
 * `layers_<family><scale>.txt` (checkLayerTable), and info() gives model_info.json's layers, parameters, gradients and
 * GFLOPs at 640 and 320, unfused and fused.
 * @example checkLayerTables(fixtureSet('ultralytics-yolo26'), 'yolo26');
 */
export function checkLayerTables(fixtures: FixtureSet, family: string, scales: readonly string[] = ['n', 's']): void {
  const info = fixtures.json<Record<string, { unfused: Counts; fused: Counts }>>('model_info.json');
  for (const scale of scales) {
    const name = `${family}${scale}`;
    const expected = info[scale];
    assert.ok(expected, `model_info.json has no scale '${scale}'`);
    const counts = (what: 'unfused' | 'fused') => (model: DetectionModel) => {
      const want = expected[what];
      const ours = model.info({ verbose: false });
      const ours320 = model.info({ verbose: false, imgsz: 320 });
      assert.equal(ours.layers, want.layers_printed, `${name} ${what} layers`);
      assert.equal(ours.parameters, want.parameters, `${name} ${what} parameters`);
      assert.equal(ours.gradients, want.gradients, `${name} ${what} gradients`);
      assert.ok(Math.abs(ours.gflops - want.gflops_640) < 1e-9, `${name} ${what} GFLOPs at 640: ${ours.gflops} vs ${want.gflops_640}`);
      assert.ok(
        Math.abs(ours320.gflops - want.gflops_320) < 1e-9,
        `${name} ${what} GFLOPs at 320: ${ours320.gflops} vs ${want.gflops_320}`,
      );
    };
    checkLayerTable(fixtures, name, () => new DetectionModel(`${name}.yaml`, { verbose: true }), {
      unfused: counts('unfused'),
      fused: counts('fused'),
    });
  }
}

/**
 * Builds a model per scale of `summaries` and asserts info() gives the summary line Ultralytics prints for it
 * ([layers, parameters, GFLOPs to one decimal]); `check` looks at each model further. Disposes the models.
 * @example checkSummaries({ m: [409, 20114688, 68.5] }, (scale) => new DetectionModel(`yolo11${scale}.yaml`, { verbose: false }));
 */
export function checkSummaries<M extends BaseModel>(
  summaries: Readonly<Record<string, readonly [layers: number, parameters: number, gflops: number]>>,
  build: (scale: string) => M,
  check?: (model: M, scale: string) => void,
): void {
  for (const [scale, [layers, parameters, gflops]] of Object.entries(summaries)) {
    const model = build(scale);
    try {
      const info = model.info({ verbose: false });
      assert.deepEqual([info.layers, info.parameters, info.gflops.toFixed(1)], [layers, parameters, gflops.toFixed(1)], scale);
      check?.(model, scale);
    } finally {
      model.dispose();
    }
  }
}
