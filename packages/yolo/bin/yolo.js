#!/usr/bin/env node
// The `yolo` command. In a source checkout it runs the TypeScript in this same process, through tsx's loader, so
// signals reach the CLI itself: `kill -TERM`, Ctrl-C and a supervisor's stop end the training (no orphaned child),
// and the exit status is the CLI's own. An installed package runs dist/.
import { existsSync } from 'node:fs';
import { register } from 'node:module';
import { fileURLToPath } from 'node:url';

const source = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
if (existsSync(source)) {
  // tsx is resolved from this package, not from the caller's working directory.
  const tsx = await import(import.meta.resolve('tsx/esm/api'));
  tsx.register();
  // As `node --conditions=source`: the workspace packages resolve to their TypeScript sources, not to dist/.
  const sourceCondition = 'export const resolve = (s, c, next) => next(s, { ...c, conditions: [...c.conditions, "source"] });';
  register(`data:text/javascript,${encodeURIComponent(sourceCondition)}`);
  const { run } = await import(source);
  await run();
} else {
  const { run } = await import('../dist/cli.js');
  await run();
}
