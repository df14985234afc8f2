// Copies the non-TypeScript files the engine reads at run time (default.yaml, model YAMLs) from src/ to dist/.
import { cpSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function copyYaml(dir) {
  for (const name of readdirSync(join(root, 'src', dir))) {
    const rel = join(dir, name);
    if (statSync(join(root, 'src', rel)).isDirectory()) copyYaml(rel);
    else if (name.endsWith('.yaml')) cpSync(join(root, 'src', rel), join(root, 'dist', rel));
  }
}

copyYaml('.');
