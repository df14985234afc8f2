import { availableParallelism } from 'node:os';
import { consoleLogger, type DataArgs, type DataLogger } from './args.js';
import { YOLODataset } from './dataset.js';
import { DataLoader } from './loader.js';

/**
 * The trainer's default buildDataset(): Ultralytics' build_yolo_dataset. Train mode augments and uses
 * `fraction`; val mode letterboxes with rect padding 0.5.
 *
 * @example
 * const ds = await buildYoloDataset(args, data.val, 16, data, 'val', true, 32);
 */
export function buildYoloDataset(
  args: DataArgs,
  imgPath: string | string[],
  batch: number,
  data: { nc: number },
  mode: 'train' | 'val' = 'train',
  rect = false,
  stride = 32,
  log: DataLogger = consoleLogger,
): Promise<YOLODataset> {
  return YOLODataset.create({
    imgPath,
    hyp: { ...args, fraction: mode === 'train' ? args.fraction : 1 },
    nc: data.nc,
    batchSize: batch,
    augment: mode === 'train',
    rect: args.rect || rect,
    stride,
    pad: mode === 'train' ? 0 : 0.5,
    prefix: `${mode}: `,
    log,
    task: args.task === 'segment' ? 'segment' : 'detect',
  });
}

/**
 * The trainer's default getDataloader(): Ultralytics' build_dataloader. batch ≤ dataset size, workers ≤ cpu
 * count, no shuffle under rect batching (with a warning); with rank ≥ 0, this rank's shard of `worldSize` (the
 * trainer passes its own, as the launcher set it).
 *
 * @example
 * const loader = buildDataloader(ds, 16, args.workers, true, -1);
 */
export function buildDataloader(
  dataset: YOLODataset,
  batch: number,
  workers: number,
  shuffle = true,
  rank = -1,
  worldSize = 1,
  log: DataLogger = consoleLogger,
): DataLoader {
  let doShuffle = shuffle;
  if (dataset.batchShapes && shuffle) {
    log.warn("WARNING ⚠️ 'rect=True' is incompatible with DataLoader shuffle, setting shuffle=False");
    doShuffle = false;
  }
  return new DataLoader(dataset, {
    batchSize: Math.min(batch, dataset.length),
    workers: Math.min(availableParallelism(), workers),
    shuffle: doShuffle,
    seed: dataset.hyp.seed,
    rank: Math.max(rank, 0),
    worldSize: rank < 0 ? 1 : worldSize,
  });
}
