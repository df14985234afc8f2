#!/usr/bin/env bash
# Proves the CUDA path on a machine with an NVIDIA GPU: builds the addon against a CUDA libtorch, then runs short
# device=0 runs of train, val and predict (and a 2-GPU distributed training when two GPUs are visible), printing
# PASS/FAIL per check. Exit status: 0 when every check passed, 1 when one failed, 2 when it cannot run here (no GPU,
# no CUDA libtorch, no node_modules) — each said in one line.
#
# The CUDA libtorch is, in order: LIBTORCH=<dir> (an unpacked libtorch from pytorch.org), else the one inside the
# PyTorch that $PYTHON (default python3) imports when it is a CUDA build (as LIBTORCH_USE_PYTORCH=1 builds).
# The addon in packages/torch/build is replaced by the CUDA build; `cd packages/torch && npx node-gyp rebuild`
# (without LIBTORCH) goes back to Debian's CPU libtorch.
#
#   bash scripts/gpu-check.sh            # data: ../shared/datasets/coco8.yaml when present, else the built-in shapes
#   KEEP=1 bash scripts/gpu-check.sh     # keep the run folders (printed) instead of deleting them
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)

cannot() {
  echo "gpu-check: cannot run: $*" >&2
  exit 2
}

# ---- what this machine has ---------------------------------------------------------------------------------------
command -v nvidia-smi >/dev/null 2>&1 || cannot "no NVIDIA GPU here (nvidia-smi not found). Run this on a machine with a GPU and its driver."
gpus=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | grep -c . || true)
[ "$gpus" -ge 1 ] || cannot "nvidia-smi lists no GPU (driver not loaded, or no device visible: CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES:-unset})."
echo "gpu-check: $gpus GPU(s): $(nvidia-smi --query-gpu=name,memory.total --format=csv,noheader | paste -sd ';' -)"
[ -d node_modules ] || cannot "node_modules is missing: run 'npm ci' (or scripts/setup.sh --no-train) first."

python=${PYTHON:-python3}
if [ -n "${LIBTORCH:-}" ]; then
  [ -f "$LIBTORCH/lib/libtorch_cuda.so" ] || cannot "LIBTORCH=$LIBTORCH has no lib/libtorch_cuda.so: it is not a CUDA libtorch."
  echo "gpu-check: building against LIBTORCH=$LIBTORCH"
elif cuda=$("$python" -c 'import torch; print(torch.version.cuda or "")' 2>/dev/null) && [ -n "$cuda" ]; then
  export LIBTORCH_USE_PYTORCH=1
  echo "gpu-check: building against the libtorch of $("$python" -c 'import torch, os; print(os.path.dirname(torch.__file__), torch.__version__)') (CUDA $cuda)"
else
  cannot "no CUDA libtorch: set LIBTORCH=<unpacked CUDA libtorch from pytorch.org>, or install a CUDA PyTorch (pip install torch) and set PYTHON to its interpreter."
fi

# ---- build -------------------------------------------------------------------------------------------------------
log=$(mktemp -t yolots-gpu-build.XXXXXX)
if ! (cd packages/torch && npx node-gyp rebuild -j max >"$log" 2>&1); then
  tail -40 "$log" >&2
  echo "FAIL build: node-gyp rebuild against the CUDA libtorch (full log: $log)" >&2
  exit 1
fi
echo "PASS build: packages/torch/build/Release/yolots_torch.node (log: $log)"

# ---- checks ------------------------------------------------------------------------------------------------------
work=$(mktemp -d -t yolots-gpu-check.XXXXXX)
[ -n "${KEEP:-}" ] || trap 'rm -rf "$work"' EXIT
if [ -f ../shared/datasets/coco8.yaml ]; then
  data=$(cd ../shared/datasets && pwd)/coco8.yaml
  images=$(cd ../shared/datasets/coco8/images/val && pwd)
  data_args=("data=$data")
else
  export YOLOTS_DATASETS_DIR="$work/datasets"
  data_args=("fraction=0.05")
  images=""
fi
passed=0
failed=0
results=()

# check NAME COMMAND...: runs the command (output to $work/NAME.log) and records PASS/FAIL.
check() {
  local name=$1
  shift
  local started=$SECONDS
  if "$@" >"$work/$name.log" 2>&1; then
    results+=("PASS $name ($((SECONDS - started)) s)")
    passed=$((passed + 1))
  else
    results+=("FAIL $name ($((SECONDS - started)) s): $(grep -v '^\s*$' "$work/$name.log" | tail -3 | tr '\n' ' ')")
    failed=$((failed + 1))
  fi
  echo "${results[-1]}"
}

yolo() { node packages/yolo/bin/yolo.js "$@"; }
node_ts() { node --conditions=source --import tsx "$@"; }

check cuda-runtime node_ts -e "
  import * as torch from '@yolots/torch';
  if (!torch.cuda.isBuilt()) throw new Error('the addon loaded a libtorch without CUDA');
  if (torch.cuda.deviceCount() !== $gpus) throw new Error('torch.cuda.deviceCount() = ' + torch.cuda.deviceCount() + ', nvidia-smi lists $gpus');
  const a = torch.randn([256, 256]);
  const d = torch.tidy(() => a.matmul(a).sub(a.to('cuda:0').matmul(a.to('cuda:0')).to('cpu')).abs().max().item());
  torch.cuda.synchronize(0);
  if (!(d < 1e-2)) throw new Error('cuda matmul differs from the CPU by ' + d);
  console.log('matmul on cuda:0 matches the CPU (max diff ' + d + ')');
  const [free, total] = torch.cuda.memGetInfo(0);
  if (!(free > 0 && free <= total)) throw new Error('torch.cuda.memGetInfo(0) = ' + [free, total]);
  console.log('cuda:0 memory: ' + (free / 2 ** 30).toFixed(2) + 'G free of ' + (total / 2 ** 30).toFixed(2) + 'G');
  const reserved = torch.cuda.memoryReserved(0);
  if (reserved === undefined) throw new Error('torch.cuda.memoryReserved: the addon was built without CUDA runtime headers (set CUDA_HOME)');
  if (!(reserved >= 256 * 256 * 4)) throw new Error('torch.cuda.memoryReserved(0) = ' + reserved + ' after a matmul on cuda:0');
  console.log('cuda:0 reserved by libtorch: ' + (reserved / 1e9).toFixed(3) + 'G (the GPU_mem column)');
"
train=(train model=yolov8n.yaml "${data_args[@]}" epochs=2 imgsz=128 batch=8 workers=2 plots=False "project=$work" exist_ok=True)
check train-device0 yolo "${train[@]}" device=0 name=gpu
best="$work/gpu/weights/best.safetensors"
# batch=-1: AutoBatch profiles training steps on the GPU and must settle on a measured batch, not the default.
autobatch() { yolo "${train[@]}" device=0 batch=-1 epochs=1 name=autobatch | tee /dev/stderr | grep 'AutoBatch: Using batch-size' >/dev/null; }
check train-autobatch autobatch
check train-device0-wrote-best test -f "$best"
check val-device0 yolo val "model=$best" "${data_args[@]}" imgsz=128 batch=8 device=0 plots=False
if [ -n "$images" ]; then
  check predict-device0 yolo predict "model=$best" "source=$images" imgsz=128 device=0 save=False
  check predict-device0-half yolo predict "model=$best" "source=$images" imgsz=128 device=0 half=True save=False
fi
# A checkpoint written on the GPU is stored on the CPU side: it loads and validates without one.
check val-cpu-of-gpu-checkpoint yolo val "model=$best" "${data_args[@]}" imgsz=128 batch=8 device=cpu plots=False
if [ "$gpus" -ge 2 ]; then
  check train-ddp-device0,1 yolo "${train[@]}" device=0,1 name=ddp
  check train-ddp-wrote-best test -f "$work/ddp/weights/best.safetensors"
else
  results+=("SKIP train-ddp-device0,1: one GPU visible, a distributed run needs two")
  echo "${results[-1]}"
fi

echo
echo "gpu-check summary ($gpus GPU(s); logs in $work${KEEP:+, kept}):"
printf '  %s\n' "${results[@]}"
echo "  $passed passed, $failed failed"
[ "$failed" -eq 0 ]
