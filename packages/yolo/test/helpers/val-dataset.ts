// Test helper: a folder of images as Ultralytics' validation dataset sees it.
import { dataArgs } from '../../src/data/args.js';
import { YOLODataset } from '../../src/data/dataset.js';

/** The images in `imgPath` as a validation YOLODataset (no augmentation, square letterbox to imgsz), silent. */
export function valDataset(imgPath: string, imgsz: number): Promise<YOLODataset> {
  return YOLODataset.create({
    imgPath,
    hyp: dataArgs({ imgsz }),
    nc: 80,
    batchSize: 4,
    augment: false,
    log: { info: () => undefined, warn: () => undefined },
  });
}
