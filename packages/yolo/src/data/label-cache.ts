import { createHash } from 'node:crypto';
import { accessSync, constants, existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { DataLogger } from './args.js';
import type { ImageLabels } from './verify.js';

/** Bumped whenever the cached layout or the verification rules change, so old caches are rebuilt. */
export const LABEL_CACHE_VERSION = '1.0.3-yolots.2';

/** Scan totals as Ultralytics reports them. */
export interface ScanResults {
  /** Images whose label file was found. */
  found: number;
  /** Images without a label file. */
  missing: number;
  /** Images with an empty label file. */
  empty: number;
  /** Images skipped as corrupt. */
  corrupt: number;
  /** Images scanned. */
  total: number;
}

/** What the cache file holds (JSON; Ultralytics pickles the same content). */
export interface LabelCache {
  version: string;
  hash: string;
  results: ScanResults;
  msgs: string[];
  labels: ImageLabels[];
}

interface StoredLabels {
  imFile: string;
  shape: [number, number];
  cls: number[];
  bboxes: number[];
  segments?: number[][];
}

/** `labels/train` → `labels/train.cache.json` (Ultralytics writes `labels/train.cache`). */
export function labelCachePath(labelFiles: readonly string[]): string {
  const first = labelFiles[0];
  if (first === undefined) throw new Error('labelCachePath: no label files');
  return `${dirname(first)}.cache.json`;
}

/**
 * A hash of every label and image path with its size and modification time: any added, removed, replaced or
 * edited file changes it (Ultralytics hashes the total size and the joined paths only).
 */
export function filesHash(paths: readonly string[]): string {
  const h = createHash('sha256');
  for (const p of paths) {
    h.update(p);
    if (existsSync(p)) {
      const st = statSync(p);
      h.update(`\0${st.size}\0${st.mtimeMs}\n`);
    } else {
      h.update('\0-\n');
    }
  }
  return h.digest('hex');
}

/** Loads a cache when it exists, parses and matches version and hash; null otherwise (never throws). */
export function loadLabelCache(path: string, hash: string): LabelCache | null {
  if (!existsSync(path)) return null;
  try {
    const raw = JSON.parse(readFileSync(path, 'utf8')) as Omit<LabelCache, 'labels'> & { labels: StoredLabels[] };
    if (raw.version !== LABEL_CACHE_VERSION || raw.hash !== hash) return null;
    return {
      ...raw,
      labels: raw.labels.map((l) => ({
        imFile: l.imFile,
        shape: l.shape,
        cls: Float32Array.from(l.cls),
        bboxes: Float32Array.from(l.bboxes),
        ...(l.segments ? { segments: l.segments.map((p) => Float32Array.from(p)) } : {}),
      })),
    };
  } catch {
    return null;
  }
}

/**
 * Writes the cache next to the labels, atomically. A folder that is not writeable, or that carries no write
 * permission bits at all (read-only shared data, even for root), gets a warning and no cache.
 */
export function saveLabelCache(path: string, cache: LabelCache, log: DataLogger, prefix = ''): boolean {
  const dir = dirname(path);
  if (!isDirWriteable(dir)) {
    log.warn(`${prefix}WARNING ⚠️ Cache directory ${dir} is not writeable, cache not saved.`);
    return false;
  }
  const stored = {
    ...cache,
    labels: cache.labels.map((l) => ({
      imFile: l.imFile,
      shape: l.shape,
      cls: Array.from(l.cls),
      bboxes: Array.from(l.bboxes),
      ...(l.segments ? { segments: l.segments.map((p) => Array.from(p)) } : {}),
    })),
  };
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    writeFileSync(tmp, JSON.stringify(stored));
    renameSync(tmp, path);
  } catch (e) {
    if (existsSync(tmp)) unlinkSync(tmp);
    log.warn(`${prefix}WARNING ⚠️ Cache directory ${dir} is not writeable, cache not saved (${(e as Error).message}).`);
    return false;
  }
  log.info(`${prefix}New cache created: ${path}`);
  return true;
}

/** True when the folder exists, has a write permission bit set and the process may write to it. */
export function isDirWriteable(dir: string): boolean {
  try {
    if ((statSync(dir).mode & 0o222) === 0) return false;
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}
