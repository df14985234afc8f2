#!/usr/bin/env node
// npm's install step for @yolots/torch: keeps an addon already built, and compiles nothing when the prebuilt addon
// (@yolots/torch-linux-x64, an optional dependency) is installed, unless LIBTORCH or LIBTORCH_USE_PYTORCH asks for a
// build against another libtorch. Otherwise it checks that libtorch's headers are there before compiling (so a missing
// libtorch says what to install, not `ATen/ATen.h: No such file` from g++ minutes in), then compiles with node-gyp.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const require = createRequire(import.meta.url);

if (existsSync(join(root, 'build', 'Release', 'yolots_torch.node'))) process.exit(0);

function prebuiltInstalled() {
  try {
    require.resolve('@yolots/torch-linux-x64/yolots_torch.node');
    return true;
  } catch {
    return false;
  }
}
if (!process.env.LIBTORCH && !process.env.LIBTORCH_USE_PYTORCH && prebuiltInstalled()) {
  console.log('@yolots/torch: using the prebuilt addon of @yolots/torch-linux-x64 (LIBTORCH=<dir> or LIBTORCH_USE_PYTORCH=1 builds from source instead)');
  process.exit(0);
}

/** The libtorch directory binding.gyp will use ('' = Debian's libtorch-dev under /usr), as libtorch-config says. */
function libtorchDir() {
  try {
    return execFileSync(process.execPath, [join(root, 'scripts', 'libtorch-config.mjs'), 'dir'], { encoding: 'utf8' }).trim();
  } catch {
    process.exit(1); // libtorch-config printed why (a LIBTORCH_USE_PYTORCH whose Python has no torch, …)
  }
}

const dir = libtorchDir();
const includes = dir ? [join(dir, 'include'), join(dir, 'include', 'torch', 'csrc', 'api', 'include')] : ['/usr/include', '/usr/include/torch/csrc/api/include'];
const missing = [join(includes[0], 'ATen', 'ATen.h'), join(includes[1], 'torch', 'torch.h')].filter((file) => !existsSync(file));
if (missing.length > 0) {
  const where = dir ? `LIBTORCH=${dir}` : 'the system include folders (/usr/include)';
  console.error(
    [
      `@yolots/torch: libtorch's C++ headers were not found in ${where} (missing ${missing.join(', ')}).`,
      'The native addon is compiled against libtorch at install time. Give it one, then run `npm rebuild @yolots/torch`:',
      '  - Debian 12 / Ubuntu: sudo apt install libtorch-dev build-essential python3',
      '  - an unpacked libtorch (https://pytorch.org, C++ / LibTorch, cxx11 ABI): export LIBTORCH=/path/to/libtorch',
      '  - the libtorch inside a Python PyTorch install (pip install torch): export LIBTORCH_USE_PYTORCH=1 (PYTHON picks the interpreter)',
    ].join('\n'),
  );
  process.exit(1);
}

const nodeGyp = require.resolve('node-gyp/bin/node-gyp.js');
const build = spawnSync(process.execPath, [nodeGyp, 'rebuild', '-j', 'max'], { cwd: root, stdio: 'inherit' });
process.exit(build.status ?? 1);
