#!/usr/bin/env bash
# On the GPU box, after run.sh has unpacked node and built the addon: the clone-vs-random benchmark on
# TinyStories (bpe:4096, cpu-128 -> 2x cpu-256, every variant, 3 seeds) with the bundled CLI, packed as
# one archive under $OUT. Not standalone: run.sh sets NODE, CARRY, OUT, DEVICE and HYPERCLONE_TORCH_ADDON.
#
#   BENCH_BUDGET=400 BENCH_SECONDS=300 bash scripts/gpu/clone-vs-random.sh
set -uo pipefail
: "${NODE:?}" "${CARRY:?}" "${OUT:?}"
DEVICE=${DEVICE:-cuda}
BUDGET=${BENCH_BUDGET:-400}
SMALL_STEPS=${BENCH_SMALL_STEPS:-$BUDGET}
SECONDS_LIMIT=${BENCH_SECONDS:-300}
VARIANTS=${BENCH_VARIANTS:-symmetric,noisy-symmetric,diagonal,noisy-diagonal}
SMALL=${BENCH_SMALL:-cpu-128}
BATCH=${BENCH_BATCH:-16}
SEQ=${BENCH_SEQ:-256}
WORK_DIR=${BENCH_WORK:-$(mktemp -d)}/tinystories-bench

echo "clone-vs-random: $SMALL -> 2x, variants $VARIANTS, 3 seeds, $BUDGET steps of $BATCH x $SEQ on $DEVICE (limit ${SECONDS_LIMIT}s)"
timeout "$SECONDS_LIMIT" "$NODE" "$CARRY/js/hyperclone.mjs" bench clone-vs-random \
  --data "$CARRY/data/ts4k" --small "$SMALL" --small-steps "$SMALL_STEPS" --width 2 --variants "$VARIANTS" --seeds 3 \
  --budget "$BUDGET" --batch-size "$BATCH" --seq-len "$SEQ" --lr 2e-3 --warmup 40 --eval-every $((BUDGET / 20)) \
  --eval-windows 128 --backend torch --device "$DEVICE" --out "$WORK_DIR"
status=$?
[ $status -eq 124 ] && echo "clone-vs-random: stopped at the ${SECONDS_LIMIT}s limit; packing what finished"
# eval.jsonl, summary.json and config.json of every run, plus the report: small enough to bring back
(cd "$(dirname "$WORK_DIR")" && tar czf "$OUT/clone-vs-random.tgz" --exclude='checkpoints' "$(basename "$WORK_DIR")")
ls -la "$OUT/clone-vs-random.tgz"
exit $status
