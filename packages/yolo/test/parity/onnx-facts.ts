// Test helper for the ONNX export parity tests: an exported file against what onnx_facts.json says Ultralytics'
// export of the fixture folder's model writes (input and output names, output shape, metadata keys).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { decodeModel } from '../../src/utils/onnx/schema.js';
import type { FixtureSet } from './fixture-set.js';

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
