// amp: the rule that picks the training precision, the autocast around the forward, and a training that really
// runs its forward in bf16 with amp on (and float32 with amp=False).
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { resolveAmp, toFloat32, withAutocast } from '../src/engine/amp.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import { DetectionModel } from '../src/nn/tasks.js';

const COCO8 = fileURLToPath(new URL('../../../../shared/datasets/coco8.yaml', import.meta.url));
const cpu = torch.amp.cpuBf16Support();
const noBf16 = cpu.avx512Bf16 || cpu.amxBf16 ? false : 'this CPU has neither AVX512-BF16 nor AMX-BF16';
const noData = existsSync(COCO8) ? false : `../shared/datasets/coco8.yaml not found (${COCO8})`;

describe('resolveAmp', () => {
  const amx = { amxBf16: true, avx512Bf16: true };
  const avx = { amxBf16: false, avx512Bf16: true };
  const none = { amxBf16: false, avx512Bf16: false };

  test('CPU: bf16 only with AMX; float32 with AVX512-BF16 alone or nothing, saying why', () => {
    assert.equal(resolveAmp(true, 'cpu', amx, undefined).mode, 'bf16');
    const avxChoice = resolveAmp(true, 'cpu', avx, undefined);
    assert.equal(avxChoice.mode, 'off');
    assert.match(avxChoice.reason, /no AMX.*YOLOTS_CPU_AMP=bf16/);
    assert.match(resolveAmp(true, 'cpu', none, undefined).reason, /no bfloat16 instructions/);
  });

  test('amp=False is float32 everywhere; CUDA is fp16; YOLOTS_CPU_AMP overrides on CPU only', () => {
    assert.equal(resolveAmp(false, 'cpu', amx, 'bf16').mode, 'off');
    assert.equal(resolveAmp(false, 'cuda:0', amx, undefined).mode, 'off');
    assert.equal(resolveAmp(true, 'cuda:0', none, 'off').mode, 'fp16');
    assert.equal(resolveAmp(true, 'cpu', avx, 'bf16').mode, 'bf16');
    assert.equal(resolveAmp(true, 'cpu', amx, 'off').mode, 'off');
    assert.match(resolveAmp(true, 'cpu', none, 'bf16').reason, /slow/);
    assert.throws(() => resolveAmp(true, 'cpu', amx, 'fp16'), /YOLOTS_CPU_AMP must be 'bf16' or 'off', got 'fp16'/);
  });
});

describe('autocast around the forward', () => {
  test('a conv gives bf16 in the bf16 region and float32 with amp off; toFloat32 casts nested outputs back', { skip: noBf16 }, () =>
    torch.tidy(() => {
      const conv = new torch.nn.Conv2d(3, 4, 3);
      const x = torch.randn([1, 3, 8, 8]);
      assert.equal(withAutocast('bf16', () => conv.call(x)).dtype, 'bfloat16');
      assert.equal(withAutocast('off', () => conv.call(x)).dtype, 'float32');
      const nested = toFloat32([withAutocast('bf16', () => conv.call(x)), [withAutocast('bf16', () => conv.call(x))], 3]);
      assert.deepEqual(
        [(nested[0] as torch.Tensor).dtype, ((nested[1] as torch.Tensor[])[0] as torch.Tensor).dtype, nested[2]],
        ['float32', 'float32', 3],
      );
      conv.dispose();
    }),
  );
});

describe('the head under bf16 autocast', () => {
  test('the logits convs run in float32: raw maps are float32 though the convs before them ran in bf16', { skip: noBf16 }, () =>
    torch.tidy(() => {
      const model = new DetectionModel('yolov8n.yaml', { nc: 3, verbose: false });
      const raw = withAutocast('bf16', () => model.call(torch.rand([1, 3, 64, 64]))) as torch.Tensor[];
      assert.deepEqual(
        raw.map((t) => t.dtype),
        ['float32', 'float32', 'float32'],
      );
      const branch = model.head.cv3.at(0);
      const hidden = withAutocast('bf16', () => branch.at(0).call(torch.rand([1, 64, 8, 8])));
      assert.equal(hidden.dtype, 'bfloat16');
      model.dispose();
    }),
  );
});

/** One epoch of coco8 at 64 px recording the dtype of the first conv's output in the training forward. */
async function firstConvDtypes(amp: boolean): Promise<{ dtypes: string[]; emaDtypes: Set<string> }> {
  const dtypes: string[] = [];
  class Probe extends DetectionTrainer {
    protected override computeLoss(batch: Parameters<DetectionTrainer['computeLoss']>[0]) {
      const first = this.model?.model.at(0) as torch.nn.Module<[torch.Tensor], torch.Tensor>;
      dtypes.push(withAutocast(this.ampMode, () => first.call(batch.img)).dtype);
      return super.computeLoss(batch);
    }
  }
  const trainer = new Probe({
    overrides: {
      model: 'yolov8n.yaml',
      data: COCO8,
      epochs: 1,
      imgsz: 64,
      batch: 4,
      nbs: 4,
      workers: 0,
      plots: false,
      verbose: false,
      val: false,
      amp,
      project: mkdtempSync(join(tmpdir(), 'yolots-amp-')),
    },
  });
  await trainer.train();
  const emaDtypes = new Set([...(trainer.ema?.state.values() ?? [])].filter((t) => t.isFloatingPoint()).map((t) => t.dtype));
  return { dtypes, emaDtypes };
}

describe('training with amp', () => {
  test('amp=True with bf16 forced runs the forward in bf16, saves float32 checkpoints; amp=False stays float32', {
    skip: noBf16 || noData,
  }, async () => {
    const previous = process.env.YOLOTS_CPU_AMP;
    process.env.YOLOTS_CPU_AMP = 'bf16';
    try {
      const on = await firstConvDtypes(true);
      assert.deepEqual(on.dtypes, ['bfloat16']);
      assert.deepEqual([...on.emaDtypes], ['float32'], 'the EMA (what checkpoints save) stays float32');
      assert.deepEqual((await firstConvDtypes(false)).dtypes, ['float32']);
    } finally {
      if (previous === undefined) delete process.env.YOLOTS_CPU_AMP;
      else process.env.YOLOTS_CPU_AMP = previous;
    }
  });
});
