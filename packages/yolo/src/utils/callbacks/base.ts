// The integrations a trainer registers at construction, as Ultralytics' add_integration_callbacks: the loggers the
// user's settings turn on, each a set of callbacks by trainer event.
import type { Settings } from '../../cfg/settings.js';
import { type TensorBoardTrainer, tensorboardCallbacks } from './tensorboard.js';

/** Each enabled integration's callbacks as [event, callback] pairs, in registration order. */
export function integrationCallbacks(settings: Settings): [keyof typeof tensorboardCallbacks, (trainer: TensorBoardTrainer) => void][] {
  return settings.tensorboard
    ? (Object.entries(tensorboardCallbacks) as [keyof typeof tensorboardCallbacks, (trainer: TensorBoardTrainer) => void][])
    : [];
}
