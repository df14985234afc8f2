// The built-in shapes dataset at test size, so that engine tests (training, resume, DDP, validation) run on a fresh
// clone without ../shared. Generated once per machine into the temp folder and reused while its options match.
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureShapesDataset } from '../../src/data/shapes.js';

/**
 * The data.yaml of a small shapes dataset: 4 training and 4 validation images of 128 px (one batch of 4 per epoch,
 * as coco8 gives).
 *
 * @example
 * const DATA = await shapesData();
 * new DetectionTrainer({ overrides: { model: 'yolov8n.yaml', data: DATA, epochs: 1, imgsz: 64 } });
 */
export function shapesData(): Promise<string> {
  return ensureShapesDataset({ dir: join(tmpdir(), 'yolots-test-shapes'), trainImages: 4, valImages: 4, imgsz: 128 });
}
