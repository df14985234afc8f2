// The training bar's whole-run time: elapsed and remaining from the share of epochs done.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { runEta } from '../src/engine/progress.js';

describe('runEta', () => {
  test('extrapolates the remaining time from the epochs done, batches counting', () => {
    assert.equal(runEta(70, 2.5, 15), 'run 01:10<05:50');
    assert.equal(runEta(30, 1, 4), 'run 00:30<01:30');
    assert.equal(runEta(125, 10, 10), 'run 02:05<00:00');
  });

  test('times from an hour on read h:mm:ss, as tqdm writes them', () => {
    assert.equal(runEta(3600, 1, 3), 'run 1:00:00<2:00:00');
    assert.equal(runEta(3599.4, 1, 2), 'run 59:59<59:59');
    assert.equal(runEta(600, 1, 100), 'run 10:00<16:30:00');
  });

  test('nothing for a one-epoch run or before the first batch', () => {
    assert.equal(runEta(5, 0.5, 1), '');
    assert.equal(runEta(0, 0, 10), '');
  });
});
