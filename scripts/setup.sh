#!/usr/bin/env bash
# Sets up everything on a fresh Debian 12 + Node 20 machine (as root): Debian packages, npm install, the
# native addon build; then runs the main job (yolo train on the built-in dataset) unless --no-train is given. Safe to re-run: each step is
# skipped when its result is already there.
set -euo pipefail
cd "$(dirname "$0")/.."
apt_packages="libtorch-dev libdnnl-dev libopenblas0-pthread libgloo-dev python3-torch python3-opencv fonts-dejavu-core ffmpeg"
missing=""
for p in $apt_packages; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "setup: installing Debian packages:$missing"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm install"
  # onnxruntime-node bundles its CPU library; its install script would download the CUDA add-on (no network here).
  ONNXRUNTIME_NODE_INSTALL=skip npm ci --no-audit --no-fund
fi
if [ ! -f packages/torch/build/Release/yolots_torch.node ] || [ -n "$(find packages/torch/native packages/torch/binding.gyp -newer packages/torch/build/Release/yolots_torch.node 2>/dev/null)" ]; then
  echo "setup: building the native addon"
  (cd packages/torch && npx node-gyp rebuild -j max >/dev/null)
fi
if [ "${1:-}" != "--no-train" ]; then
  # The main job: `yolo train` with no data= trains YOLOv8n from scratch on the built-in shapes dataset
  # (generated on first use), sized to finish in a few CPU minutes.
  exec npx yolo train model=yolov8n.yaml epochs=22 imgsz=160 batch=8 nbs=8 optimizer=AdamW lr0=0.002 warmup_epochs=1 close_mosaic=3
fi
