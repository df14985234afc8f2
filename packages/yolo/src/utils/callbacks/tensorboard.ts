// The TensorBoard logger, as Ultralytics' utils/callbacks/tensorboard.py: callbacks on trainer events that write
// the epoch's train losses, learning rates and fit metrics (every results.csv column) as scalars into an event file
// in the run's save_dir. On when the `tensorboard` setting is (`yolo settings tensorboard=True`). A logger of your
// own is the same shape: functions of the trainer added with `trainer.addCallback(event, fn)`.
import { EventFileWriter } from '../tensorboard/event-file.js';

/** What the logger reads of a trainer (BaseTrainer has all of it). */
export interface TensorBoardTrainer {
  readonly saveDir: string;
  epoch: number;
  tloss: number[] | null;
  lr: Record<string, number>;
  metrics: Record<string, number>;
  labelLossItems(lossItems: readonly number[], prefix?: string): Record<string, number>;
}

const PREFIX = 'TensorBoard: ';
const writers = new WeakMap<TensorBoardTrainer, EventFileWriter>();

function logScalars(trainer: TensorBoardTrainer, scalars: Record<string, number>): void {
  const writer = writers.get(trainer);
  // Step = epochs done, as Ultralytics (epoch + 1).
  for (const [tag, value] of Object.entries(scalars)) writer?.addScalar(tag, value, trainer.epoch + 1);
}

/** The logger's callbacks by event, as Ultralytics' `callbacks` dict. */
export const tensorboardCallbacks = {
  on_pretrain_routine_start(trainer: TensorBoardTrainer): void {
    writers.set(trainer, new EventFileWriter(trainer.saveDir));
    console.log(`${PREFIX}Start with 'tensorboard --logdir ${trainer.saveDir}', view at http://localhost:6006/`);
  },
  on_train_epoch_end(trainer: TensorBoardTrainer): void {
    if (trainer.tloss) logScalars(trainer, trainer.labelLossItems(trainer.tloss, 'train'));
    logScalars(trainer, trainer.lr);
  },
  on_fit_epoch_end(trainer: TensorBoardTrainer): void {
    logScalars(trainer, trainer.metrics);
  },
};
