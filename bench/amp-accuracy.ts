// What bf16 mixed precision costs in accuracy (issue 18 §3): the same training run twice, float32 (amp=False) and
// bf16 autocast (amp=True with YOLOTS_CPU_AMP=bf16, so it runs on any CPU; bf16 is only fast with AMX), each through
// the real `yolo train` in its own process, then the two results.csv side by side: per-epoch train losses and the
// final mAP50 / mAP50-95.
// Run: node --conditions=source --import tsx bench/amp-accuracy.ts [shapes|coco128] [--epochs N] [--seed N]
//   shapes  (default): the main job of scripts/setup.sh (yolov8n.yaml from scratch on the built-in shapes dataset)
//   coco128: ../shared's Ultralytics yolov8n fixture weights fine-tuned on coco128 at 640 for 10 epochs
// bf16 and float32 must land within 0.01 mAP50-95 of each other on the shapes job.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('..', import.meta.url));
const SHARED = join(REPO, '..', 'shared');
const JOBS: Record<string, (epochs: number | undefined) => string[]> = {
  shapes: (epochs) => [
    'model=yolov8n.yaml',
    `epochs=${epochs ?? 22}`,
    'imgsz=160',
    'batch=8',
    'nbs=8',
    'optimizer=AdamW',
    'lr0=0.002',
    'warmup_epochs=1',
    'close_mosaic=3',
  ],
  coco128: (epochs) => [
    `model=${join(SHARED, 'fixtures/ultralytics/model.pt')}`,
    `data=${join(SHARED, 'datasets/coco128.yaml')}`,
    `epochs=${epochs ?? 10}`,
    'imgsz=640',
    'batch=16',
  ],
};

type Row = Record<string, number>;

/** results.csv as rows of numbers keyed by the (trimmed) header. */
function readResults(file: string): Row[] {
  const [header, ...lines] = readFileSync(file, 'utf8').trim().split('\n');
  const keys = (header ?? '').split(',').map((k) => k.trim());
  return lines.map((line) => Object.fromEntries(line.split(',').map((v, i) => [keys[i] ?? `col${i}`, Number(v)])));
}

function train(job: string, args: string[], precision: 'fp32' | 'bf16', project: string): Row[] {
  const env = { ...process.env, YOLOTS_CPU_AMP: precision === 'bf16' ? 'bf16' : 'off' };
  const cli = join(REPO, 'packages/yolo/src/cli.ts');
  const started = performance.now();
  const run = spawnSync(
    process.execPath,
    [
      '--conditions=source',
      '--import',
      'tsx',
      cli,
      'train',
      ...args,
      `amp=${precision === 'bf16' ? 'True' : 'False'}`,
      `project=${project}`,
      `name=${precision}`,
      'plots=False',
      `seed=${seed}`,
    ],
    { cwd: REPO, env, stdio: ['ignore', 'ignore', 'inherit'] },
  );
  const csv = join(project, precision, 'results.csv');
  if (run.status !== 0 || !existsSync(csv)) throw new Error(`${job} ${precision} training failed (exit ${run.status})`);
  console.log(`${job} ${precision}: ${((performance.now() - started) / 60000).toFixed(1)} min`);
  return readResults(csv);
}

const args = process.argv.slice(2);
const epochsAt = args.indexOf('--epochs');
const epochs = epochsAt >= 0 ? Number(args[epochsAt + 1]) : undefined;
const seedAt = args.indexOf('--seed');
const seed = seedAt >= 0 ? Number(args[seedAt + 1]) : 0;
if (!Number.isInteger(seed)) throw new Error('--seed must be an integer');
// The job is the argument that is neither an option nor an option's value (an absent option's index is -1).
const optionValues = new Set([epochsAt, seedAt].filter((at) => at >= 0).map((at) => at + 1));
const job = args.find((a, i) => !a.startsWith('--') && !optionValues.has(i)) ?? 'shapes';
const jobArgs = JOBS[job];
if (!jobArgs) throw new Error(`unknown job '${job}'; choose one of ${Object.keys(JOBS).join(', ')}`);
if (epochs !== undefined && !(Number.isInteger(epochs) && epochs > 0)) throw new Error('--epochs must be a positive integer');

const project = mkdtempSync(join(tmpdir(), `yolots-amp-${job}-`));
console.log(`amp accuracy, job ${job}, seed ${seed}, runs in ${project}; load average ${loadavg()[0]?.toFixed(1)} at the start`);
const fp32 = train(job, jobArgs(epochs), 'fp32', project);
const bf16 = train(job, jobArgs(epochs), 'bf16', project);

const lossKeys = Object.keys(fp32[0] ?? {}).filter((k) => k.startsWith('train/'));
const cell = (v: number | undefined) => (v === undefined ? '' : v.toFixed(4)).padStart(9);
console.log(`\nepoch ${lossKeys.map((k) => `${k.slice(6).padStart(9)} fp32 ${'bf16'.padStart(9)}`).join(' ')}`);
fp32.forEach((row, i) => {
  const other = bf16[i] ?? {};
  console.log(`${String(i + 1).padStart(5)} ${lossKeys.map((k) => `${cell(row[k])}${cell(other[k])}`).join(' ')}`);
});
const last = (rows: Row[], key: string) => rows[rows.length - 1]?.[key] ?? Number.NaN;
for (const key of ['metrics/mAP50(B)', 'metrics/mAP50-95(B)']) {
  const a = last(fp32, key);
  const b = last(bf16, key);
  console.log(`RESULT ${job} last epoch ${key}: fp32 ${a.toFixed(4)}  bf16 ${b.toFixed(4)}  difference ${(b - a).toFixed(4)}`);
}
