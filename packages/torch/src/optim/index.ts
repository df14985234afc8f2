// optim: optimizers and gradient clipping. Learning-rate schedules are plain arithmetic owned by the caller.

export { Adam, type AdamOptions, AdamW } from './adam.js';
export { clipGradNorm, clipGradNorm_ } from './clip.js';
export { MuSGD, type MuSGDOptions, type MuSGDScales, newtonSchulz5 } from './musgd.js';
export { Optimizer, type OptimizerStateDict, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';
export { RMSprop, type RMSpropOptions } from './rmsprop.js';
export { SGD, type SGDOptions } from './sgd.js';
