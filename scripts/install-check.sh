#!/usr/bin/env bash
# CI: yolots works for a user outside this repository. Packs both packages (prepack compiles dist/ with .d.ts),
# installs the tarballs into a fresh app under /tmp that cannot see this repo's node_modules, then runs there, with
# plain node: a CommonJS require, a tiny train + predict (ESM), `npx yolo predict`, a strict user tsconfig's `tsc`
# against the shipped types, and publint + arethetypeswrong on the tarballs.
#
# Kept cheap for CI: npm installs from its cache (--prefer-offline) with --ignore-scripts, as a user whose npm blocks
# dependency install scripts (npm 11's default for registry packages), and the addon @yolots/torch's install script
# would compile is the one this checkout already built, copied in. `--compile` runs the install scripts instead, so
# the addon compiles against the system libtorch (minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
compile=0
[ "${1:-}" = "--compile" ] && compile=1
work=$(mktemp -d /tmp/yolots-install-check-XXXXXX)
trap 'rm -rf "$work"' EXIT
t0=$SECONDS
step() { echo "install-check [$((SECONDS - t0))s]: $*"; }

step "npm pack (prepack: tsc to dist/)"
npm pack --silent --pack-destination "$work" -w packages/torch -w packages/yolo >/dev/null
ls -l "$work"/*.tgz | awk '{print "  " $5 " bytes  " $9}'

app="$work/app"
mkdir -p "$app"
cp scripts/install-check/app.mjs scripts/install-check/app.cjs scripts/install-check/user.ts scripts/install-check/tsconfig.json "$app/"
echo '{ "name": "user-app", "private": true, "type": "module" }' >"$app/package.json"
cd "$app"
typescript=$(node -p "require('$repo/node_modules/typescript/package.json').version")
types_node=$(node -p "require('$repo/node_modules/@types/node/package.json').version")
step "npm install the tarballs (+ typescript@$typescript @types/node@$types_node for the type check)"
install_flags=(--prefer-offline --no-audit --no-fund --loglevel=error)
[ $compile = 0 ] && install_flags+=(--ignore-scripts)
npm install "${install_flags[@]}" "$work"/yolots-torch-*.tgz "$work"/yolots-[0-9]*.tgz "typescript@$typescript" "@types/node@$types_node"
step "installed: node_modules $(du -sh node_modules | cut -f1), $(ls node_modules | wc -l) top-level packages"
if [ -e node_modules/onnxruntime-node ]; then echo "onnxruntime-node was installed: it must stay an optional peer" >&2; exit 1; fi

addon=node_modules/@yolots/torch/build/Release/yolots_torch.node
if [ $compile = 0 ]; then
  step "without the addon, importing says how to build it"
  if out=$(node -e "import('yolots')" 2>&1); then echo "importing yolots without its addon succeeded?" >&2; exit 1; fi
  grep -q "npm rebuild @yolots/torch" <<<"$out" || { echo "unhelpful message: $out" >&2; exit 1; }
  grep -q "npm install @yolots/torch-linux-x64@" <<<"$out" || { echo "the message does not offer the prebuilt: $out" >&2; exit 1; }
  step "missing libtorch headers are caught before compiling"
  if out=$(LIBTORCH=/nonexistent node node_modules/@yolots/torch/scripts/install.mjs 2>&1); then echo "install.mjs passed without headers" >&2; exit 1; fi
  grep -q "apt install libtorch-dev" <<<"$out" || { echo "unhelpful message: $out" >&2; exit 1; }
  mkdir -p "$(dirname "$addon")"
  cp "$repo/packages/torch/build/Release/yolots_torch.node" "$addon"
fi
[ -f "$addon" ] || { echo "no addon at $addon" >&2; exit 1; }

step "node app.cjs"
node app.cjs
step "node app.mjs (train 1 epoch on 8 images at imgsz=64, then predict)"
node app.mjs "$work"
step "npx yolo predict"
npx yolo predict model="$work/runs/train/weights/best.safetensors" source="$work/shapes/images/val" imgsz=64 project="$work/runs" name=predict
[ -n "$(ls "$work/runs/predict")" ] || { echo "yolo predict saved nothing" >&2; exit 1; }
step "tsc --noEmit (strict, noUncheckedIndexedAccess, exactOptionalPropertyTypes, skipLibCheck false)"
npx tsc -p tsconfig.json
cd "$repo"
step "publint"
for tgz in "$work"/yolots-torch-*.tgz "$work"/yolots-[0-9]*.tgz; do npx publint run --strict "$tgz"; done
step "arethetypeswrong (ESM-only profile: CommonJS users require() the ES module, as app.cjs proved)"
for tgz in "$work"/yolots-torch-*.tgz "$work"/yolots-[0-9]*.tgz; do npx attw --profile esm-only "$tgz"; done
step "done"
