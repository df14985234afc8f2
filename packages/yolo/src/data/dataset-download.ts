// A data.yaml's `download:` key, as Ultralytics' check_det_dataset when the val images are missing: a URL of a .zip
// archive is downloaded and unpacked beside the dataset root. Ultralytics also runs `download:` as a bash command or
// as Python code; yolots executes nothing from a dataset file, so those are an error saying what to run by hand.
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, isAbsolute, join, normalize, sep } from 'node:path';
import { io } from '@yolots/torch';
import { downloadFileSync } from '../utils/downloads.js';

/**
 * Unpacks the bytes of a .zip into `dir`, refusing entries that would land outside it (`../`, absolute paths).
 * Returns the top-level names it wrote.
 */
export function unzipInto(bytes: Uint8Array, dir: string, source: string): string[] {
  const zip = new io.ZipArchive(bytes, source);
  const top = new Set<string>();
  for (const name of zip.entries.keys()) {
    const relative = normalize(name);
    if (isAbsolute(relative) || relative === '..' || relative.startsWith(`..${sep}`))
      throw new Error(`${source}: entry '${name}' points outside the folder it unpacks into; not unpacked`);
    top.add(relative.split(sep)[0] as string);
    const target = join(dir, relative);
    if (name.endsWith('/')) mkdirSync(target, { recursive: true });
    else {
      mkdirSync(dirname(target), { recursive: true });
      writeFileSync(target, zip.read(name));
    }
  }
  return [...top];
}

/**
 * Fetches a dataset's `download:` archive into the parent folder of its `root` (a zip holding `coco8/` for
 * `path: coco8`), as Ultralytics unpacks into its datasets folder. Throws for anything but an http(s) .zip URL.
 *
 * @example
 * downloadDataset('coco8.yaml', 'https://github.com/ultralytics/assets/releases/download/v0.0.0/coco8.zip', '/data/coco8');
 */
export function downloadDataset(yamlFile: string, download: unknown, root: string): void {
  const url = typeof download === 'string' ? download.trim() : '';
  if (!/^https?:\/\/\S+\.zip$/i.test(url)) {
    throw new Error(
      `Dataset '${yamlFile}' images not found, and its 'download:' is not a URL of a .zip archive. yolots runs no ` +
        'download scripts or code from dataset files: run it yourself, then retry.',
    );
  }
  const zipFile = join(tmpdir(), `yolots-${process.pid}-${basename(url)}`);
  try {
    downloadFileSync(url, zipFile);
    const into = dirname(root);
    console.log(`Unzipping ${zipFile} to ${into}...`);
    unzipInto(readFileSync(zipFile), into, url);
  } finally {
    rmSync(zipFile, { force: true });
  }
}
