// Console progress bars in Ultralytics' layout (a tqdm-like line), drawn with cli-progress.
import cliProgress from 'cli-progress';

/** A bar over `total` steps whose left part is a caller-formatted description. */
export class ProgressBar {
  private readonly bar: cliProgress.SingleBar | null;
  private readonly start = Date.now();
  private description = '';
  private started = false;
  /** Extra text inside the bar's brackets, after the speed (the trainer's whole-run time). */
  private readonly suffix: ((done: number) => string) | null;

  constructor(
    readonly total: number,
    options: { enabled?: boolean; suffix?: (done: number) => string } = {},
  ) {
    this.suffix = options.suffix ?? null;
    const enabled = options.enabled ?? true;
    this.bar = enabled
      ? new cliProgress.SingleBar(
          {
            format: (opts, params) => this.render(params.value, params.total, opts.barsize ?? 10),
            barsize: 10,
            hideCursor: false,
            noTTYOutput: true,
            notTTYSchedule: 10_000,
            stream: process.stdout,
            clearOnComplete: false,
            linewrap: false,
          },
          cliProgress.Presets.shades_classic,
        )
      : null;
  }

  /** Sets the text before the bar and the number of steps done. */
  update(done: number, description: string): void {
    this.description = description;
    if (!this.started) {
      // Started on the first update, so that no line is drawn before there is a description to show.
      this.bar?.start(this.total, done);
      this.started = true;
    } else {
      this.bar?.update(done);
    }
  }

  stop(): void {
    if (this.started) this.bar?.stop();
  }

  private render(value: number, total: number, size: number): string {
    const fraction = total > 0 ? Math.min(1, value / total) : 1;
    const filled = Math.round(fraction * size);
    const elapsed = (Date.now() - this.start) / 1000;
    const rate = elapsed > 0 ? value / elapsed : 0;
    const remaining = rate > 0 ? (total - value) / rate : 0;
    const speed = rate >= 1 || rate === 0 ? `${rate.toFixed(2)}it/s` : `${(1 / rate).toFixed(2)}s/it`;
    const extra = this.suffix?.(value);
    return `${this.description}: ${String(Math.round(fraction * 100)).padStart(3)}%|${'█'.repeat(filled)}${' '.repeat(size - filled)}| ${value}/${total} [${clock(elapsed)}<${clock(remaining)}, ${speed}${extra ? `, ${extra}` : ''}]`;
  }
}

/**
 * The whole training's time so far and estimated remainder, `run 01:10<05:40`, from the share of its epochs done
 * (fractional: batches of the current epoch count); '' for a one-epoch run, whose bar already says it.
 *
 * @example
 * runEta(70, 2.5, 15); // 'run 01:10<05:50'
 */
export function runEta(elapsedSeconds: number, epochsDone: number, epochs: number): string {
  if (epochs <= 1 || epochsDone <= 0) return '';
  return `run ${clock(elapsedSeconds)}<${clock((elapsedSeconds * Math.max(epochs - epochsDone, 0)) / epochsDone)}`;
}

/** A duration as tqdm's format_interval writes it: `mm:ss`, and `h:mm:ss` from an hour on (multi-hour runs). */
function clock(seconds: number): string {
  const s = Math.round(seconds);
  const [h, m] = [Math.floor(s / 3600), Math.floor(s / 60) % 60];
  const mmss = `${String(m).padStart(2, '0')}:${String(s % 60).padStart(2, '0')}`;
  return h > 0 ? `${h}:${mmss}` : mmss;
}
