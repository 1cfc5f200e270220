#!/usr/bin/env bash
# On a CUDA machine with PyTorch 2.x but no Node.js and no network: unpack the carried node, build the addon
# against the wheel's libtorch, run the conformance suite on cuda (with the step replayed and captured as a CUDA
# graph against the eager step), then time gpt2-124m training in bf16 at each batch in $BATCHES x 1024:
# `hyperclone train` eager, with the step replayed and as a CUDA graph, against the plain PyTorch reference
# eager and under torch.compile (tokens/s, MFU), then ZeRO on NCCL (zero.sh) and, with CLONE_VS_RANDOM=1,
# clone-vs-random. Every step is logged; JSON lands in $OUT.
# Not the packing (pack.sh runs first, on the CPU machine) and not a test gate: later steps run even if one fails.
#
#   bash scripts/gpu/run.sh                       # carry .device-carry; results in $OUT (default tmp/gpu-out)
#   DEVICE=cpu PRESET=tiny BATCHES=4 SEQ=64 IMPLS=train-eager,train,pytorch PYTHON=/usr/bin/python3 bash scripts/gpu/run.sh   # rehearsal on a CPU box
#   CLONE_VS_RANDOM=1 bash scripts/gpu/run.sh     # also the clone-vs-random benchmark afterwards
#   BATCHES=32 SKIP_CONFORMANCE=1 bash scripts/gpu/run.sh   # a second command for the next batch size
set -uo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CARRY=${CARRY:-$ROOT/.device-carry}
OUT=${OUT:-$ROOT/tmp/gpu-out}
DEVICE=${DEVICE:-cuda}
PRESET=${PRESET:-gpt2-124m}
BATCHES=${BATCHES:-${BATCH:-16 32}}
SEQ=${SEQ:-1024}
STEPS=${STEPS:-10}
WARMUP=${WARMUP:-6}  # train-graph: recorded at step 1, 3 uncaptured replays, captured at step 5
ROUNDS=${ROUNDS:-2}
PYTHON=${PYTHON:-python3}
WORK=${WORK:-$ROOT/tmp/gpu-work}
mkdir -p "$OUT" "$WORK"
exec > >(tee -a "$OUT/run.log") 2>&1
step() { echo; echo "=== [$(date +%T) +${SECONDS}s] $*"; }
STATUS=0
fail() { echo "!!! $*"; STATUS=1; }

IMPLS=${IMPLS:-train-eager,train,train-graph,pytorch,pytorch-compile}
[ "$DEVICE" = cuda ] || IMPLS=${IMPLS//,train-graph/}

step "host: $(uname -srm), $(nproc) cores; device $DEVICE; preset $PRESET batches $BATCHES seq $SEQ steps $STEPS; impls $IMPLS"
command -v nvidia-smi >/dev/null && nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
ls -la "$CARRY" || { echo "no $CARRY: run scripts/gpu/pack.sh and carry .device-carry"; exit 2; }

step "unpack node"
NODE="$WORK/node"
if [ ! -x "$NODE" ] || [ "$("$NODE" --version 2>/dev/null)" != "$(cat "$CARRY/node.version")" ]; then
  if command -v xz >/dev/null; then
    xz -dc "$CARRY/node.xz" > "$NODE.partial"
  else
    "$PYTHON" -c 'import lzma, shutil, sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], "wb"))' "$CARRY/node.xz" "$NODE.partial"
  fi
  mv "$NODE.partial" "$NODE" && chmod +x "$NODE"
fi
"$NODE" --version || { echo "the carried node does not run here"; exit 2; }

step "python and torch"
"$PYTHON" - > "$OUT/torch-info.json" <<'PY' || { echo "python3 cannot import torch"; exit 2; }
import json, os, torch
info = {"torch": torch.__version__, "dir": os.path.dirname(torch.__file__), "cuda": torch.version.cuda,
        "cudaAvailable": torch.cuda.is_available(), "abi": int(torch._C._GLIBCXX_USE_CXX11_ABI),
        "device": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
print(json.dumps(info))
PY
cat "$OUT/torch-info.json"
TORCH_DIR=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["dir"])' "$OUT/torch-info.json")
export TORCH_CXX11_ABI=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["abi"])' "$OUT/torch-info.json")
export HYPERCLONE_DEVICE_NAME=$("$PYTHON" -c 'import json,sys; print(json.load(open(sys.argv[1]))["device"] or "")' "$OUT/torch-info.json")
[ -n "$HYPERCLONE_DEVICE_NAME" ] || unset HYPERCLONE_DEVICE_NAME
if [ -f "$TORCH_DIR/share/cmake/Torch/TorchConfig.cmake" ]; then export LIBTORCH="$TORCH_DIR"; else echo "no share/cmake/Torch in $TORCH_DIR: using the system libtorch"; fi

step "build the addon (g++ directly; cmake as a fallback)"
export NODE_API_INC="$CARRY/include/node-api" NODE_ADDON_API_DIR="$CARRY/include/node-addon-api"
export HYPERCLONE_TORCH_ADDON="$ROOT/packages/backend-torch/build/Release/hyperclone_torch.node"
BUILD="packages/backend-torch/scripts/build-native.mjs"
timeout "${BUILD_SECONDS:-420}" "$NODE" "$BUILD" --mode direct --jobs "$(nproc)" \
  || { command -v cmake >/dev/null && timeout "${BUILD_SECONDS:-420}" "$NODE" "$BUILD" --mode cmake --jobs "$(nproc)"; } \
  || { echo "the addon did not build; see the compiler output above"; exit 3; }

if [ "${SKIP_CONFORMANCE:-0}" != 1 ]; then
  step "conformance on $DEVICE (and the step replayed, and as a CUDA graph, against the eager step)"
  timeout "${CONFORMANCE_SECONDS:-240}" "$NODE" "$CARRY/js/conformance.mjs" --device "$DEVICE" --out "$OUT/conformance-$DEVICE.json" \
    || fail "conformance reported failures (see above and $OUT/conformance-$DEVICE.json)"
fi

AUTOCAST=none; [ "$DEVICE" = cuda ] && AUTOCAST=bf16
for BATCH in $BATCHES; do
  step "throughput: $PRESET, batch $BATCH x $SEQ: hyperclone train eager / replayed / CUDA graph against PyTorch eager and torch.compile"
  timeout "${THROUGHPUT_SECONDS:-420}" "$NODE" "$CARRY/js/throughput.mjs" --device "$DEVICE" --autocast "$AUTOCAST" --presets "$PRESET" \
    --batch "$BATCH" --seq "$SEQ" --steps "$STEPS" --warmup "$WARMUP" --rounds "$ROUNDS" --impls "$IMPLS" \
    --data "$CARRY/data/ts4k" --cli "$CARRY/js/hyperclone.mjs" --python "$PYTHON" --reference-dir "$ROOT/benchmarks/reference" \
    --out "$OUT/throughput-$DEVICE-b$BATCH.json" \
    || fail "the throughput benchmark failed at batch $BATCH"
done

step "ZeRO on one GPU: NCCL's process group of size 1, stages 0, 1 and 2, and the memory plan (bundled CLI)"
NODE="$NODE" CARRY="$CARRY" OUT="$OUT" DEVICE="$DEVICE" ZERO_WORK="$WORK" bash scripts/gpu/zero.sh \
  || fail "ZeRO on $DEVICE failed"

if [ "${CLONE_VS_RANDOM:-0}" = 1 ]; then
  step "clone vs random on TinyStories (bundled CLI, torch on $DEVICE)"
  NODE="$NODE" CARRY="$CARRY" OUT="$OUT" DEVICE="$DEVICE" BENCH_WORK="$WORK" bash scripts/gpu/clone-vs-random.sh \
    || fail "the clone-vs-random benchmark did not finish"
fi

step "done (status $STATUS); results in $OUT:"
ls -la "$OUT"
exit $STATUS
