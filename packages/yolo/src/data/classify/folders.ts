// Ultralytics' check_cls_dataset and torchvision's ImageFolder scan: a classification dataset is a folder with
// train/, val/ (or validation/) and optionally test/, each holding one sub-folder of images per class.
import { existsSync, readdirSync, statSync } from 'node:fs';
import { extname, join, resolve } from 'node:path';

/** A classification dataset folder, resolved. */
export interface ClsDataset {
  path: string;
  train: string;
  /** val/ or validation/; null when the dataset has neither. */
  val: string | null;
  test: string | null;
  nc: number;
  /** Class names: the train/ sub-folders, sorted (index = class id). */
  names: string[];
}

/** The image extensions torchvision's ImageFolder accepts (case-insensitive). */
const IMAGE_FOLDER_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.ppm', '.bmp', '.pgm', '.tif', '.tiff', '.webp']);

const isDir = (p: string): boolean => existsSync(p) && statSync(p).isDirectory();

/** Sub-folder names of `dir`, sorted as Python sorts strings (by code point). */
export function classFolders(dir: string): string[] {
  return readdirSync(dir)
    .filter((n) => isDir(join(dir, n)))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
}

/**
 * check_cls_dataset(dir) without downloads: train = dir/train, val = dir/val (else dir/validation), test = dir/test;
 * names = sorted train/ sub-folders. Throws naming the folder when it is not such a dataset.
 * @example checkClsDataset('datasets/imagenette') // { train: '.../train', val: '.../val', nc: 10, names: [...] }
 */
export function checkClsDataset(dir: string): ClsDataset {
  const path = resolve(dir);
  if (!isDir(path))
    throw new Error(`classification dataset '${dir}' not found (looked for the folder ${path}); yolots does not download datasets`);
  const train = join(path, 'train');
  if (!isDir(train))
    throw new Error(`classification dataset '${path}' has no train/ folder: expected train/<class>/*.jpg, val/<class>/*.jpg`);
  const val = isDir(join(path, 'val')) ? join(path, 'val') : isDir(join(path, 'validation')) ? join(path, 'validation') : null;
  const test = isDir(join(path, 'test')) ? join(path, 'test') : null;
  const names = classFolders(train);
  if (names.length === 0) throw new Error(`classification dataset '${path}': train/ has no class sub-folders`);
  return { path, train, val, test, nc: names.length, names };
}

/**
 * ImageFolder's samples under `root`: [file, class index] for every image of every class folder (classes sorted,
 * files sorted, sub-folders walked), the class index being the folder's position in `classes`.
 */
export function imageFolderSamples(root: string, classes: readonly string[]): [string, number][] {
  const samples: [string, number][] = [];
  const walk = (dir: string, cls: number): void => {
    const entries = readdirSync(dir).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    for (const name of entries) {
      const full = join(dir, name);
      if (isDir(full)) walk(full, cls);
      else if (IMAGE_FOLDER_EXTENSIONS.has(extname(name).toLowerCase())) samples.push([full, cls]);
    }
  };
  classes.forEach((c, i) => {
    if (isDir(join(root, c))) walk(join(root, c), i);
  });
  return samples;
}
