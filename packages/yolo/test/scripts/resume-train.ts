// A training script for the resume test: `resume-train.ts <mode> <project> <data.yaml>`.
// full: 3 epochs uninterrupted. killed: the same run, SIGKILLed in the middle of epoch 2. resume: resume=<killed last>.
import { join } from 'node:path';
import { DetectionTrainer } from '../../src/models/yolo/detect/train.js';

const [mode = 'full', project = '', data = ''] = process.argv.slice(2);
const base = {
  model: 'yolov8n.yaml',
  data,
  epochs: 3,
  imgsz: 64,
  batch: 2,
  nbs: 4,
  workers: 0,
  plots: false,
  verbose: false,
  seed: 0,
  project,
};
const trainer =
  mode === 'resume'
    ? new DetectionTrainer({ overrides: { resume: join(project, 'killed', 'weights', 'last.safetensors') } })
    : new DetectionTrainer({ overrides: { ...base, name: mode } });
if (mode === 'killed') {
  let batch = 0;
  trainer.addCallback('on_train_batch_start', (t) => {
    if (t.epoch === 1 && ++batch === 2) process.kill(process.pid, 'SIGKILL');
  });
}
await trainer.train();
