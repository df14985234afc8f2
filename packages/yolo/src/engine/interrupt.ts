// Ctrl-C during training: say where the last checkpoint is and the exact command that resumes it, then exit 130,
// as Ultralytics users expect of an interrupted `yolo train`.
import { existsSync } from 'node:fs';
import { readCheckpointMeta } from '../utils/checkpoint.js';

/** `path` as a shell argument: as is when it holds only safe characters, else single-quoted. */
function shellQuote(path: string): string {
  return /^[\w@%+=:,./-]+$/.test(path) ? path : `'${path.replaceAll("'", "'\\''")}'`;
}

/** What an interrupted run tells the user about `last` (its last.safetensors): where it is and how to resume it. */
export function interruptNotice(last: string): string {
  if (!existsSync(last)) return `Training interrupted before its first checkpoint was saved (${last}): nothing to resume.`;
  const meta = readCheckpointMeta(last);
  if (meta.epoch < 0) return `Training interrupted after it finished: the trained weights are ${last}.`;
  const epochs = meta.train_args.epochs;
  return [
    `Training interrupted. The last checkpoint is ${last} (epoch ${meta.epoch + 1}${typeof epochs === 'number' ? ` of ${epochs}` : ''}).`,
    'Resume it with:',
    `  yolo train resume model=${shellQuote(last)}`,
    `or in TypeScript: await new YOLO(${JSON.stringify(last)}).train({ resume: true });`,
  ].join('\n');
}

/**
 * Runs `run`; a SIGINT meanwhile prints `notice()` and exits with 130 (128 + SIGINT). Only when nothing else in the
 * program listens for SIGINT: an application's own handling is left alone.
 */
export async function withInterruptNotice<R>(notice: () => string, run: () => Promise<R>): Promise<R> {
  if (process.listenerCount('SIGINT') > 0) return run();
  const onSigint = (): void => {
    console.error(`\n${notice()}`);
    process.exit(130);
  };
  process.on('SIGINT', onSigint);
  try {
    return await run();
  } finally {
    process.off('SIGINT', onSigint);
  }
}
