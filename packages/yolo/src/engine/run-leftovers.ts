// What an interrupted run leaves behind, cleaned when a run starts or resumes in its folder: temp files of checkpoint
// writes a kill cut short, and results.csv rows of epochs whose checkpoint was never saved.
import { readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { dropResultsRowsAfter } from '../utils/results-csv.js';

/** The temp file an atomic safetensors write makes beside its target: `.<name>.<pid>.<ms>.tmp`. */
const TEMP_FILE = /^\.(.+\.safetensors)\.(\d+)\.(\d+)\.tmp$/;

/** Whether process `pid` exists (signal 0 checks without sending; EPERM means it exists under another user). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes the checkpoint temp files in `wdir` (last, best, epochN) that no running write owns: those whose process
 * is gone, or that are older than `runStart` (ms; a live pid is then a reused one). Returns the removed names.
 */
export function removeStaleTempFiles(wdir: string, runStart: number, isAlive: (pid: number) => boolean = pidAlive): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(wdir)) {
    const match = TEMP_FILE.exec(name);
    if (!match) continue;
    const pid = Number(match[2]);
    if (isAlive(pid) && Number(match[3]) >= runStart) continue;
    rmSync(join(wdir, name), { force: true });
    removed.push(name);
  }
  return removed;
}

/**
 * Cleans a run folder before training in it: stale checkpoint temp files, and when resuming from `resumedEpoch`
 * (0-based, as checkpoints store it) the results.csv rows after it. Says what it removed.
 */
export function cleanRunLeftovers(run: { wdir: string; csv: string; resumedEpoch: number | null }, log = console.log): void {
  const runStart = Date.now() - process.uptime() * 1000;
  const removed = removeStaleTempFiles(run.wdir, runStart);
  if (removed.length)
    log(`Removed ${removed.length} temp file(s) of checkpoint writes an interrupted run left in ${run.wdir}: ${removed.join(', ')}`);
  if (run.resumedEpoch === null) return;
  const dropped = dropResultsRowsAfter(run.csv, run.resumedEpoch + 1);
  if (dropped) log(`${run.csv}: dropped ${dropped} row(s) after epoch ${run.resumedEpoch + 1}, written after the checkpoint being resumed`);
}
