// Test helper for the ONNX export parity tests: an exported file against what onnx_facts.json says Ultralytics'
// export of the fixture folder's model writes (input and output names, output shape, metadata keys).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { DetectionModel } from '../../src/nn/tasks.js';
import { decodeModel } from '../../src/utils/onnx/schema.js';
import { type FixtureSet, get } from './fixture-set.js';

/** What the parity tests read of onnx_facts.json. */
interface OnnxFacts {
  input: { name: string };
  output_names: string[];
  /** 'key/value strings: description, author, …' */
  metadata_props: string;
  /** Output shapes of Ultralytics' dry run at batch 1, by case ('default_320', 'end2end_false_640', …). */
  dry_run_output_shapes: Record<string, number[]>;
}

type ValueInfo = { type?: { tensor_type?: { shape?: { dim?: unknown[] } } } };

/** The dims of a graph input or output: sizes, or the names of symbolic axes. */
export function dims(valueInfo: ValueInfo): (number | string)[] {
  const dimList = (valueInfo.type?.tensor_type?.shape?.dim ?? []) as { dim_value?: number; dim_param?: string }[];
  return dimList.map((d) => d.dim_value ?? d.dim_param ?? '?');
}

/**
 * Decodes the static export `file` (made at `imgsz` and `batch`) and asserts onnx_facts.json's input and output
 * names, metadata keys in order, and output shape: the dry run's `<dryRun>_<imgsz>` at `batch`. Returns the model.
 * @example const proto = checkOnnxFacts(fixtures, file, { imgsz: 320, batch: 2 });
 */
export function checkOnnxFacts(
  fixtures: FixtureSet,
  file: string,
  { imgsz, batch, dryRun = 'default' }: { imgsz: number; batch: number; dryRun?: string },
): ReturnType<typeof decodeModel> {
  const facts = fixtures.json<OnnxFacts>('onnx_facts.json');
  const proto = decodeModel(readFileSync(file));
  const { input, output } = proto.graph;
  assert.deepEqual(
    input.map((i) => i.name),
    [facts.input.name],
    'input names',
  );
  assert.deepEqual(
    output.map((o) => o.name),
    facts.output_names,
    'output names',
  );
  assert.deepEqual(dims(input[0] as ValueInfo), [batch, 3, imgsz, imgsz], 'input shape');
  const dryRunShape = facts.dry_run_output_shapes[`${dryRun}_${imgsz}`];
  assert.ok(dryRunShape, `onnx_facts.json has no dry run '${dryRun}_${imgsz}'`);
  assert.deepEqual(dims(output[0] as ValueInfo), [batch, ...dryRunShape.slice(1)], 'output shape');
  assert.deepEqual(
    proto.metadata_props.map((p) => p.key),
    facts.metadata_props.replace(/^.*: /, '').split(', '),
    'metadata keys',
  );
  return proto;
}

/** What an ONNX parity test exports and compares with: see onnxCase. */
export interface OnnxCase {
  /** `<family>n.yaml` with the fixture weights, in eval mode. */
  model: DetectionModel;
  /** The fixture batch's images. */
  img: Tensor;
  /** Our libtorch eval output on `img`. */
  expected: Tensor;
  /** Ultralytics' output on `img` in export mode (forward.safetensors `ultralyticsKey`). */
  ultralytics: Tensor;
  /** A temporary folder for the exports. */
  dir: string;
  /** Frees the tensors and the model and removes the folder. */
  dispose(): void;
}

/**
 * The fixture folder's model (`yaml`, weights from model.safetensors) with the fixture batch, our eval output and
 * Ultralytics' export-mode output `ultralyticsKey`.
 * @example ({ model, img, expected, ultralytics, dir, dispose } = onnxCase(fixtures, 'yolo11n.yaml', 'eval_fused'));
 */
export function onnxCase(fixtures: FixtureSet, yaml: string, ultralyticsKey: string): OnnxCase {
  const dir = mkdtempSync(join(tmpdir(), `yolots-${yaml.replace(/\.yaml$/, '')}-onnx-`));
  const model = new DetectionModel(yaml, { verbose: false });
  const weights = fixtures.load('model.safetensors');
  const forward = fixtures.load('forward.safetensors');
  const batch = fixtures.load('batch.safetensors');
  model.loadStateDict(weights.tensors, { strict: true });
  model.eval();
  const img = get(batch.tensors, 'img').clone().keep();
  const ultralytics = get(forward.tensors, ultralyticsKey).clone().keep();
  const expected = torch.noGrad(() => torch.tidy(() => (model.call(img) as [Tensor])[0].keep()));
  torch.dispose([...weights.tensors.values(), ...forward.tensors.values(), ...batch.tensors.values()]);
  return {
    model,
    img,
    expected,
    ultralytics,
    dir,
    dispose: () => {
      torch.dispose([img, expected, ultralytics]);
      model.dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
