// Dispatch of `yolo MODE ...` to the YOLO class, with Ultralytics' per-mode defaults.
import { YOLO } from './models/yolo/model.js';

const WEIGHTS_HINT = 'a yolots .safetensors checkpoint, an Ultralytics .pt, a model .yaml, or an exported .onnx for val and predict';

export async function runMode(task: string, mode: string, overrides: Record<string, unknown>): Promise<void> {
  if (task !== 'detect') throw new Error(`task '${task}' is not supported by yolots yet; supported: detect`);
  const { model: modelArg, ...rest } = overrides;
  switch (mode) {
    case 'train': {
      const model = new YOLO(typeof modelArg === 'string' ? modelArg : 'yolov8n.yaml');
      await model.train(rest);
      // With plots on, the final validation already printed where the run was saved.
      if (model.trainer && !model.trainer.args.plots) console.log(`Results saved to ${model.trainer.saveDir}`);
      return;
    }
    case 'val': {
      const model = new YOLO(requireModel(modelArg, mode));
      await model.val(rest);
      return;
    }
    case 'predict':
    case 'track': {
      const { source, ...predictArgs } = rest;
      if (source === undefined || source === null || source === '') {
        throw new Error(`'yolo ${mode}' needs source=... (an image or video, a folder, a glob, a .txt list or a stream URL)`);
      }
      const model = new YOLO(requireModel(modelArg, mode));
      await (mode === 'track' ? model.trackCli(source, predictArgs) : model.predictCli(source, predictArgs));
      return;
    }
    case 'export': {
      const { format, ...exportArgs } = rest;
      // Ultralytics defaults to its own default format; ONNX is the one yolots writes.
      if (format === undefined || format === null) console.warn("WARNING ⚠️ 'format' argument is missing. Using default 'format=onnx'.");
      await new YOLO(requireModel(modelArg, mode)).export({ ...exportArgs, format: format ?? 'onnx' });
      return;
    }
    default:
      throw new Error(`mode '${mode}' is not supported by yolots yet; supported modes: train, val, predict, track, export`);
  }
}

function requireModel(model: unknown, mode: string): string {
  if (typeof model !== 'string' || model === '') throw new Error(`'yolo ${mode}' needs model=... (${WEIGHTS_HINT})`);
  return model;
}
