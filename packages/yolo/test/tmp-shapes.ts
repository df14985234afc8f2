import { dataArgs } from '../src/data/args.js';
import { collate } from '../src/data/collate.js';
import { YOLODataset } from '../src/data/dataset.js';
import { ensureShapesDataset } from '../src/data/shapes.js';

const t0 = Date.now();
const yaml = await ensureShapesDataset({ dir: '/tmp/segdev/shapes-seg', polygons: true, trainImages: 32, valImages: 8, force: true });
console.log(yaml, Date.now() - t0, 'ms');
const ds = await YOLODataset.create({
  imgPath: '/tmp/segdev/shapes-seg/images/train',
  hyp: dataArgs({ imgsz: 160, copy_paste: 0.5, degrees: 10 }),
  nc: 5,
  batchSize: 4,
  augment: true,
  task: 'segment',
});
const t1 = Date.now();
const b = collate(await Promise.all([0, 1, 2, 3].map((i) => ds.getItem(i, 0))));
console.log(b.masksShape, b.cls.length, Date.now() - t1, 'ms', Array.from(new Set(b.masks)).sort());
