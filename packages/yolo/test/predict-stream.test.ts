import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import * as torch from '@yolots/torch';
import sharp from 'sharp';
import { DetectionPredictor } from '../src/models/yolo/detect/predict.js';
import { DetectionModel } from '../src/nn/tasks.js';
import { yamlModelLoad } from '../src/nn/yaml-model.js';

const IMAGES = 500;
// Tensors this small gain nothing from intra-op threads, and spinning threads make the test crawl on a busy machine.
torch.setNumThreads(1);
const dir = mkdtempSync(join(tmpdir(), 'yolots-stream-'));

before(async () => {
  // Small images of varied sizes and colours, so letterboxing and decoding vary from batch to batch.
  await Promise.all(
    Array.from({ length: IMAGES }, (_, i) => {
      const width = 24 + (i % 5) * 8;
      const height = 24 + (i % 3) * 8;
      const background = { r: (i * 37) % 256, g: (i * 91) % 256, b: (i * 53) % 256 };
      return sharp({ create: { width, height, channels: 3, background } })
        .png()
        .toFile(join(dir, `${String(i).padStart(4, '0')}.png`));
    }),
  );
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** yolov8n's layout at an eighth of its width: the same code paths at a fraction of the cost. */
function tinyModel(): DetectionModel {
  const yaml = yamlModelLoad('yolov8n.yaml');
  yaml.scales = { n: [0.33, 0.125, 1024] };
  return new DetectionModel(yaml, { nc: 3, verbose: false });
}

test(`streaming ${IMAGES} images keeps live tensors and native memory flat`, async () => {
  const model = tinyModel();
  // conf 0 keeps every anchor as a candidate, so NMS and Boxes work on every image.
  const predictor = new DetectionPredictor({ overrides: { imgsz: 64, conf: 0, batch: 10, save: false, verbose: false } });
  let seen = 0;
  let detections = 0;
  let tensorsAtStart = -1;
  let bytesAtStart = -1;
  const samples: { tensors: number; bytes: number }[] = [];
  for await (const result of predictor.stream(dir, model)) {
    seen++;
    detections += result.length;
    if (seen === 50) {
      tensorsAtStart = torch.liveTensors();
      bytesAtStart = torch.memoryStats().nativeBytes;
    } else if (seen > 50 && seen % 50 === 0) {
      samples.push({ tensors: torch.liveTensors(), bytes: torch.memoryStats().nativeBytes });
    }
  }
  assert.equal(seen, IMAGES);
  assert.ok(detections >= IMAGES, `expected detections on every image at conf 0, got ${detections}`);
  for (const s of samples) {
    assert.equal(s.tensors, tensorsAtStart, 'live tensors grew while streaming');
    assert.ok(Math.abs(s.bytes - bytesAtStart) < 1 << 20, `native bytes moved from ${bytesAtStart} to ${s.bytes}`);
  }
});
