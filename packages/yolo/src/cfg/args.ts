/**
 * Every key of Ultralytics 8.2.103's default.yaml, typed, with its default in brackets. `getCfg()` returns one of these,
 * merged and type-checked; it is the single `args` object the trainer, validator, predictor and exporter read.
 * Segment/classify/pose-only keys are kept so args.yaml files and checkpoints written by Ultralytics load unchanged.
 * A type alias (not an interface) so an `Args` is assignable to `Record<string, unknown>`.
 *
 * @example
 * const args: Args = getCfg(undefined, { data: 'coco8.yaml', epochs: 3 });
 * args.lr0; // 0.01
 */
export type Args = {
  /** YOLO task: detect, segment, classify, pose, obb ('detect'). */
  task: string;
  /** YOLO mode: train, val, predict, export, track, benchmark ('train'). */
  mode: string;

  /** Model file, e.g. yolov8n.pt or yolov8n.yaml (null). */
  model: string | null;
  /** Dataset yaml, e.g. coco8.yaml (null). */
  data: string | null;
  /** Number of epochs to train for (100). */
  epochs: number;
  /** Hours to train for; overrides epochs when set (null). */
  time: number | null;
  /** Epochs without fitness improvement before early stopping (100). */
  patience: number;
  /**
   * Images per batch, a positive integer (16). In training, -1 asks AutoBatch for the largest batch that fits 60% of
   * the CUDA memory, and a fraction in (0, 1) for that share; on the CPU AutoBatch gives 16. 0 and other values are refused.
   */
  batch: number;
  /** Image size: an int for train/val, [h, w] allowed for predict/export (640). */
  imgsz: number | number[];
  /** Save train checkpoints and predict results (true). */
  save: boolean;
  /** Save a checkpoint every N epochs; disabled if < 1 (-1). */
  save_period: number;
  /** Cache images: true/'ram', 'disk', or false (false). */
  cache: boolean | 'ram' | 'disk';
  /** Device: 'cpu', 0, '0,1' or [0, 1] (null = auto). */
  device: string | number | number[] | null;
  /** Data loader workers per rank (8). */
  workers: number;
  /** Project directory; results go to project/name (null = runs/<task>). */
  project: string | null;
  /** Experiment name; results go to project/name (null = the mode). */
  name: string | null;
  /** Reuse an existing project/name directory instead of incrementing it (false). */
  exist_ok: boolean;
  /** Start from pretrained weights (bool) or from the weights at this path (true). */
  pretrained: boolean | string;
  /** Optimizer: SGD, Adam, Adamax, AdamW, NAdam, RAdam, RMSProp or auto ('auto'). */
  optimizer: string;
  /** Print verbose output (true). */
  verbose: boolean;
  /** Random seed (0). */
  seed: number;
  /** Deterministic algorithms (true). */
  deterministic: boolean;
  /** Train multi-class data as one class (false). */
  single_cls: boolean;
  /** Rectangular batches in train, rectangular validation in val (false). */
  rect: boolean;
  /** Cosine learning-rate schedule instead of linear (false). */
  cos_lr: boolean;
  /** Turn mosaic off for the final N epochs; 0 keeps it (10). */
  close_mosaic: number;
  /** Resume from the last checkpoint, or from this checkpoint path (false). */
  resume: boolean | string;
  /** Automatic mixed precision; true runs the AMP check (true). */
  amp: boolean;
  /** Fraction of the train set to use (1.0). */
  fraction: number;
  /** Profile ONNX and TensorRT speeds during training for loggers (false). */
  profile: boolean;
  /** Freeze the first N layers, or the listed layer indices (null). */
  freeze: number | number[] | null;
  /** Multi-scale training (false). */
  multi_scale: boolean;
  /** Merge instance masks into one image mask (segment only) (true). */
  overlap_mask: boolean;
  /** Mask downsample ratio (segment only) (4). */
  mask_ratio: number;
  /** Dropout of the classification head (classify only) (0.0). */
  dropout: number;

  /** Validate during training (true). */
  val: boolean;
  /** Dataset split to validate on: val, test or train ('val'). */
  split: string;
  /** Write COCO-format predictions.json (false). */
  save_json: boolean;
  /** Save hybrid labels (labels + additional predictions) (false). */
  save_hybrid: boolean;
  /** Confidence threshold; null means 0.25 for predict, 0.001 for val (null). */
  conf: number | null;
  /** NMS IoU threshold (0.7). */
  iou: number;
  /** Maximum detections per image (300). */
  max_det: number;
  /** Half precision (FP16) inference (false). */
  half: boolean;
  /** Use OpenCV DNN for ONNX inference (false). */
  dnn: boolean;
  /** Save plots and images during train/val (true). */
  plots: boolean;

  /** Image/video source for predict (null). */
  source: string | number | null;
  /** Video frame-rate stride (1). */
  vid_stride: number;
  /** Buffer all stream frames (true) or keep the latest only (false) (false). */
  stream_buffer: boolean;
  /** Visualize model features (false). */
  visualize: boolean;
  /** Test-time augmentation (false). */
  augment: boolean;
  /** Class-agnostic NMS (false). */
  agnostic_nms: boolean;
  /** Keep only these class ids, e.g. 0 or [0, 2, 3] (null = all). */
  classes: number | number[] | null;
  /** High-resolution segmentation masks (false). */
  retina_masks: boolean;
  /** Return feature embeddings from these layer indices (null). */
  embed: number[] | null;

  /** Show results in a window if the environment allows (false). */
  show: boolean;
  /** Save individual video frames (false). */
  save_frames: boolean;
  /** Save results as .txt label files (false). */
  save_txt: boolean;
  /** Include confidences in saved .txt results (false). */
  save_conf: boolean;
  /** Save cropped detections (false). */
  save_crop: boolean;
  /** Draw class labels (true). */
  show_labels: boolean;
  /** Draw confidences (true). */
  show_conf: boolean;
  /** Draw boxes (true). */
  show_boxes: boolean;
  /** Box line width; null scales with the image size (null). */
  line_width: number | null;

  /** Export format, e.g. torchscript, onnx ('torchscript'). */
  format: string;
  /** Use Keras for TF SavedModel export (false). */
  keras: boolean;
  /** TorchScript: optimize for mobile (false). */
  optimize: boolean;
  /** INT8 quantization for CoreML/TF (false). */
  int8: boolean;
  /** Dynamic axes for ONNX/TF/TensorRT (false). */
  dynamic: boolean;
  /** Simplify the ONNX graph (true). */
  simplify: boolean;
  /** ONNX opset version (null = the highest supported). */
  opset: number | null;
  /** TensorRT workspace size in GiB (4). */
  workspace: number;
  /** Add NMS to a CoreML export (false). */
  nms: boolean;

  /** Initial learning rate (0.01). */
  lr0: number;
  /** Final learning rate as a fraction of lr0 (0.01). */
  lrf: number;
  /** SGD momentum / Adam beta1 (0.937). */
  momentum: number;
  /** Optimizer weight decay (0.0005). */
  weight_decay: number;
  /** Warmup epochs, fractions allowed (3.0). */
  warmup_epochs: number;
  /** Momentum at the start of warmup (0.8). */
  warmup_momentum: number;
  /** Bias learning rate at the start of warmup (0.1). */
  warmup_bias_lr: number;
  /** Box loss gain (7.5). */
  box: number;
  /** Classification loss gain (0.5). */
  cls: number;
  /** Distribution focal loss gain (1.5). */
  dfl: number;
  /** Pose loss gain (pose only) (12.0). */
  pose: number;
  /** Keypoint objectness loss gain (pose only) (1.0). */
  kobj: number;
  /** Label smoothing fraction; unused by the detection loss (0.0). */
  label_smoothing: number;
  /** Nominal batch size for gradient accumulation and weight-decay scaling (64). */
  nbs: number;
  /** HSV hue augmentation fraction (0.015). */
  hsv_h: number;
  /** HSV saturation augmentation fraction (0.7). */
  hsv_s: number;
  /** HSV value augmentation fraction (0.4). */
  hsv_v: number;
  /** Rotation range, ± degrees (0.0). */
  degrees: number;
  /** Translation, ± fraction (0.1). */
  translate: number;
  /** Scale gain, ± (0.5). */
  scale: number;
  /** Shear, ± degrees (0.0). */
  shear: number;
  /** Perspective, ± fraction, 0-0.001 (0.0). */
  perspective: number;
  /** Up-down flip probability (0.0). */
  flipud: number;
  /** Left-right flip probability (0.5). */
  fliplr: number;
  /** RGB→BGR channel swap probability (0.0). */
  bgr: number;
  /** Mosaic probability (1.0). */
  mosaic: number;
  /** MixUp probability (0.0). */
  mixup: number;
  /** Segment copy-paste probability (0.0). */
  copy_paste: number;
  /** Classification auto-augment policy: randaugment, autoaugment, augmix ('randaugment'). */
  auto_augment: string;
  /** Classification random-erasing probability (0.4). */
  erasing: number;
  /** Classification crop fraction; 1.0 means no crop (1.0). */
  crop_fraction: number;

  /** A config yaml whose keys replace the defaults (null). */
  cfg: string | null;
  /** Tracker config: botsort.yaml or bytetrack.yaml ('botsort.yaml'). */
  tracker: string;

  /** Run directory, set by the trainer before args.yaml is written (absent in default.yaml). */
  save_dir?: string;
};

/** A key of default.yaml. */
export type ArgKey = Exclude<keyof Args, 'save_dir'>;
