// The integrations a trainer registers at construction, as Ultralytics' add_integration_callbacks: the loggers the
// user's settings turn on, each a set of callbacks by trainer event.
import type { Settings } from '../../cfg/settings.js';
import { type MlflowTrainer, mlflowCallbacks } from './mlflow.js';
import { type TensorBoardTrainer, tensorboardCallbacks } from './tensorboard.js';

/** What the integrations read of a trainer (BaseTrainer has all of it). */
export type IntegrationTrainer = TensorBoardTrainer & MlflowTrainer;
type IntegrationCallback = (trainer: IntegrationTrainer) => void | Promise<void>;
type IntegrationEvent = keyof typeof tensorboardCallbacks | keyof typeof mlflowCallbacks;

/** Each enabled integration's callbacks as [event, callback] pairs, in registration order. */
export function integrationCallbacks(settings: Settings): [IntegrationEvent, IntegrationCallback][] {
  const enabled = [settings.tensorboard ? tensorboardCallbacks : {}, settings.mlflow ? mlflowCallbacks : {}];
  return enabled.flatMap((callbacks) => Object.entries(callbacks) as [IntegrationEvent, IntegrationCallback][]);
}
