// Ultralytics' file resolution for a string source (LoadImagesAndVideos' constructor and check_source): a file,
// folder, glob or .txt list becomes the sorted image files followed by the sorted video files.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, extname, join, resolve } from 'node:path';
import { globFiles } from '../glob.js';
import { IMG_FORMATS } from '../images.js';

/** Video suffixes Ultralytics reads (data/utils.py VID_FORMATS). */
export const VID_FORMATS = new Set(['asf', 'avi', 'gif', 'm4v', 'mkv', 'mov', 'mp4', 'mpeg', 'mpg', 'ts', 'wmv', 'webm']);

export const FORMATS_HELP = `Supported formats are:\nimages: ${[...IMG_FORMATS].join(', ')}\nvideos: ${[...VID_FORMATS].join(', ')}`;

const URL_PREFIX = /^(https?|rtsp|rtmps?|tcp|udp|srt):\/\//i;

/** Whether a source is a URL FFmpeg would open over the network. */
export function isUrl(source: string): boolean {
  return URL_PREFIX.test(source);
}

/** The lower-case suffix without the dot, of a path or of a URL's path ('' when none). */
export function suffixOf(source: string): string {
  const path = isUrl(source) ? source.replace(/[?#].*$/, '') : source;
  return extname(path).slice(1).toLowerCase();
}

/** Images first, then videos, each in the order found (sorted per entry, as Ultralytics). */
export interface MediaFiles {
  images: string[];
  videos: string[];
}

/**
 * Resolves a file, folder (its `*.*`, not recursive), glob or .txt list (one of these per line) into absolute image
 * and video paths. A missing entry is an Error naming it (and the list it came from); so is a source with neither
 * images nor videos.
 *
 * @example
 * resolveMediaFiles('clips/'); // { images: ['/abs/clips/a.jpg'], videos: ['/abs/clips/b.mp4'] }
 */
export function resolveMediaFiles(source: string, refuse: (entry: string) => void): MediaFiles {
  let entries: string[] = [source];
  let parent: string | null = null;
  if (extname(source).toLowerCase() === '.txt') {
    if (!existsSync(source)) throw new Error(`${source} does not exist`);
    parent = dirname(source);
    entries = readFileSync(source, 'utf8')
      .split(/\r?\n/)
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .sort();
  }
  const files: string[] = [];
  for (const entry of entries) {
    if (entry !== source) refuse(entry);
    const a = resolve(entry);
    if (entry.includes('*')) {
      const matched = globFiles(a);
      if (!matched.length) throw new Error(`No images or videos found matching ${entry}. ${FORMATS_HELP}`);
      files.push(...matched);
    } else if (isDirectory(a)) files.push(...globFiles(join(a, '*.*')));
    else if (existsSync(a)) files.push(a);
    else if (parent !== null && existsSync(join(parent, entry))) files.push(resolve(parent, entry));
    else throw new Error(`${entry} does not exist${parent === null ? '' : ` (listed in ${source})`}`);
  }
  const media: MediaFiles = { images: [], videos: [] };
  for (const f of files) {
    const suffix = suffixOf(f);
    if (IMG_FORMATS.has(suffix)) media.images.push(f);
    else if (VID_FORMATS.has(suffix)) media.videos.push(f);
  }
  if (!media.images.length && !media.videos.length) throw new Error(`No images or videos found in ${source}. ${FORMATS_HELP}`);
  return media;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
