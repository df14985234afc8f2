// optim: optimizers and gradient clipping. Learning-rate schedules are plain arithmetic owned by the caller.
export { Optimizer, type ParamGroup, type ParamGroupInput, type ParamState, type OptimizerStateDict } from './optimizer.js';
export { SGD, type SGDOptions } from './sgd.js';
export { Adam, AdamW, type AdamOptions } from './adam.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { clipGradNorm } from './clip.js';
