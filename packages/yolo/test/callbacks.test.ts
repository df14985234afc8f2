import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CALLBACK_EVENTS, type CallbackEvent, Callbacks, defaultCallbacks } from '../src/engine/callbacks.js';

interface Trainer {
  epoch: number;
  log: string[];
}
interface Validator {
  seen: number;
}
type Owners = { trainer: Trainer; validator: Validator; predictor: unknown; exporter: unknown };

describe('callback events', () => {
  test('every event Ultralytics 8.2.103 fires, each once', () => {
    const ultralytics = [
      'on_pretrain_routine_start',
      'on_pretrain_routine_end',
      'on_train_start',
      'on_train_epoch_start',
      'on_train_batch_start',
      'optimizer_step',
      'on_before_zero_grad',
      'on_train_batch_end',
      'on_train_epoch_end',
      'on_fit_epoch_end',
      'on_model_save',
      'on_train_end',
      'on_params_update',
      'teardown',
      'on_val_start',
      'on_val_batch_start',
      'on_val_batch_end',
      'on_val_end',
      'on_predict_start',
      'on_predict_batch_start',
      'on_predict_postprocess_end',
      'on_predict_batch_end',
      'on_predict_end',
      'on_export_start',
      'on_export_end',
      'on_batch_end',
    ];
    assert.deepEqual([...CALLBACK_EVENTS].sort(), [...ultralytics].sort());
    assert.equal(new Set(CALLBACK_EVENTS).size, CALLBACK_EVENTS.length);
  });

  test('defaults: every event starts with an empty list', () => {
    const callbacks = defaultCallbacks();
    for (const event of CALLBACK_EVENTS) assert.deepEqual(callbacks.get(event), []);
  });
});

describe('Callbacks registry', () => {
  test('add appends (never replaces) and run calls in insertion order with the owner', async () => {
    const callbacks = new Callbacks<Owners>();
    const trainer: Trainer = { epoch: 3, log: [] };
    callbacks.add('on_train_epoch_end', (t) => void t.log.push(`first ${t.epoch}`));
    callbacks.add('on_train_epoch_end', (t) => void t.log.push(`second ${t.epoch}`));
    callbacks.add('on_train_start', (t) => void t.log.push('start'));
    await callbacks.run('on_train_epoch_end', trainer);
    assert.deepEqual(trainer.log, ['first 3', 'second 3']);
    assert.equal(callbacks.get('on_train_epoch_end').length, 2);
  });

  test('the same function added twice runs twice', async () => {
    const callbacks = new Callbacks<Owners>();
    const trainer: Trainer = { epoch: 0, log: [] };
    const fn = (t: Trainer) => void t.log.push('x');
    callbacks.add('on_fit_epoch_end', fn).add('on_fit_epoch_end', fn);
    await callbacks.run('on_fit_epoch_end', trainer);
    assert.deepEqual(trainer.log, ['x', 'x']);
  });

  test('set replaces the list; clear(event) empties one event, clear() all', async () => {
    const callbacks = new Callbacks<Owners>();
    const trainer: Trainer = { epoch: 0, log: [] };
    callbacks.add('on_train_end', (t) => void t.log.push('old1'));
    callbacks.add('on_train_end', (t) => void t.log.push('old2'));
    callbacks.set('on_train_end', (t) => void t.log.push('new'));
    await callbacks.run('on_train_end', trainer);
    assert.deepEqual(trainer.log, ['new']);

    callbacks.add('teardown', () => {});
    callbacks.clear('on_train_end');
    assert.equal(callbacks.get('on_train_end').length, 0);
    assert.equal(callbacks.get('teardown').length, 1);
    callbacks.clear();
    assert.equal(callbacks.get('teardown').length, 0);
  });

  test('get returns a copy: changing it does not change the registry', () => {
    const callbacks = new Callbacks<Owners>();
    callbacks.add('on_val_end', () => {});
    callbacks.get('on_val_end').push(() => {});
    assert.equal(callbacks.get('on_val_end').length, 1);
  });

  test('async callbacks are awaited one after another, in order', async () => {
    const callbacks = new Callbacks<Owners>();
    const trainer: Trainer = { epoch: 0, log: [] };
    callbacks.add('on_train_batch_end', async (t) => {
      t.log.push('a start');
      await sleep(20);
      t.log.push('a end');
    });
    callbacks.add('on_train_batch_end', (t) => void t.log.push('b'));
    callbacks.add('on_train_batch_end', async (t) => {
      await sleep(1);
      t.log.push('c');
    });
    await callbacks.run('on_train_batch_end', trainer);
    assert.deepEqual(trainer.log, ['a start', 'a end', 'b', 'c']);
  });

  test('a throwing callback stops the run with an Error naming the event, the callback and keeping cause', async () => {
    const callbacks = new Callbacks<Owners>();
    const validator: Validator = { seen: 0 };
    const boom = new RangeError('bad batch');
    callbacks.add('on_val_batch_end', (v) => void v.seen++);
    callbacks.add('on_val_batch_end', function failing() {
      throw boom;
    });
    callbacks.add('on_val_batch_end', (v) => void v.seen++);
    await assert.rejects(callbacks.run('on_val_batch_end', validator), (error: Error) => {
      assert.match(error.message, /callback 2\/3 'failing' of event 'on_val_batch_end' failed: bad batch/);
      assert.equal(error.cause, boom);
      return true;
    });
    assert.equal(validator.seen, 1, 'callbacks after the failing one do not run');

    callbacks.set('on_val_start', async () => Promise.reject(new Error('async boom')));
    await assert.rejects(callbacks.run('on_val_start', validator), /event 'on_val_start' failed: async boom/);
  });

  test('copy hands the same functions in new lists to a validator', async () => {
    const trainerCallbacks = new Callbacks<Owners>();
    const onValEnd = (v: Validator) => void v.seen++;
    trainerCallbacks.add('on_val_end', onValEnd);
    const validatorCallbacks = trainerCallbacks.copy();
    assert.equal(validatorCallbacks.get('on_val_end')[0], onValEnd);

    const validator: Validator = { seen: 0 };
    await validatorCallbacks.run('on_val_end', validator);
    assert.equal(validator.seen, 1);

    validatorCallbacks.add('on_val_end', onValEnd);
    assert.equal(trainerCallbacks.get('on_val_end').length, 1, 'the original list is untouched');
  });

  test('unknown event names and non-functions are Errors', () => {
    const callbacks = new Callbacks();
    assert.throws(
      () => callbacks.add('on_train_epoch_ends' as CallbackEvent, () => {}),
      /'on_train_epoch_ends' is not a callback event\. Similar events are 'on_train_epoch_end'/,
    );
    assert.throws(() => callbacks.get('nope' as CallbackEvent), /'nope' is not a callback event/);
    assert.throws(
      () => callbacks.add('on_train_start', 'print' as unknown as () => void),
      (e: Error) => e instanceof TypeError && /callback for 'on_train_start' must be a function, got string/.test(e.message),
    );
  });

  test('a run of an event without callbacks resolves', async () => {
    await new Callbacks().run('on_export_start', {});
  });
});
