// `yolo`: Ultralytics' command line over the engine's executors.
// yolo [TASK] MODE key=value ...   |   yolo help | checks | version | cfg | copy-cfg
import { copyFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as torch from '@yolots/torch';
import sharp from 'sharp';
import { parseCliArgs } from './cfg/cli-args.js';
import { DEFAULT_CFG_PATH } from './cfg/config.js';
import { readSettings, resetSettings, settingsFile, updateSettings } from './cfg/settings.js';
import { runMode } from './cli-modes.js';
import { VERSION } from './version.js';

const HELP = `
    Arguments received: ${['yolo', ...process.argv.slice(2)].join(' ')}. yolo commands use the following syntax:

        yolo TASK MODE ARGS

        Where   TASK (optional) is one of [detect, segment, classify]
                MODE (required) is one of [train, val, predict, track, export]
                ARGS (optional) are any number of custom 'arg=value' pairs like 'imgsz=320' that override defaults.
                    See all ARGS with 'yolo cfg'

    1. Train a detection model on the built-in shapes dataset (no data=) or your own data.yaml
        yolo train model=yolov8n.yaml epochs=10 imgsz=256
        yolo train data=coco8.yaml model=yolov8n.yaml epochs=3 lr0=0.01
        yolo train resume model=runs/detect/train/weights/last.safetensors   (continue an interrupted run)

    2. Validate a trained model
        yolo val model=runs/detect/train/weights/best.safetensors data=coco8.yaml imgsz=640

    3. Predict on images, videos, folders, globs, .txt lists or stream URLs
        yolo predict model=runs/detect/train/weights/best.safetensors source=images/ imgsz=320
        yolo predict model=runs/detect/train/weights/best.safetensors source=clip.mp4 vid_stride=2

    4. Track objects through a video (ByteTrack or BoT-SORT)
        yolo track model=runs/detect/train/weights/best.safetensors source=clip.mp4 tracker=bytetrack.yaml

    5. Export to ONNX
        yolo export model=runs/detect/train/weights/best.safetensors format=onnx imgsz=320

    6. Instance segmentation: the same modes with a -seg model (or TASK=segment); no data= trains on the built-in
       shapes with polygon labels
        yolo segment train model=yolov8n-seg.yaml epochs=10 imgsz=256
        yolo predict model=runs/segment/train/weights/best.safetensors source=images/

    7. Image classification: the same modes with a -cls model (or TASK=classify) and a folder dataset
       (train/<class>/*.jpg, val/<class>/*.jpg); no data= trains on built-in single-shape crops
        yolo classify train model=yolov8n-cls.yaml epochs=10 imgsz=64
        yolo predict model=runs/classify/train/weights/best.safetensors source=images/

    8. Special commands:
        yolo help
        yolo checks
        yolo version
        yolo cfg
        yolo settings tensorboard=True    (TensorBoard event files in each run; also mlflow=True; 'yolo settings reset')

    Ultralytics .pt checkpoints load too (model=yolov8n.pt). Errors print without a stack trace; set
    YOLOTS_DEBUG=1 to see it.
`;

/**
 * libtorch's version as built: Debian's 1.13.1 package keeps the 1.13.0 of its version.h (TORCH_VERSION), so the
 * source version recorded in the build flags (`…/pytorch-1.13.1+dfsg=.`) is shown when it differs.
 */
function libtorchVersion(headerVersion: string, config: string): string {
  const source = /\/pytorch-(\d+\.\d+\.\d+)/.exec(config)?.[1];
  return source && source !== headerVersion ? `${source} (its version.h says ${headerVersion})` : headerVersion;
}

/** Everything a bug report needs: versions, threads, devices, libraries. */
async function checks(): Promise<void> {
  const info = torch.buildInfo();
  const rows: [string, string][] = [
    ['yolots', VERSION],
    ['Node.js', process.version],
    ['libtorch', libtorchVersion(info.version, info.config)],
    ['threads', `${torch.getNumThreads()} (OMP_NUM_THREADS=${process.env.OMP_NUM_THREADS ?? 'unset'})`],
    ['CUDA', torch.cuda.isBuilt() ? `${torch.cuda.deviceCount()} device(s)` : 'not in this build (CPU-only libtorch, see docs/devices.md)'],
    ['oneDNN (MKLDNN)', String(info.mkldnn)],
    ['OpenMP', String(info.openmp)],
    ['sharp / libvips', `${sharp.versions.sharp} / ${sharp.versions.vips}`],
  ];
  for (const [k, v] of rows) console.log(`${k.padEnd(18)}${v}`);
  console.log(`\n${info.config.trim()}`);
}

export async function main(argv: string[]): Promise<number> {
  const command = parseCliArgs(argv);
  if (command.kind === 'special') {
    switch (command.command) {
      case 'help':
        console.log(HELP);
        return 0;
      case 'version':
        console.log(VERSION);
        return 0;
      case 'checks':
        await checks();
        return 0;
      case 'cfg':
        console.log(readFileSync(DEFAULT_CFG_PATH, 'utf8'));
        return 0;
      case 'copy-cfg': {
        const target = join(process.cwd(), 'default_copy.yaml');
        copyFileSync(DEFAULT_CFG_PATH, target);
        console.log(
          `${DEFAULT_CFG_PATH} copied to ${target}\nExample YOLO command with this new custom cfg:\n    yolo cfg='${target}' imgsz=320 batch=8`,
        );
        return 0;
      }
      case 'settings': {
        // As Ultralytics: `yolo settings` shows them, `yolo settings key=value` sets, `yolo settings reset` resets.
        const words = command.args;
        const settings = words.length === 0 ? readSettings() : words[0] === 'reset' ? resetSettings() : updateSettings(words);
        console.log(`${JSON.stringify(settings, null, 2)}\nSettings file: ${settingsFile()} (YOLOTS_CONFIG_DIR moves it)`);
        return 0;
      }
    }
  }
  for (const warning of command.warnings) console.warn(warning);
  await runMode(command.task, command.mode, command.overrides);
  return 0;
}

/** Runs the CLI: errors print as one line and exit 1 (the stack only with YOLOTS_DEBUG=1). */
export async function run(argv = process.argv.slice(2)): Promise<void> {
  try {
    process.exitCode = await main(argv);
  } catch (error) {
    const err = error as Error;
    if (process.env.YOLOTS_DEBUG) console.error(err);
    else console.error(`${err.name === 'Error' ? 'Error' : err.name}: ${err.message}`);
    process.exitCode = 1;
  }
}

if (process.argv[1] && /cli\.(ts|js)$/.test(process.argv[1])) await run();
