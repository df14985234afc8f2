#!/usr/bin/env node
// Which libtorch binding.gyp builds against, printed for gyp's `<!(...)` expansions:
//   dir            the libtorch directory (holding include/ and lib/), or '' for Debian's libtorch-dev in /usr
//   cuda           1 when that libtorch has its CUDA backend (lib/libtorch_cuda.so), else 0
//   abi            the C++ ABI flag its libraries use (_GLIBCXX_USE_CXX11_ABI: 0 or 1), or '' when not known
//   cuda-includes  header folders c10d's NCCL code needs (CUDA runtime, nccl.h), one per line
//   cuda-headers   1 when that libtorch has its CUDA backend and one of those folders holds the CUDA runtime's
//                  headers (the addon then reads the CUDA caching allocator's statistics), else 0
//   dnnl           1 when oneDNN's headers (libdnnl-dev) are installed and that libtorch loads the shared
//                  libdnnl.so.2 they belong to (Debian's libtorch, or a libtorch folder that ships it), else 0: the
//                  addon then calls oneDNN directly for fused inference convolutions (native/dnnl_conv.cc). An
//                  official libtorch has oneDNN linked in statically, without headers. YOLOTS_DNNL=0 turns it off.
// The directory is LIBTORCH when set; with LIBTORCH_USE_PYTORCH=1, the libtorch inside the PyTorch that `$PYTHON`
// (default python3) imports, as tch-rs does: a `pip install torch` with CUDA then needs no separate libtorch download.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/** What the Python torch install says about itself, or null when LIBTORCH_USE_PYTORCH is off. */
function pytorch() {
  const flag = process.env.LIBTORCH_USE_PYTORCH;
  if (!flag || flag === '0' || flag.toLowerCase() === 'false') return null;
  const python = process.env.PYTHON || 'python3';
  const code = [
    'import json, os, torch',
    'print(json.dumps({"dir": os.path.dirname(torch.__file__), "abi": int(torch._C._GLIBCXX_USE_CXX11_ABI), "cuda": torch.version.cuda}))',
  ].join('; ');
  let out;
  try {
    out = execFileSync(python, ['-c', code], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const detail = String(error.stderr || error.message).trim().split('\n').pop();
    throw new Error(`LIBTORCH_USE_PYTORCH=1: '${python} -c "import torch"' failed (${detail}). Set PYTHON to the interpreter whose torch to use.`);
  }
  const info = JSON.parse(out.trim().split('\n').pop());
  if (!existsSync(join(info.dir, 'include')) || !existsSync(join(info.dir, 'lib'))) {
    throw new Error(`LIBTORCH_USE_PYTORCH=1: ${info.dir} has no include/ and lib/ folders (not a PyTorch with its C++ library)`);
  }
  return info;
}

function libtorchDir(torchInfo) {
  if (process.env.LIBTORCH) return process.env.LIBTORCH;
  return torchInfo ? torchInfo.dir : '';
}

/** nvidia/<package>/include folders of pip's CUDA wheels (nvidia-nccl-cu12, nvidia-cuda-runtime-cu12, …) beside torch. */
function pipNvidiaIncludes(torchDir) {
  const nvidia = join(torchDir, '..', 'nvidia');
  if (!existsSync(nvidia)) return [];
  return readdirSync(nvidia)
    .map((name) => join(nvidia, name, 'include'))
    .filter((dir) => existsSync(dir));
}

/** Whether the libtorch in `dir` has its CUDA backend. */
function hasCuda(dir) {
  return Boolean(dir) && existsSync(join(dir, 'lib', 'libtorch_cuda.so'));
}

/** Where CUDA's headers may be: CUDA_HOME's (default /usr/local/cuda), and pip's CUDA wheels beside a Python torch. */
function cudaIncludes(torchInfo) {
  const dirs = [join(process.env.CUDA_HOME || '/usr/local/cuda', 'include')];
  if (torchInfo) dirs.push(...pipNvidiaIncludes(torchInfo.dir));
  return dirs;
}

/** Whether the addon can call the very oneDNN that the libtorch in `dir` ('' = Debian's in /usr) loads. */
function hasDnnl(dir) {
  if (process.env.YOLOTS_DNNL === '0') return false;
  if (!existsSync('/usr/include/oneapi/dnnl/dnnl.hpp')) return false;
  return dir === '' || existsSync(join(dir, 'lib', 'libdnnl.so.2'));
}

function main(what) {
  const torchInfo = pytorch();
  const dir = libtorchDir(torchInfo);
  switch (what) {
    case 'dir':
      return dir;
    case 'cuda':
      return hasCuda(dir) ? '1' : '0';
    case 'abi':
      // Only PyTorch reports it; an unpacked libtorch's folder name says it (cxx11-abi builds), but not reliably.
      return torchInfo && !process.env.LIBTORCH ? String(torchInfo.abi) : '';
    case 'cuda-includes':
      return cudaIncludes(torchInfo).join('\n');
    case 'cuda-headers':
      return hasCuda(dir) && cudaIncludes(torchInfo).some((d) => existsSync(join(d, 'cuda_runtime_api.h'))) ? '1' : '0';
    case 'dnnl':
      return hasDnnl(dir) ? '1' : '0';
    default:
      throw new Error(`libtorch-config: unknown query '${what}' (dir, cuda, abi, cuda-includes, cuda-headers, dnnl)`);
  }
}

try {
  console.log(main(process.argv[2]));
} catch (error) {
  console.error(`@yolots/torch build: ${error.message}`);
  process.exit(1);
}
