// NMS time per image at validation settings (conf 0.001, iou 0.7, multi-label, 80 classes) on 2100-anchor (320) and
// 8400-anchor (640) outputs, for two score regimes: a trained model's sparse scores and a worst case where every
// class of every anchor passes the threshold (the max_nms = 30000 cap applies).
// Run: node --conditions=source --import tsx bench/nms.ts [--repeats 5] [--threads N]

import type { Tensor } from '@yolots/torch';
import * as torch from '@yolots/torch';
import { nonMaxSuppression } from '../packages/yolo/src/utils/nms.js';

function flag(name: string, fallback: number): number {
  const at = process.argv.indexOf(`--${name}`);
  return at > 0 ? Number(process.argv[at + 1]) : fallback;
}
const repeats = flag('repeats', 5);
torch.setNumThreads(flag('threads', torch.getNumThreads()));
const NC = 80;

/**
 * A (1, 4 + NC, anchors) prediction: boxes clustered around 40 objects in a 640 image (so suppression has work), class
 * scores sigmoid(N(mean, 2)): mean -10.5 leaves ~4% of (box, class) pairs above 0.001, thousands per image as a trained
 * model gives.
 */
function prediction(anchors: number, logitMean: number): Tensor {
  return torch.tidy(() => {
    const centres = torch.rand([40, 2]).mul(640);
    const owner = torch.randint(0, 40, [anchors]);
    const xy = centres.indexSelect(0, owner).add(torch.randn([anchors, 2]).mul(6));
    const wh = torch.rand([anchors, 2]).mul(120).add(10);
    const scores = torch.randn([anchors, NC]).mul(2).add(logitMean).sigmoid();
    return torch.cat([xy, wh, scores], 1).t().unsqueeze(0).contiguous();
  });
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

torch.manualSeed(0);
console.log(`threads ${torch.getNumThreads()}; conf 0.001, iou 0.7, multi-label, max_det 300, ${NC} classes`);
for (const anchors of [2100, 8400]) {
  for (const [regime, logitMean] of [
    ['trained-like scores', -10.5],
    ['all scores above conf', 2],
  ] as const) {
    const pred = prediction(anchors, logitMean);
    const candidates = torch.tidy(() => pred.narrow(1, 4, NC).gt(0.001).sum().item());
    const run = (): number =>
      torch.tidy(() => {
        const start = performance.now();
        const [dets] = nonMaxSuppression(pred, { confThres: 0.001, iouThres: 0.7, multiLabel: true, maxDet: 300 });
        const ms = performance.now() - start;
        kept = dets?.shape[0] ?? 0;
        return ms;
      });
    let kept = 0;
    run(); // warm-up
    const ms = median(Array.from({ length: repeats }, run));
    console.log(`${anchors} anchors, ${regime}: ${candidates} candidates → ${kept} kept, ${ms.toFixed(1)} ms/image`);
    pred.dispose();
  }
}
