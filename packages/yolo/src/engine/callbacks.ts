import { closeMatches } from '../cfg/close-matches.js';

/** Trainer events, in Ultralytics 8.2.103's default_callbacks order; `on_batch_end` is fired but not listed there. */
export const TRAINER_EVENTS = [
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
  'on_batch_end',
] as const;

/** Validator events. */
export const VALIDATOR_EVENTS = ['on_val_start', 'on_val_batch_start', 'on_val_batch_end', 'on_val_end'] as const;

/** Predictor events. */
export const PREDICTOR_EVENTS = [
  'on_predict_start',
  'on_predict_batch_start',
  'on_predict_postprocess_end',
  'on_predict_batch_end',
  'on_predict_end',
] as const;

/** Exporter events. */
export const EXPORTER_EVENTS = ['on_export_start', 'on_export_end'] as const;

export type TrainerEvent = (typeof TRAINER_EVENTS)[number];
export type ValidatorEvent = (typeof VALIDATOR_EVENTS)[number];
export type PredictorEvent = (typeof PREDICTOR_EVENTS)[number];
export type ExporterEvent = (typeof EXPORTER_EVENTS)[number];
/** Every event name Ultralytics fires. */
export type CallbackEvent = TrainerEvent | ValidatorEvent | PredictorEvent | ExporterEvent;

/** All event names: trainer, validator, predictor, exporter. */
export const CALLBACK_EVENTS: readonly CallbackEvent[] = [...TRAINER_EVENTS, ...VALIDATOR_EVENTS, ...PREDICTOR_EVENTS, ...EXPORTER_EVENTS];

/**
 * The object each kind of event hands its callbacks. One registry serves a trainer and the validator it makes,
 * so the owner type is chosen per event family.
 */
export interface CallbackOwners {
  trainer: unknown;
  validator: unknown;
  predictor: unknown;
  exporter: unknown;
}

/** The owner a callback of event `E` receives. */
export type OwnerOf<E extends CallbackEvent, O extends CallbackOwners> = E extends TrainerEvent
  ? O['trainer']
  : E extends ValidatorEvent
    ? O['validator']
    : E extends PredictorEvent
      ? O['predictor']
      : O['exporter'];

/** A callback: receives exactly one argument, the owning object; may be async. */
export type Callback<T> = (owner: T) => void | Promise<void>;

/**
 * Callback lists per event, as Ultralytics' callbacks dict: `add` appends, `set` replaces, `clear` empties,
 * `run` calls each callback in insertion order and awaits it before the next. Event names are checked at
 * run time too, so a misspelt name (which Ultralytics silently never fires) is an Error naming the closest ones.
 *
 * @example
 * const callbacks = defaultCallbacks<{ trainer: DetectionTrainer; validator: DetectionValidator; predictor: unknown; exporter: unknown }>();
 * callbacks.add('on_train_epoch_end', (trainer) => console.log(trainer.epoch));
 * await callbacks.run('on_train_epoch_end', trainer);
 */
export class Callbacks<O extends CallbackOwners = CallbackOwners> {
  private readonly lists = new Map<CallbackEvent, Callback<never>[]>();

  /** Appends `fn` to the callbacks of `event`; earlier ones stay and run first. */
  add<E extends CallbackEvent>(event: E, fn: Callback<OwnerOf<E, O>>): this {
    this.listOf(event).push(checkFunction(event, fn) as Callback<never>);
    return this;
  }

  /** Replaces all callbacks of `event` with `fn` alone. */
  set<E extends CallbackEvent>(event: E, fn: Callback<OwnerOf<E, O>>): this {
    this.lists.set(checkEvent(event), [checkFunction(event, fn) as Callback<never>]);
    return this;
  }

  /** Empties the callbacks of `event`, or of every event when none is named. */
  clear(event?: CallbackEvent): this {
    if (event === undefined) this.lists.clear();
    else this.lists.delete(checkEvent(event));
    return this;
  }

  /** The callbacks of `event`, in the order they run (a copy). */
  get<E extends CallbackEvent>(event: E): Callback<OwnerOf<E, O>>[] {
    return [...(this.lists.get(checkEvent(event)) ?? [])] as Callback<OwnerOf<E, O>>[];
  }

  /**
   * Calls each callback of `event` with `owner`, in order, awaiting each. The list is read once at the start.
   * A throwing callback stops the run with an Error naming the event and the callback, `cause` set to the original.
   */
  async run<E extends CallbackEvent>(event: E, owner: OwnerOf<E, O>): Promise<void> {
    const callbacks = this.get(event);
    for (const [i, callback] of callbacks.entries()) {
      try {
        await callback(owner);
      } catch (cause) {
        const name = callback.name || 'anonymous';
        const message = cause instanceof Error ? cause.message : String(cause);
        throw new Error(`callback ${i + 1}/${callbacks.length} '${name}' of event '${event}' failed: ${message}`, {
          cause,
        });
      }
    }
  }

  /**
   * A new registry with new lists holding the same function objects, for a trainer to hand to the validator it
   * creates (Ultralytics passes `copy(callbacks)`); adding to one afterwards leaves the other as it was.
   */
  copy(): Callbacks<O> {
    const copied = new Callbacks<O>();
    for (const [event, list] of this.lists) copied.lists.set(event, [...list]);
    return copied;
  }

  private listOf(event: CallbackEvent): Callback<never>[] {
    let list = this.lists.get(checkEvent(event));
    if (!list) {
      list = [];
      this.lists.set(event, list);
    }
    return list;
  }
}

/**
 * A fresh registry holding the default callbacks. Ultralytics' defaults are one no-op per event and integrations
 * (HUB, loggers) that yolots does not ship, so every list starts empty.
 *
 * @example
 * const callbacks = defaultCallbacks();
 * callbacks.get('on_train_start'); // []
 */
export function defaultCallbacks<O extends CallbackOwners = CallbackOwners>(): Callbacks<O> {
  return new Callbacks<O>();
}

function checkEvent<E extends CallbackEvent>(event: E): E {
  if ((CALLBACK_EVENTS as readonly string[]).includes(event)) return event;
  const similar = closeMatches(String(event), CALLBACK_EVENTS);
  const hint = similar.length ? ` Similar events are ${similar.map((e) => `'${e}'`).join(', ')}.` : '';
  throw new Error(`'${String(event)}' is not a callback event.${hint} Valid events are ${CALLBACK_EVENTS.join(', ')}.`);
}

function checkFunction<T>(event: CallbackEvent, fn: T): T {
  if (typeof fn !== 'function') throw new TypeError(`callback for '${event}' must be a function, got ${typeof fn}`);
  return fn;
}
