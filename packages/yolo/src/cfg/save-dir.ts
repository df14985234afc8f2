import { existsSync, mkdirSync, statSync } from 'node:fs';
import { extname, join } from 'node:path';
import type { Args } from './args.js';

/**
 * Ultralytics' `increment_path`: `path` itself when it does not exist (or `existOk`), else the first free
 * `path2`, `path3`, … (a file keeps its suffix: `out.txt` → `out2.txt`). `mkdir` creates the directory.
 *
 * @example
 * incrementPath('runs/detect/train'); // 'runs/detect/train2' when 'runs/detect/train' exists
 */
export function incrementPath(path: string, existOk = false, sep = '', mkdir = false): string {
  let result = path;
  if (existsSync(path) && !existOk) {
    const suffix = statSync(path).isFile() ? extname(path) : '';
    const stem = suffix ? path.slice(0, -suffix.length) : path;
    for (let n = 2; n < 9999; n++) {
      result = `${stem}${sep}${n}${suffix}`;
      if (!existsSync(result)) break;
    }
  }
  if (mkdir) mkdirSync(result, { recursive: true });
  return result;
}

/** Where `getSaveDir` puts runs without a `project`, and which rank asks. */
export interface SaveDirOptions {
  /** Replaces `args.name` (Ultralytics' `name=` argument of `get_save_dir`). */
  name?: string;
  /** Root for runs without a `project` ('runs', relative to the working directory, like Ultralytics' settings). */
  runsDir?: string;
  /** Process rank; ranks other than -1 and 0 reuse the directory rank 0 made (env RANK, else -1). */
  rank?: number;
}

/**
 * The run directory, as Ultralytics' `get_save_dir`: `args.save_dir` when set, else
 * `<project or runs/<task>>/<name or mode>`, incremented (`train`, `train2`, …) unless `exist_ok`.
 * Creates nothing; the trainer makes the directory.
 *
 * @example
 * getSaveDir(getCfg(undefined, { data: 'coco8.yaml' })); // 'runs/detect/train' (or train2, train3, …)
 */
export function getSaveDir(
  args: Pick<Args, 'project' | 'task' | 'name' | 'mode' | 'exist_ok' | 'save_dir'>,
  options: SaveDirOptions = {},
): string {
  if (args.save_dir) return args.save_dir;
  const rank = options.rank ?? Number(process.env.RANK ?? -1);
  const project = args.project || join(options.runsDir ?? 'runs', args.task);
  const name = options.name || args.name || args.mode;
  return incrementPath(join(project, name), rank === -1 || rank === 0 ? args.exist_ok : true);
}
