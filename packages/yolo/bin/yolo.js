#!/usr/bin/env node
// The `yolo` command. In a source checkout it runs the TypeScript through tsx; an installed package runs dist/.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (existsSync(source)) {
  // tsx is resolved from this package, not from the caller's working directory.
  const tsx = import.meta.resolve('tsx');
  const child = spawnSync(process.execPath, ['--conditions=source', '--import', tsx, source, ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(child.status ?? 1);
} else {
  const { run } = await import('../dist/cli.js');
  await run();
}
