import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, sep } from 'node:path';
import { IMG_FORMATS } from './images.js';
import { pyRound } from './random.js';

/**
 * Ultralytics' label path rule: the last `/images/` becomes `/labels/` and the extension becomes `.txt`.
 *
 * @example
 * img2labelPaths(['/d/images/train/a.jpg']); // ['/d/labels/train/a.txt']
 */
export function img2labelPaths(imFiles: readonly string[]): string[] {
  const sa = `${sep}images${sep}`;
  const sb = `${sep}labels${sep}`;
  return imFiles.map((f) => {
    const i = f.lastIndexOf(sa);
    const swapped = i < 0 ? f : f.slice(0, i) + sb + f.slice(i + sa.length);
    const dot = swapped.lastIndexOf('.');
    return `${dot < 0 ? swapped : swapped.slice(0, dot)}.txt`;
  });
}

/**
 * Image files under folders (recursively) and/or listed in .txt files (`./x` relative to the txt), filtered by
 * suffix and sorted, as Ultralytics' get_img_files. `fraction` < 1 keeps the first round(n·fraction).
 *
 * @example
 * getImgFiles(['/d/images/train']); // ['/d/images/train/0001.jpg', ...]
 */
export function getImgFiles(sources: string | readonly string[], fraction = 1, prefix = ''): string[] {
  const found: string[] = [];
  for (const p of typeof sources === 'string' ? [sources] : sources) {
    if (!existsSync(p)) throw new Error(`${prefix}${p} does not exist`);
    if (statSync(p).isDirectory()) {
      for (const rel of readdirSync(p, { recursive: true, encoding: 'utf8' })) found.push(join(p, rel));
    } else {
      const parent = dirname(p) + sep;
      for (const line of readFileSync(p, 'utf8').split(/\r?\n/)) {
        const x = line.trim();
        if (x) found.push(x.startsWith('./') ? parent + x.slice(2) : x);
      }
    }
  }
  const images = found.filter((f) => IMG_FORMATS.has((f.split('.').pop() ?? '').toLowerCase())).sort();
  if (!images.length) {
    throw new Error(`${prefix}No images found in ${String(sources)}. Supported formats: ${[...IMG_FORMATS].join(', ')}`);
  }
  return fraction < 1 ? images.slice(0, pyRound(images.length * fraction)) : images;
}
