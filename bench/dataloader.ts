/**
 * Data loader throughput: augmented training images/s at imgsz 640 with mosaic (Ultralytics' defaults) on
 * coco128, for 0 (in-process), 1 and 2 worker threads. Prints figures; asserts nothing.
 *
 *   node --conditions=source --import tsx bench/dataloader.ts [--imgsz 640] [--epochs 2] [--workers 0,1,2]
 *
 * Compare with Ultralytics 8.2.103 (../shared/reference): it loads in the training process (workers=0 on CPU),
 * and its whole training step at 640 consumes ~2-5 img/s on this kind of machine; the loader should deliver 3x that.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { dataArgs } from '../packages/yolo/src/data/args.js';
import { buildDataloader, buildYoloDataset } from '../packages/yolo/src/data/build.js';
import { checkDetDataset } from '../packages/yolo/src/data/dataset-yaml.js';

const { values } = parseArgs({
  options: {
    imgsz: { type: 'string', default: '640' },
    epochs: { type: 'string', default: '2' },
    workers: { type: 'string', default: '0,1,2' },
    batch: { type: 'string', default: '16' },
  },
});
const yaml = fileURLToPath(new URL('../../shared/datasets/coco128.yaml', import.meta.url));
if (!existsSync(yaml)) {
  console.log(`skipped: ${yaml} not found`);
  process.exit(0);
}
const data = checkDetDataset(yaml);
const args = dataArgs({ imgsz: Number(values.imgsz) });
const batch = Number(values.batch);
const quiet = { info: () => undefined, warn: () => undefined };
const ds = await buildYoloDataset(args, data.train, batch, data, 'train', false, 32, quiet);
console.log(`coco128 train: ${ds.length} images, imgsz ${args.imgsz}, batch ${batch}, mosaic ${args.mosaic}`);
console.log('workers | epoch | seconds | img/s | peak RSS MiB');
for (const workers of (values.workers ?? '0').split(',').map(Number)) {
  const loader = buildDataloader(ds, batch, workers, true, -1, 1, quiet);
  let peak = 0;
  for (let epoch = 0; epoch < Number(values.epochs); epoch++) {
    loader.setEpoch(epoch);
    const t0 = performance.now();
    let images = 0;
    for await (const b of loader) {
      images += b.imgShape[0];
      peak = Math.max(peak, process.memoryUsage().rss);
    }
    const s = (performance.now() - t0) / 1000;
    console.log(`${workers} | ${epoch + 1} | ${s.toFixed(2)} | ${(images / s).toFixed(1)} | ${(peak / 2 ** 20).toFixed(0)}`);
  }
  await loader.close();
}
