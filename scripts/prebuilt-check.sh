#!/usr/bin/env bash
# The prebuilt addon works on a machine with no libtorch and no compiler: builds @yolots/torch-linux-x64
# (scripts/build-prebuilt.sh), packs it with @yolots/torch, then, in a private mount namespace (root: unshare -m) where
# libtorch's headers, every system copy of a bundled library and the C/C++ compilers are hidden, installs the
# tarballs into a fresh app under /tmp (install scripts on: @yolots/torch's must not try to compile) and runs a tiny
# conv + matmul forward/backward + SGD step with plain node (scripts/prebuilt-check/app.mjs). Prints the sizes and
# the install time. `--no-build` reuses packages/torch-linux-x64/lib from an earlier build.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
pkg=packages/torch-linux-x64

if [ "${YOLOTS_PREBUILT_NAMESPACE:-}" != 1 ]; then
  if [ "$(id -u)" != 0 ] || ! unshare -m true 2>/dev/null; then
    echo "prebuilt-check: needs root allowed to make a mount namespace (unshare -m: CAP_SYS_ADMIN; in Docker, --privileged or --cap-add SYS_ADMIN)" >&2
    exit 1
  fi
  [ "${1:-}" = "--no-build" ] || bash scripts/build-prebuilt.sh >/dev/null
  work=$(mktemp -d /tmp/yolots-prebuilt-check-XXXXXX)
  trap 'rm -rf "$work"' EXIT
  npm pack --silent --pack-destination "$work" -w packages/torch >/dev/null
  npm pack --silent --pack-destination "$work" "./$pkg" >/dev/null
  echo "prebuilt-check: tarballs"
  ls -l "$work"/*.tgz | awk '{printf "  %10d bytes  %s\n", $5, $9}'
  # Mounts made inside the namespace vanish with it; the system is never touched.
  YOLOTS_PREBUILT_NAMESPACE=1 WORK=$work unshare -m --propagation private bash "$0"
  exit 0
fi

# libtorch's headers, and every file behind a system copy of the libraries the prebuilt bundles, libtorch's own.
for dir in /usr/include/torch /usr/include/ATen /usr/include/c10 /usr/include/caffe2; do
  if [ -d "$dir" ]; then mount -t tmpfs none "$dir"; fi
done
declare -A hidden
for lib in "$pkg"/lib/*.so* /usr/lib/x86_64-linux-gnu/libtorch*.so* /usr/lib/x86_64-linux-gnu/libc10*.so*; do
  for copy in /usr/lib/x86_64-linux-gnu/"$(basename "$lib")" /usr/lib/"$(basename "$lib")"; do
    file=$(readlink -f "$copy")
    if [ -f "$file" ] && [ -z "${hidden[$file]:-}" ]; then mount --bind /dev/null "$file" && hidden[$file]=1; fi
  done
done
for tool in gcc g++ cc c++ cpp make; do
  path=$(command -v "$tool" || true)
  if [ -n "$path" ] && [ -f "$(readlink -f "$path")" ]; then mount --bind /dev/null "$(readlink -f "$path")"; fi
done
echo "prebuilt-check: hidden here: libtorch's headers, ${#hidden[@]} system library files, the compilers"

# The source build cannot load here, and headers for a new one are gone: the prebuilt is all there is.
if out=$(node -e "require('$repo/packages/torch/build/Release/yolots_torch.node')" 2>&1); then
  echo "prebuilt-check: the source build still loads: the system libtorch is not hidden" >&2
  exit 1
fi
echo "  the source build fails to load: $(grep -m1 -o 'Error: .*' <<<"$out")"
[ ! -e /usr/include/ATen/ATen.h ] || { echo "prebuilt-check: ATen/ATen.h still visible" >&2; exit 1; }
if g++ --version >/dev/null 2>&1; then echo "prebuilt-check: g++ still runs" >&2; exit 1; fi

app=$WORK/app
mkdir -p "$app"
cp scripts/prebuilt-check/app.mjs "$app/"
echo '{ "name": "prebuilt-user-app", "private": true, "type": "module" }' >"$app/package.json"
cd "$app"
t0=$(date +%s%N)
npm install --prefer-offline --no-audit --no-fund --loglevel=error "$WORK"/yolots-torch-0*.tgz "$WORK"/yolots-torch-linux-x64-*.tgz
ms=$((($(date +%s%N) - t0) / 1000000))
[ ! -e node_modules/@yolots/torch/build ] || { echo "prebuilt-check: the install compiled an addon" >&2; exit 1; }
# npm may have skipped the install script (npm 11 blocks dependency scripts): run it as an approved one would run.
grep -q "using the prebuilt addon" <(node node_modules/@yolots/torch/scripts/install.mjs) || { echo "prebuilt-check: install.mjs did not take the prebuilt" >&2; exit 1; }
echo "prebuilt-check: npm install took $((ms / 1000)).$((ms % 1000 / 100)) s (scripts on, npm cache warm);" \
  "node_modules/@yolots/torch-linux-x64: $(du -sb node_modules/@yolots/torch-linux-x64 | cut -f1) bytes," \
  "whole node_modules: $(du -sb node_modules | cut -f1) bytes"
node app.mjs
echo "prebuilt-check: ok"
