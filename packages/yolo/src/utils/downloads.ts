// Pretrained weights by name, as Ultralytics' attempt_download_asset: `yolo11n.pt` that is not a local file is
// fetched once from Ultralytics' GitHub release assets into a cache folder and loaded from there.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The GitHub repository and release Ultralytics' attempt_download_asset downloads weights from. */
export const GITHUB_ASSETS_REPO = 'ultralytics/assets';
export const GITHUB_ASSETS_RELEASE = 'v8.4.0';

/**
 * The release assets yolots can load: Ultralytics' GITHUB_ASSETS_NAMES for the families and tasks yolots runs
 * (YOLOv8, YOLO11, YOLO26; detect, segment, classify). Other names are not downloaded: a clear "not found" says so.
 */
export const GITHUB_ASSETS_NAMES: ReadonlySet<string> = new Set(
  ['yolov8', 'yolo11', 'yolo26'].flatMap((family) =>
    [...'nsmlx'].flatMap((size) => ['', '-seg', '-cls'].map((task) => `${family}${size}${task}.pt`)),
  ),
);

/** Where downloaded weights are kept: YOLOTS_WEIGHTS_DIR, else ~/.cache/yolots/weights. */
export function weightsDir(): string {
  return process.env.YOLOTS_WEIGHTS_DIR || join(homedir(), '.cache', 'yolots', 'weights');
}

/** The release's download URL for an asset; YOLOTS_ASSETS_URL replaces the base (a mirror, or a test server). */
export function assetUrl(name: string): string {
  const base = process.env.YOLOTS_ASSETS_URL || `https://github.com/${GITHUB_ASSETS_REPO}/releases/download/${GITHUB_ASSETS_RELEASE}`;
  return `${base.replace(/\/+$/, '')}/${name}`;
}

/**
 * Downloads `url` to `file` and waits (a child process runs download-file.ts): for synchronous loaders. Throws
 * the download's error (naming the URL and the manual alternative).
 */
export function downloadFileSync(url: string, file: string, minBytes = 1): void {
  const compiled = !import.meta.url.endsWith('.ts');
  const child = fileURLToPath(new URL(compiled ? './download-child.js' : './download-child.ts', import.meta.url));
  // From the TypeScript sources (tests, a checkout), the child needs tsx's loader as this process has it.
  const loader = compiled ? [] : ['--import', import.meta.resolve('tsx')];
  const result = spawnSync(process.execPath, [...loader, child, url, file, String(minBytes)], {
    stdio: ['ignore', 'inherit', 'pipe'],
    encoding: 'utf8',
  });
  if (result.status !== 0) throw new Error(result.stderr.trim() || `Download failure for ${url} (exit ${result.status ?? result.signal})`);
}

/**
 * The local path of weights named `file`: the file itself when it exists, else, for a release asset name
 * (`yolo11n.pt`), the cached copy, downloaded first if needed. Other missing paths come back unchanged, for the
 * caller's "not found".
 *
 * @example
 * attemptDownloadAsset('yolo11n.pt'); // ~/.cache/yolots/weights/yolo11n.pt
 */
export function attemptDownloadAsset(file: string): string {
  if (existsSync(file)) return file;
  const name = basename(file);
  if (name !== file || !GITHUB_ASSETS_NAMES.has(name)) return file;
  const cached = join(weightsDir(), name);
  if (!existsSync(cached)) downloadFileSync(assetUrl(name), cached, 1e5);
  return cached;
}
