// A run killed with SIGKILL mid-epoch and resumed ends exactly like an uninterrupted run of the same seed.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as torch from '@yolots/torch';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import { loadCheckpoint, readCheckpointMeta } from '../src/utils/checkpoint.js';
import { shapesData } from './helpers/shapes-data.js';

// The built-in shapes data (4 train + 4 val images): no ../shared needed.
const DATA = await shapesData();
const SCRIPT = fileURLToPath(new URL('./scripts/resume-train.ts', import.meta.url));

function run(mode: string, project: string): { status: number | null; signal: string | null; output: string } {
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', 'tsx', SCRIPT, mode, project, DATA], {
    encoding: 'utf8',
    timeout: 240_000,
  });
  return { status: child.status, signal: child.signal, output: `${child.stdout}\n${child.stderr}` };
}

function rows(file: string): number[][] {
  return readFileSync(file, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((line) => line.split(',').map(Number));
}

describe('resume', () => {
  test('SIGKILL mid-epoch, then resume=last: same results.csv and weights as an uninterrupted run', () => {
    const project = mkdtempSync(join(tmpdir(), 'yolots-resume-'));
    const full = run('full', project);
    assert.equal(full.status, 0, full.output);
    const killed = run('killed', project);
    assert.equal(killed.signal, 'SIGKILL', killed.output);
    const last = join(project, 'killed', 'weights', 'last.safetensors');
    assert.equal(readCheckpointMeta(last).epoch, 0, 'the checkpoint of epoch 1 survived the kill');
    const resumed = run('resume', project);
    assert.equal(resumed.status, 0, resumed.output);

    const expected = rows(join(project, 'full', 'results.csv'));
    const actual = rows(join(project, 'killed', 'results.csv'));
    assert.equal(actual.length, 3);
    expected.forEach((row, i) => {
      row.forEach((v, k) =>
        assert.ok(Math.abs(v - actual[i]![k]!) <= 1e-4 * Math.max(1, Math.abs(v)), `row ${i + 1} column ${k}: ${v} vs ${actual[i]}`),
      );
    });

    const a = loadCheckpoint(join(project, 'full', 'weights', 'last.safetensors'));
    const b = loadCheckpoint(last);
    let worst = 0;
    torch.tidy(() => {
      for (const [name, wa] of a.model) {
        if (!wa.isFloatingPoint()) continue;
        const wb = b.model.get(name) as torch.Tensor;
        worst = Math.max(worst, wa.sub(wb).abs().max().item() / Math.max(wa.abs().max().item(), 1e-6));
      }
    });
    torch.dispose([...a.model.values(), ...b.model.values()]);
    assert.ok(worst < 1e-5, `max relative weight difference ${worst}`);
  });

  test('resuming a finished run is an error that says so', () => {
    const project = mkdtempSync(join(tmpdir(), 'yolots-resume-done-'));
    assert.equal(run('full', project).status, 0);
    const trainer = new DetectionTrainer({ overrides: { resume: join(project, 'full', 'weights', 'last.safetensors') } });
    return assert.rejects(trainer.train(), /finished, nothing to resume/);
  });
});
