// Runs every ```ts block of README.md and docs/*.md as a program, so the documentation cannot drift from the API.
//
// Conventions the documents follow:
// - Each ```ts block is a complete program importing from 'yolots' / '@yolots/torch'. It is written to
//   packages/yolo/.docs-tmp/<doc>/block-<n>.ts (so the workspace packages resolve by name) and run with
//   `node --conditions=source --import tsx`, with a timeout.
// - The blocks of one document run in order, in one fresh working folder: a later block may read what an earlier one
//   wrote (runs/detect/train/weights/best.safetensors), as a reader following the page would.
// - `<!-- not-tested: reason -->` on the line before a block skips it (the reason is printed): for code that cannot
//   run here, e.g. a browser snippet or one needing CUDA.
// - `<!-- file: name.ts -->` before a block writes it as `name.ts` beside the other blocks instead of running it; later
//   blocks import it (a transform module that loader worker threads re-import, for example).
// - `../shared/` in a block is replaced by the absolute path of the repository's sibling `shared` folder (coco8 and
//   the Ultralytics fixtures); blocks using it are skipped with a reason when that folder is absent.
// - YOLOTS_DATASETS_DIR points at one temporary folder for the whole run, so the shapes dataset is generated once.
// A final test type-checks all blocks with tsc, reporting only errors inside the blocks.
// YOLOTS_DOCS=quickstart.md (a comma-separated list of file names) runs only those documents.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, relative, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { requireShared } from './helpers/shared.js';

const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const SHARED = resolve(REPO, '../shared');
const TMP = join(REPO, 'packages/yolo/.docs-tmp');
/** Per block: generous, since a training example on a loaded 2-core machine can take half a minute. */
const BLOCK_TIMEOUT_MS = 180_000;
/** tsx by URL: a bare `--import tsx` would resolve from the example's working folder, outside the repository. */
const TSX = import.meta.resolve('tsx');

interface CodeBlock {
  /** 1-based index among the document's ```ts blocks: how failures name the block. */
  index: number;
  /** Line of the opening fence (1-based). */
  line: number;
  code: string;
  /** Why the block is not run, from `<!-- not-tested: reason -->`. */
  notTested: string | null;
  /** File name from `<!-- file: name.ts -->`: written, imported by later blocks, not run itself. */
  file: string | null;
}

/** The ```ts blocks of a Markdown text, with the marker comment on the last non-blank line before each. */
function extractTsBlocks(markdown: string, source: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = /^(\s*)(`{3,}|~{3,})\s*([\w-]*)/.exec(lines[i]!);
    if (!open) continue;
    const [, indent, fence, lang] = open as unknown as [string, string, string, string];
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !lines[i]!.trimStart().startsWith(fence); i++) body.push(lines[i]!.slice(indent.length));
    if (i >= lines.length) throw new Error(`${source}:${start + 1}: code block is never closed`);
    if (lang !== 'ts' && lang !== 'typescript') continue;
    let before = start - 1;
    while (before >= 0 && lines[before]!.trim() === '') before--;
    const marker = before >= 0 ? lines[before]!.trim() : '';
    const notTested = /^<!--\s*not-tested:\s*(.*?)\s*-->$/.exec(marker);
    const file = /^<!--\s*file:\s*(.*?)\s*-->$/.exec(marker);
    if (notTested && !notTested[1]) throw new Error(`${source}:${before + 1}: <!-- not-tested: … --> needs a reason`);
    if (file && !/^[\w.-]+\.ts$/.test(file[1]!)) throw new Error(`${source}:${before + 1}: <!-- file: … --> needs a plain .ts file name`);
    blocks.push({
      index: blocks.length + 1,
      line: start + 1,
      code: `${body.join('\n')}\n`,
      notTested: notTested ? notTested[1]! : null,
      file: file ? file[1]! : null,
    });
  }
  return blocks;
}

interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
}

/** Runs `node ...args`, collecting stdout and stderr together; killed after BLOCK_TIMEOUT_MS. */
function runNode(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.length > 1_000_000) output = output.slice(-500_000);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, BLOCK_TIMEOUT_MS);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, output, timedOut });
    });
  });
}

function tail(text: string, lines: number): string {
  return text.trimEnd().split('\n').slice(-lines).join('\n');
}

const only = process.env.YOLOTS_DOCS?.split(',').map((s) => s.trim());
const documents = [
  join(REPO, 'README.md'),
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .sort()
    .map((f) => join(REPO, 'docs', f)),
].filter((doc) => !only || only.includes(basename(doc)));
const datasetsDir = mkdtempSync(join(tmpdir(), 'yolots-docs-datasets-'));
const env: NodeJS.ProcessEnv = { ...process.env, YOLOTS_DATASETS_DIR: datasetsDir };
/** Every written block, for the type check: [file, doc, block]. */
const written: { file: string; doc: string; block: CodeBlock }[] = [];

rmSync(TMP, { recursive: true, force: true });

describe('documentation examples', () => {
  for (const doc of documents) {
    const docName = relative(REPO, doc);
    const blocks = extractTsBlocks(readFileSync(doc, 'utf8'), docName);
    if (blocks.length === 0) continue;
    const dir = join(TMP, basename(doc, '.md'));
    mkdirSync(dir, { recursive: true });
    const cwd = mkdtempSync(join(tmpdir(), `yolots-docs-${basename(doc, '.md')}-`));
    let earlierFailed: string | null = null;

    describe(docName, () => {
      for (const block of blocks) {
        const name = block.file
          ? `block ${block.index} (line ${block.line}): module ${block.file}`
          : `block ${block.index} (line ${block.line})`;
        const usesShared = block.code.includes('../shared/');
        const code = block.code.replaceAll('../shared/', `${SHARED}/`);
        const file = join(dir, block.file ?? `block-${block.index}.ts`);
        if (!block.notTested) {
          writeFileSync(file, code);
          written.push({ file, doc: docName, block });
        }
        const skip = block.notTested
          ? `not tested: ${block.notTested}`
          : usesShared && requireShared([SHARED], 'a docs example reading ../shared').skip
            ? `../shared not found (${SHARED})`
            : block.file
              ? 'a module for later blocks: runs when they import it'
              : false;
        test(name, { skip }, async () => {
          assert.equal(
            earlierFailed,
            null,
            `${docName} block ${block.index} not run: ${earlierFailed} failed, and later blocks may read its outputs`,
          );
          const result = await runNode(['--conditions=source', '--import', TSX, file], cwd, env);
          if (result.code !== 0) {
            earlierFailed = `block ${block.index}`;
            const why = result.timedOut
              ? `timed out after ${BLOCK_TIMEOUT_MS / 1000} s`
              : `exited with ${result.signal ?? `code ${result.code}`}`;
            assert.fail(
              `${docName} block ${block.index} (line ${block.line}, ${relative(REPO, file)}) ${why}. Output:\n${tail(result.output, 40)}`,
            );
          }
        });
      }
      test(`${docName}: clean up`, () => {
        rmSync(cwd, { recursive: true, force: true });
      });
    });
  }

  test('every example type-checks', async () => {
    assert.ok(written.length > 0, 'no ```ts blocks found in README.md and docs/*.md');
    const tsconfig = {
      extends: relative(TMP, join(REPO, 'tsconfig.base.json')),
      compilerOptions: { noEmit: true, declaration: false, sourceMap: false, customConditions: ['source'] },
      include: ['**/*.ts'],
    };
    writeFileSync(join(TMP, 'tsconfig.json'), JSON.stringify(tsconfig, null, 2));
    const tsc = join(REPO, 'node_modules/typescript/bin/tsc');
    const result = await runNode([tsc, '-p', TMP, '--pretty', 'false'], REPO, process.env);
    assert.ok(result.code === 0 || /error TS\d+/.test(result.output), `tsc did not run:\n${tail(result.output, 20)}`);
    // Errors elsewhere (engine sources being edited) are the engine tests' business; only the examples' count here.
    const inBlocks = result.output
      .split('\n')
      .filter((line) => line.startsWith(relative(REPO, TMP)) || line.startsWith(TMP))
      .map((line) => {
        const path = resolve(REPO, line.slice(0, line.indexOf('(')));
        const entry = written.find((w) => w.file === path);
        return entry ? `${entry.doc} block ${entry.block.index} (line ${entry.block.line}): ${line}` : line;
      });
    assert.ok(inBlocks.length === 0, `documentation examples do not type-check:\n${inBlocks.join('\n')}`);
  });

  test('clean up', () => {
    rmSync(datasetsDir, { recursive: true, force: true });
  });
});

describe('extractTsBlocks', () => {
  test('finds ts blocks with their index, line and markers, and skips other languages', () => {
    const md = [
      '# t',
      '```sh',
      'yolo train',
      '```',
      '```ts',
      "console.log('a');",
      '```',
      '<!-- not-tested: needs CUDA -->',
      '',
      '```typescript',
      "console.log('b');",
      '```',
      '<!-- file: grey.ts -->',
      '```ts',
      'export class Grey {}',
      '```',
    ].join('\n');
    const blocks = extractTsBlocks(md, 'x.md');
    assert.deepEqual(
      blocks.map((b) => [b.index, b.line, b.code, b.notTested, b.file]),
      [
        [1, 5, "console.log('a');\n", null, null],
        [2, 10, "console.log('b');\n", 'needs CUDA', null],
        [3, 14, 'export class Grey {}\n', null, 'grey.ts'],
      ],
    );
  });

  test('rejects a marker without a reason and an unclosed block', () => {
    assert.throws(() => extractTsBlocks('<!-- not-tested: -->\n```ts\nx\n```\n', 'y.md'), /y\.md:1: .*needs a reason/);
    assert.throws(() => extractTsBlocks('text\n```ts\nx\n', 'z.md'), /z\.md:2: code block is never closed/);
  });
});
