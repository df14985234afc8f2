// The model side of yolots: model YAMLs, parseModel, the module registry, the modules and the models.

export { ClassificationModel } from './classification-model.js';
export { fuseConvAndBn, fuseDeconvAndBn } from './fuse.js';
export { guessModelTask, taskOfYaml } from './guess-task.js';
export { getFlops, type ModelInfo, modelInfo, uniqueModules } from './info.js';
export { GELU, Hardswish, LeakyReLU, parseActivation, ReLU, ReLU6, Sigmoid, SiLU, Tanh } from './modules/activation.js';
export { Bottleneck, C1, C2, C2f, C3, C3x, DFL, SPP, SPPF } from './modules/block.js';
export { Attention, C2PSA, C3k, C3k2, PSABlock } from './modules/block-yolo11.js';
export { CLASSIFY_HIDDEN, Classify } from './modules/classify.js';
export { type ActSpec, autopad, Concat, Conv, ConvTranspose, DWConv, Focus, type Pair } from './modules/conv.js';
export { Detect, type DetectionOutput, type DetectionPrediction, type HeadOptions } from './modules/head.js';
export { ConvTranspose2d, Upsample } from './modules/layers.js';
export {
  Proto,
  Segment,
  type SegmentExportOutput,
  type SegmentOutput,
  type SegmentPrediction,
  type SegmentTrainOutput,
} from './modules/segment.js';
export { type LayerMeta, type LayerSpec, type ModelLayer, type ModelYaml, makeDivisible, parseModel } from './parse-model.js';
export {
  type ChannelContext,
  type ChannelResult,
  type ChannelRule,
  convChannels,
  type ModuleClass,
  type ModuleEntry,
  type ModuleTraits,
  registeredModuleNames,
  registerModule,
  resolveModule,
} from './registry.js';
export { SegmentationModel } from './segmentation-model.js';
export { BaseModel, type Criterion, DetectionModel, type DetectionModelOptions, initializeWeights } from './tasks.js';
export { BUILTIN_MODELS_DIR, builtinModelNames, guessModelScale, yamlModelLoad } from './yaml-model.js';
