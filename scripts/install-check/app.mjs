// A user's ES module program with plain `node`: a tiny training on a generated dataset, then predict.
import { join } from 'node:path';
import { ensureShapesDataset, torch, YOLO } from 'yolots';

const dir = process.argv[2] ?? '.';
const data = await ensureShapesDataset({ dir: join(dir, 'shapes'), trainImages: 8, valImages: 4, imgsz: 64 });
const model = new YOLO('yolov8n.yaml');
await model.train({ data, epochs: 1, imgsz: 64, batch: 4, nbs: 4, workers: 0, plots: false, project: join(dir, 'runs'), name: 'train' });
const best = model.trainer?.best;
if (!best) throw new Error('training wrote no best checkpoint');
const results = await new YOLO(best).predict(join(dir, 'shapes', 'images', 'val'), { imgsz: 64, conf: 0.001 });
console.log(`app.mjs: trained ${best}; predicted ${results.length} images; torch.zeros(2).shape = ${torch.zeros([2]).shape}`);
