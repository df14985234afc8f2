// MLflow logging over its REST API, against a local stub server that records what it is sent: with the mlflow
// setting on, a training creates its experiment and run, logs its arguments as params and each epoch's losses,
// learning rates and metrics, and finishes the run.
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtempSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { updateSettings } from '../src/cfg/settings.js';
import { ensureShapesDataset } from '../src/data/shapes.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';

interface Received {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

describe('MLflow', () => {
  let server: Server;
  let uri: string;
  const received: Received[] = [];
  const env = { ...process.env };

  before(async () => {
    server = createServer((req, res) => {
      let text = '';
      req.on('data', (chunk: Buffer) => {
        text += chunk.toString();
      });
      req.on('end', () => {
        const path = (req.url ?? '').replace('/api/2.0/mlflow/', '');
        received.push({ method: req.method ?? '', path, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} });
        res.setHeader('content-type', 'application/json');
        if (path.startsWith('experiments/get-by-name')) {
          res.statusCode = 404;
          res.end(JSON.stringify({ error_code: 'RESOURCE_DOES_NOT_EXIST' }));
        } else if (path === 'experiments/create') res.end(JSON.stringify({ experiment_id: '7' }));
        else if (path === 'runs/create') res.end(JSON.stringify({ run: { info: { run_id: 'run-1' } } }));
        else res.end('{}');
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    uri = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => {
    server.close();
    for (const key of ['YOLOTS_CONFIG_DIR', 'MLFLOW_TRACKING_URI', 'MLFLOW_EXPERIMENT_NAME']) {
      if (env[key] === undefined) delete process.env[key];
      else process.env[key] = env[key];
    }
  });

  async function train(project: string): Promise<DetectionTrainer> {
    const data = await ensureShapesDataset({ dir: join(project, 'shapes'), trainImages: 8, valImages: 4, imgsz: 64 });
    const overrides = {
      model: 'yolov8n.yaml',
      data,
      epochs: 1,
      imgsz: 64,
      batch: 4,
      nbs: 4,
      workers: 0,
      plots: false,
      verbose: false,
      project,
    };
    const trainer = new DetectionTrainer({ overrides });
    await trainer.train();
    return trainer;
  }

  test('a training logs its run: experiment, params, per-epoch metrics, FINISHED', async () => {
    process.env.YOLOTS_CONFIG_DIR = mkdtempSync(join(tmpdir(), 'yolots-settings-'));
    updateSettings(['mlflow=True']);
    process.env.MLFLOW_TRACKING_URI = uri;
    process.env.MLFLOW_EXPERIMENT_NAME = 'shapes-test';
    await train(mkdtempSync(join(tmpdir(), 'yolots-mlflow-')));

    const paths = received.map((r) => r.path);
    assert.deepEqual(paths.slice(0, 4), [
      'experiments/get-by-name?experiment_name=shapes-test',
      'experiments/create',
      'runs/create',
      'runs/log-batch',
    ]);
    assert.deepEqual(received[1]?.body, { name: 'shapes-test' });
    assert.equal(received[2]?.body.experiment_id, '7');
    const params = received[3]?.body.params as { key: string; value: string }[];
    assert.ok(params.some((p) => p.key === 'epochs' && p.value === '1'));
    const metrics = received
      .filter((r) => r.path === 'runs/log-batch' && r.body.metrics)
      .flatMap((r) => r.body.metrics as { key: string; step: number; value: number }[]);
    const keys = new Set(metrics.map((m) => m.key));
    for (const key of ['train/box_loss', 'lr/pg0', 'metrics/mAP50-95B', 'val/dfl_loss']) assert.ok(keys.has(key), key);
    assert.ok(metrics.every((m) => m.step === 0 && Number.isFinite(m.value)));
    assert.deepEqual({ ...received.at(-1)?.body, end_time: 0 }, { run_id: 'run-1', status: 'FINISHED', end_time: 0 });
  });

  test('the setting on without a tracking server is a clear error', async () => {
    process.env.YOLOTS_CONFIG_DIR = mkdtempSync(join(tmpdir(), 'yolots-settings-'));
    updateSettings(['mlflow=True']);
    delete process.env.MLFLOW_TRACKING_URI;
    await assert.rejects(
      train(mkdtempSync(join(tmpdir(), 'yolots-mlflow-'))),
      /MLflow: the mlflow setting is on but MLFLOW_TRACKING_URI is unset/,
    );
  });
});
