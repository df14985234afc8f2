/**
 * The key groups Ultralytics 8.2.103's `check_cfg` type-checks, and the valid tasks and modes of the `yolo` CLI.
 *
 * @example
 * CFG_FRACTION_KEYS.has('lr0'); // true: lr0 must lie in [0, 1]
 */

/** Keys that take an int or a float. */
export const CFG_FLOAT_KEYS: ReadonlySet<string> = new Set([
  'warmup_epochs',
  'box',
  'cls',
  'dfl',
  'degrees',
  'shear',
  'time',
  'workspace',
  'batch',
]);

/** Keys that take an int or a float within [0, 1]. */
export const CFG_FRACTION_KEYS: ReadonlySet<string> = new Set([
  'dropout',
  'lr0',
  'lrf',
  'momentum',
  'weight_decay',
  'warmup_momentum',
  'warmup_bias_lr',
  'label_smoothing',
  'hsv_h',
  'hsv_s',
  'hsv_v',
  'translate',
  'scale',
  'perspective',
  'flipud',
  'fliplr',
  'bgr',
  'mosaic',
  'mixup',
  'copy_paste',
  'conf',
  'iou',
  'fraction',
]);

/** Keys that take an int only. */
export const CFG_INT_KEYS: ReadonlySet<string> = new Set([
  'epochs',
  'patience',
  'workers',
  'seed',
  'close_mosaic',
  'mask_ratio',
  'max_det',
  'vid_stride',
  'line_width',
  'nbs',
  'save_period',
]);

/** Keys that take a bool only. */
export const CFG_BOOL_KEYS: ReadonlySet<string> = new Set([
  'save',
  'exist_ok',
  'verbose',
  'deterministic',
  'single_cls',
  'rect',
  'cos_lr',
  'overlap_mask',
  'val',
  'save_json',
  'save_hybrid',
  'half',
  'dnn',
  'plots',
  'show',
  'save_txt',
  'save_conf',
  'save_crop',
  'save_frames',
  'show_labels',
  'show_conf',
  'visualize',
  'augment',
  'agnostic_nms',
  'retina_masks',
  'show_boxes',
  'keras',
  'optimize',
  'int8',
  'dynamic',
  'simplify',
  'nms',
  'profile',
  'multi_scale',
]);

/** Tasks the `yolo` CLI accepts, in Ultralytics' order. */
export const TASKS = ['detect', 'segment', 'classify', 'pose', 'obb'] as const;
/** A task name. */
export type Task = (typeof TASKS)[number];

/** Modes the `yolo` CLI accepts, in Ultralytics' order. */
export const MODES = ['train', 'val', 'predict', 'export', 'track', 'benchmark'] as const;
/** A mode name. */
export type Mode = (typeof MODES)[number];
/** The modes yolots runs (benchmark, and Ultralytics' tune, are refused with a message saying so). */
export const SUPPORTED_MODES = ['train', 'val', 'predict', 'export', 'track'] as const;
