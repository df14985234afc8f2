// Dispatch of `yolo MODE ...` to the YOLO class, with Ultralytics' per-mode defaults.
import { SUPPORTED_MODES } from './cfg/keys.js';
import { YOLO, YOLO_TASK_MAP } from './models/yolo/model.js';

const WEIGHTS_HINT = 'a yolots .safetensors checkpoint, an Ultralytics .pt, a model .yaml, or an exported .onnx for val and predict';

/** The model `yolo TASK train` builds when no model= is given (Ultralytics' TASK2MODEL, as YAMLs). */
const TASK_DEFAULT_MODEL: Record<string, string> = {
  detect: 'yolov8n.yaml',
  segment: 'yolov8n-seg.yaml',
  classify: 'yolov8n-cls.yaml',
};

/**
 * Runs one mode. `task` is the one named on the command line, or null to take the model's (guessed from its YAML,
 * checkpoint or file name, as Ultralytics does: model=yolov8n-seg.pt is a segmentation model).
 */
export async function runMode(task: string | null, mode: string, overrides: Record<string, unknown>): Promise<void> {
  if (task !== null && !(task in YOLO_TASK_MAP)) {
    throw new Error(`task '${task}' is not supported by yolots yet; supported: ${Object.keys(YOLO_TASK_MAP).join(', ')}`);
  }
  const { model: modelArg, ...rest } = overrides;
  switch (mode) {
    case 'train': {
      const source = typeof modelArg === 'string' ? modelArg : TASK_DEFAULT_MODEL[task ?? 'detect']!;
      const model = new YOLO(source, task ?? undefined);
      await model.train(rest);
      // With plots on, the final validation already printed where the run was saved.
      if (model.trainer && !model.trainer.args.plots) console.log(`Results saved to ${model.trainer.saveDir}`);
      return;
    }
    case 'val': {
      const model = new YOLO(requireModel(modelArg, mode), task ?? undefined);
      await model.val(rest);
      return;
    }
    case 'predict':
    case 'track': {
      const { source, ...predictArgs } = rest;
      if (source === undefined || source === null || source === '') {
        throw new Error(`'yolo ${mode}' needs source=... (an image or video, a folder, a glob, a .txt list or a stream URL)`);
      }
      const model = new YOLO(requireModel(modelArg, mode), task ?? undefined);
      await (mode === 'track' ? model.trackCli(source, predictArgs) : model.predictCli(source, predictArgs));
      return;
    }
    case 'export': {
      const { format, ...exportArgs } = rest;
      // Ultralytics defaults to its own default format; ONNX is the one yolots writes.
      if (format === undefined || format === null) console.warn("WARNING ⚠️ 'format' argument is missing. Using default 'format=onnx'.");
      await new YOLO(requireModel(modelArg, mode), task ?? undefined).export({ ...exportArgs, format: String(format ?? 'onnx') });
      return;
    }
    default:
      throw new Error(`mode '${mode}' is not supported by yolots yet; supported modes: ${SUPPORTED_MODES.join(', ')}`);
  }
}

function requireModel(model: unknown, mode: string): string {
  if (typeof model !== 'string' || model === '') throw new Error(`'yolo ${mode}' needs model=... (${WEIGHTS_HINT})`);
  return model;
}
