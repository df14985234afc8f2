// TensorBoard logging: with `yolo settings tensorboard=True`, a training writes an event file into its save_dir whose
// scalars are every results.csv column (train losses, metrics, val losses, learning rates) per epoch. Read back with a
// minimal TFRecord reader (CRC-checked framing, events decoded by field number), as TensorBoard's loader reads them.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import protobuf from 'protobufjs';
import { DEFAULT_SETTINGS, readSettings, updateSettings } from '../src/cfg/settings.js';
import { ensureShapesDataset } from '../src/data/shapes.js';
import { DetectionTrainer } from '../src/models/yolo/detect/train.js';
import { integrationCallbacks } from '../src/utils/callbacks/base.js';
import { readResultsCsv } from '../src/utils/results-csv.js';
import { crc32c, maskedCrc32c } from '../src/utils/tensorboard/crc32c.js';

/** Each record of a TFRecord file, its two CRCs checked. */
function readRecords(bytes: Buffer): Buffer[] {
  const records: Buffer[] = [];
  for (let at = 0; at < bytes.length; ) {
    const length = Number(bytes.readBigUInt64LE(at));
    assert.equal(bytes.readUInt32LE(at + 8), maskedCrc32c(bytes.subarray(at, at + 8)), 'length CRC');
    const data = bytes.subarray(at + 12, at + 12 + length);
    assert.equal(bytes.readUInt32LE(at + 12 + length), maskedCrc32c(data), 'data CRC');
    records.push(data);
    at += 12 + length + 4;
  }
  return records;
}

/** tensorflow.Event decoded field by field (wall_time 1, step 2, file_version 3, summary 5 → value 1 → tag 1, simple_value 2). */
function decodeEvent(data: Buffer): { step: number; fileVersion?: string; scalars: [string, number][] } {
  const reader = protobuf.Reader.create(data);
  const event: { step: number; fileVersion?: string; scalars: [string, number][] } = { step: 0, scalars: [] };
  while (reader.pos < reader.len) {
    const tag = reader.uint32();
    if (tag >>> 3 === 2) event.step = Number(reader.int64());
    else if (tag >>> 3 === 3) event.fileVersion = reader.string();
    else if (tag >>> 3 === 5) {
      const summary = protobuf.Reader.create(reader.bytes());
      while (summary.pos < summary.len) {
        summary.uint32(); // the tag of Summary.value (field 1, length-delimited)
        const value = protobuf.Reader.create(summary.bytes());
        let name = '';
        let number = Number.NaN;
        while (value.pos < value.len) {
          const t = value.uint32();
          if (t >>> 3 === 1) name = value.string();
          else if (t >>> 3 === 2) number = value.float();
          else value.skipType(t & 7);
        }
        event.scalars.push([name, number]);
      }
    } else reader.skipType(tag & 7);
  }
  return event;
}

describe('TensorBoard', () => {
  const configDir = process.env.YOLOTS_CONFIG_DIR;
  after(() => {
    if (configDir === undefined) delete process.env.YOLOTS_CONFIG_DIR;
    else process.env.YOLOTS_CONFIG_DIR = configDir;
  });

  test('CRC-32C check value', () => {
    assert.equal(crc32c(Buffer.from('123456789')), 0xe3069283);
  });

  test('settings: off by default, set by key=value, bad keys and values refused', () => {
    process.env.YOLOTS_CONFIG_DIR = mkdtempSync(join(tmpdir(), 'yolots-settings-'));
    assert.deepEqual(readSettings(), DEFAULT_SETTINGS);
    assert.deepEqual(integrationCallbacks(readSettings()), []);
    assert.throws(() => updateSettings(['tensorbord=True']), /'tensorbord' is not a yolots setting \(valid: tensorboard, mlflow\)/);
    assert.throws(() => updateSettings(['tensorboard=yes']), /'tensorboard' must be a boolean, got "yes"/);
    assert.equal(updateSettings(['tensorboard=True']).tensorboard, true);
    assert.equal(readSettings().tensorboard, true);
  });

  test('a training with tensorboard=True logs every results.csv column per epoch', async () => {
    process.env.YOLOTS_CONFIG_DIR = mkdtempSync(join(tmpdir(), 'yolots-settings-'));
    updateSettings(['tensorboard=True']);
    const root = mkdtempSync(join(tmpdir(), 'yolots-tb-'));
    const data = await ensureShapesDataset({ dir: join(root, 'shapes'), trainImages: 8, valImages: 4, imgsz: 64 });
    const overrides = {
      model: 'yolov8n.yaml',
      data,
      epochs: 2,
      imgsz: 64,
      batch: 4,
      nbs: 4,
      workers: 0,
      plots: false,
      verbose: false,
      project: root,
    };
    const trainer = new DetectionTrainer({ overrides });
    await trainer.train();

    const files = readdirSync(trainer.saveDir).filter((f) => f.startsWith('events.out.tfevents.'));
    assert.equal(files.length, 1);
    const events = readRecords(readFileSync(join(trainer.saveDir, files[0] as string))).map(decodeEvent);
    assert.equal(events[0]?.fileVersion, 'brain.Event:2');
    const logged = new Map<string, Map<number, number>>();
    for (const { step, scalars } of events.slice(1)) {
      for (const [tag, value] of scalars) {
        if (!logged.has(tag)) logged.set(tag, new Map());
        logged.get(tag)?.set(step, value);
      }
    }
    const csv = readResultsCsv(trainer.csv);
    const columns = Object.keys(csv).filter((k) => k !== 'epoch' && k !== 'time');
    assert.ok(columns.includes('lr/pg0') && columns.includes('metrics/mAP50-95(B)') && columns.includes('train/box_loss'));
    assert.deepEqual([...logged.keys()].sort(), columns.sort());
    for (const column of columns) {
      for (const [i, epoch] of (csv.epoch ?? []).entries()) {
        // results.csv rounds to 5 significant digits; the event holds a float32.
        const value = logged.get(column)?.get(epoch);
        assert.ok(
          value !== undefined && Math.abs(value - (csv[column]?.[i] ?? Number.NaN)) <= 1e-4 * Math.max(1, Math.abs(value)),
          `${column} @${epoch}: logged ${value}, results.csv ${csv[column]?.[i]}`,
        );
      }
    }
  });
});
