// The MLflow logger, as Ultralytics' utils/callbacks/mlflow.py, over MLflow's REST API (no MLflow client library):
// a run per training in the experiment MLFLOW_EXPERIMENT_NAME (default: the `project` argument, else
// /Shared/Ultralytics), named MLFLOW_RUN (default: the run's `name`), with the training arguments as params, the
// epoch's train losses, learning rates and metrics as metrics (brackets removed from names, as Ultralytics'
// sanitising does), and the run marked FINISHED at the end. On when the `mlflow` setting is; the server is
// MLFLOW_TRACKING_URI (http or https; Ultralytics' local file store is not written).

/** What the logger reads of a trainer (BaseTrainer has all of it). */
export interface MlflowTrainer {
  readonly args: Record<string, unknown>;
  readonly saveDir: string;
  epoch: number;
  tloss: number[] | null;
  lr: Record<string, number>;
  metrics: Record<string, number>;
  labelLossItems(lossItems: readonly number[], prefix?: string): Record<string, number>;
}

const PREFIX = 'MLflow: ';
const runs = new WeakMap<MlflowTrainer, { uri: string; runId: string }>();

async function call(uri: string, endpoint: string, body?: Record<string, unknown>): Promise<Record<string, unknown>> {
  const url = `${uri.replace(/\/+$/, '')}/api/2.0/mlflow/${endpoint}`;
  const response = await fetch(
    url,
    body ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) } : {},
  );
  const text = await response.text();
  if (!response.ok) throw new Error(`${PREFIX}${url} answered HTTP ${response.status}: ${text.slice(0, 200)}`);
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** Metric names as Ultralytics sanitises them: `metrics/mAP50(B)` → `metrics/mAP50B`. */
function sanitize(values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([k, v]) => [k.replace(/[()]/g, ''), v]));
}

async function logMetrics(trainer: MlflowTrainer, values: Record<string, number>): Promise<void> {
  const run = runs.get(trainer);
  if (!run) return;
  const timestamp = Date.now();
  const metrics = Object.entries(sanitize(values)).map(([key, value]) => ({ key, value, timestamp, step: trainer.epoch }));
  await call(run.uri, 'runs/log-batch', { run_id: run.runId, metrics });
}

/** The logger's callbacks by event, as Ultralytics' `callbacks` dict. */
export const mlflowCallbacks = {
  async on_pretrain_routine_end(trainer: MlflowTrainer): Promise<void> {
    const uri = process.env.MLFLOW_TRACKING_URI;
    if (!uri || !/^https?:\/\//.test(uri)) {
      throw new Error(
        `${PREFIX}the mlflow setting is on but MLFLOW_TRACKING_URI is ${uri ? `'${uri}', not an http(s) server` : 'unset'}; set it (e.g. http://localhost:5000) or run 'yolo settings mlflow=False'`,
      );
    }
    const name =
      process.env.MLFLOW_EXPERIMENT_NAME || (typeof trainer.args.project === 'string' && trainer.args.project) || '/Shared/Ultralytics';
    let experimentId: string;
    try {
      const found = await call(uri, `experiments/get-by-name?experiment_name=${encodeURIComponent(name)}`);
      experimentId = String((found.experiment as { experiment_id: string }).experiment_id);
    } catch {
      experimentId = String((await call(uri, 'experiments/create', { name })).experiment_id);
    }
    const runName = process.env.MLFLOW_RUN || String(trainer.args.name ?? 'train');
    const created = await call(uri, 'runs/create', { experiment_id: experimentId, run_name: runName, start_time: Date.now() });
    const runId = String((created.run as { info: { run_id: string } }).info.run_id);
    runs.set(trainer, { uri, runId });
    const params = Object.entries(trainer.args).map(([key, value]) => ({ key, value: String(value) }));
    await call(uri, 'runs/log-batch', { run_id: runId, params });
    console.log(`${PREFIX}logging run ${runId} ('${runName}') to experiment '${name}' at ${uri}`);
  },
  async on_train_epoch_end(trainer: MlflowTrainer): Promise<void> {
    await logMetrics(trainer, { ...(trainer.tloss ? trainer.labelLossItems(trainer.tloss, 'train') : {}), ...trainer.lr });
  },
  async on_fit_epoch_end(trainer: MlflowTrainer): Promise<void> {
    await logMetrics(trainer, trainer.metrics);
  },
  async on_train_end(trainer: MlflowTrainer): Promise<void> {
    const run = runs.get(trainer);
    if (!run) return;
    await call(run.uri, 'runs/update', { run_id: run.runId, status: 'FINISHED', end_time: Date.now() });
    console.log(`${PREFIX}results logged to ${run.uri}; the run's files stay in ${trainer.saveDir} (no artifact upload)`);
  },
};
