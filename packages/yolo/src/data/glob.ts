import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

/**
 * Python's `glob.glob(pattern, recursive=True)` on the local file system (Node 20 has no fs.glob): `*` and `?`
 * match within one path segment, `[abc]`/`[!abc]` match a character set, `**` matches any number of directories.
 * Like Python, wildcards skip names starting with a dot unless the pattern segment starts with one.
 * Returns matching paths (files and directories), sorted; relative patterns give relative paths.
 *
 * @example
 * globFiles('/data/images/**\/*.jpg'); // ['/data/images/a.jpg', '/data/images/sub/b.jpg']
 */
export function globFiles(pattern: string): string[] {
  const absolute = isAbsolute(pattern);
  const segments = pattern.split(/[\\/]+/).filter((s, i) => s !== '' || i === 0);
  let paths = [absolute ? sep : ''];
  if (absolute) segments.shift();
  segments.forEach((segment, index) => {
    const last = index === segments.length - 1;
    const next: string[] = [];
    for (const base of paths) {
      if (segment === '**') next.push(base, ...subdirectories(base));
      else if (hasGlobMagic(segment)) next.push(...matchingEntries(base, segment, last));
      else if (exists(join(base, segment), last)) next.push(join(base, segment));
    }
    paths = [...new Set(next)];
  });
  if (segments[segments.length - 1] === '**') paths = paths.filter((p) => p !== '');
  return paths.sort();
}

function exists(path: string, fileAllowed: boolean): boolean {
  try {
    const stat = statSync(path || '.');
    return fileAllowed || stat.isDirectory();
  } catch {
    return false;
  }
}

function listDir(dir: string): { name: string; isDir: boolean }[] {
  try {
    return readdirSync(resolve(dir || '.'), { withFileTypes: true }).map((e) => ({
      name: e.name,
      isDir: e.isDirectory() || (e.isSymbolicLink() && exists(join(dir, e.name), false)),
    }));
  } catch {
    return [];
  }
}

function subdirectories(dir: string): string[] {
  const found: string[] = [];
  for (const e of listDir(dir)) {
    if (!e.isDir || e.name.startsWith('.')) continue;
    const child = join(dir, e.name);
    found.push(child, ...subdirectories(child));
  }
  return found;
}

function matchingEntries(dir: string, segment: string, last: boolean): string[] {
  const regex = segmentRegex(segment);
  const hiddenAllowed = segment.startsWith('.');
  return listDir(dir)
    .filter((e) => (last || e.isDir) && (hiddenAllowed || !e.name.startsWith('.')) && regex.test(e.name))
    .map((e) => join(dir, e.name));
}

/** fnmatch's translation of one segment to an anchored regular expression. */
function segmentRegex(segment: string): RegExp {
  let source = '';
  for (let i = 0; i < segment.length; i++) {
    const c = segment[i]!;
    if (c === '*') source += '.*';
    else if (c === '?') source += '.';
    else if (c === '[') {
      const close = segment.indexOf(']', i + 2);
      if (close < 0) {
        source += '\\[';
        continue;
      }
      let set = segment.slice(i + 1, close).replace(/\\/g, '\\\\');
      if (set.startsWith('!')) set = `^${set.slice(1)}`;
      source += `[${set}]`;
      i = close;
    } else source += c.replace(/[.+^${}()|\\\]]/g, '\\$&');
  }
  return new RegExp(`^${source}$`, 's');
}

/** True when a path segment holds a glob wildcard (`*`, `?` or `[...]`), as Python's glob.has_magic. */
function hasGlobMagic(segment: string): boolean {
  return /[*?[]/.test(segment);
}
