// A user's TypeScript against the shipped .d.ts files under strict settings (see tsconfig.json).
import { type BatchLoader, DetectionTrainer, type RawBatch, type Results, type TrainLoader, torch, YOLO } from 'yolots';

class LoudTrainer extends DetectionTrainer {
  override async train(): Promise<void> {
    console.log('training');
    await super.train();
  }
}

export async function main(): Promise<number> {
  const model = new YOLO('yolov8n.yaml');
  const results: Results[] = await model.predict('image.jpg');
  const t: torch.Tensor = torch.zeros([2, 3]);
  const first = results[0];
  return (first ? (first.boxes?.length ?? 0) : 0) + t.numel() + (LoudTrainer.name.length > 0 ? 1 : 0);
}

export async function typedOverrides(model: YOLO): Promise<void> {
  await model.train({ epochs: 1, imgsz: 64, plots: false });
  // @ts-expect-error a misspelt key does not compile
  await model.train({ epocs: 1 });
  // @ts-expect-error nor does a wrong type
  await model.val({ imgsz: 'large' });
  // @ts-expect-error tidy refuses an async function
  torch.tidy(async () => torch.ones([1]));
}

export function typedCallbacks(model: YOLO): void {
  model.addCallback('on_train_epoch_end', (trainer) => console.log(trainer.epoch, trainer.tloss));
  model.addCallback('on_predict_batch_end', (predictor) => console.log(predictor.results.length));
  // @ts-expect-error a misspelt event does not compile
  model.addCallback('on_train_epoch_ends', () => {});
}

export async function typedSources(model: YOLO, jpeg: Buffer): Promise<void> {
  await model.predict(['a.jpg', jpeg, { data: new Uint8Array(12), width: 2, height: 2 }, torch.zeros([2, 2, 3], { dtype: 'uint8' })]);
  // @ts-expect-error a number is no source
  await model.predict(42);
}

export function typedTrainer(trainer: DetectionTrainer): void {
  trainer.addCallback('on_train_epoch_end', (t) => console.log(t.epoch, t.tloss));
  trainer.addCallback('on_val_end', (validator) => console.log(validator.context?.epoch));
  // @ts-expect-error a misspelt event does not compile
  trainer.addCallback('on_val_ends', () => {});
  // @ts-expect-error nor does a misspelt argument
  new DetectionTrainer({ overrides: { epoch: 3 } });
}

/** A training loader wrapping the default one must forward its epoch hooks; a validation loader need not. */
export class WrappingTrainer extends DetectionTrainer {
  override async getDataloader(source: string[], batchSize: number, rank: number, mode: 'train' | 'val'): Promise<TrainLoader<RawBatch>> {
    const inner = await super.getDataloader(source, batchSize, rank, mode);
    const iteration: BatchLoader<RawBatch> = { length: inner.length, [Symbol.asyncIterator]: () => inner[Symbol.asyncIterator]() };
    // @ts-expect-error a BatchLoader drops setEpoch, closeMosaic and close
    const dropped: TrainLoader<RawBatch> = iteration;
    void dropped;
    return { ...iteration, setEpoch: (epoch) => inner.setEpoch(epoch), closeMosaic: () => inner.closeMosaic(), close: () => inner.close() };
  }
}
