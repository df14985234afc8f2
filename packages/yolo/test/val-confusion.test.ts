// The validator's confusion matrix counts detections on label-less (background) images as false positives: a
// deliberate difference from Ultralytics 8.2.103, whose update_metrics skips those images (docs/migration.md).
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as torch from '@yolots/torch';
import type { Batch } from '../src/data/batch.js';
import { DetectionValidator } from '../src/models/yolo/detect/val.js';
import type { DetectionModel } from '../src/nn/tasks.js';

/** Three 64x64 images: 0 has one class-0 label, 1 and 2 have none. */
function batchOfThree(): Batch {
  return {
    img: torch.zeros([3, 3, 64, 64]),
    batchIdx: torch.tensor([0]),
    cls: torch.tensor([[0]]),
    bboxes: torch.tensor([[0.5, 0.5, 0.5, 0.5]]),
    imFile: ['a.jpg', 'b.jpg', 'c.jpg'],
    oriShape: [
      [64, 64],
      [64, 64],
      [64, 64],
    ],
    resizedShape: [
      [64, 64],
      [64, 64],
      [64, 64],
    ],
  };
}

function validatorFor(plots: boolean): DetectionValidator {
  const validator = new DetectionValidator({ args: { plots } });
  validator.initMetrics({ names: { 0: 'cat', 1: 'dog' } } as unknown as DetectionModel);
  validator.plotting = plots;
  return validator;
}

describe('DetectionValidator confusion matrix', () => {
  test('a confident detection on a background image is a background false positive', () => {
    const validator = validatorFor(true);
    torch.tidy(() => {
      const preds = [
        torch.tensor([[16, 16, 48, 48, 0.9, 0]]), // matches image 0's label
        torch.tensor([
          [8, 8, 30, 30, 0.8, 1], // on a label-less image: a false positive
          [30, 30, 60, 60, 0.1, 0], // below the matrix's conf 0.25: not counted
        ]),
        torch.zeros([0, 6]), // label-less and nothing detected: nothing to count
      ];
      validator.updateMetrics(preds, batchOfThree());
    });
    const cm = validator.confusionMatrix;
    assert.ok(cm);
    assert.deepEqual(cm.toArray(), [
      [1, 0, 0],
      [0, 0, 1], // Ultralytics 8.2.103 leaves this 0: it feeds the matrix only images with labels
      [0, 0, 0],
    ]);
  });

  test('with plots off the matrix is not fed', () => {
    const validator = validatorFor(false);
    torch.tidy(() =>
      validator.updateMetrics([torch.tensor([[16, 16, 48, 48, 0.9, 0]]), torch.zeros([0, 6]), torch.zeros([0, 6])], batchOfThree()),
    );
    assert.ok(validator.confusionMatrix?.toArray().every((row) => row.every((v) => v === 0)));
  });
});
