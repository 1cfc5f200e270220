#!/usr/bin/env bash
# On the GPU box, after run.sh has unpacked node and built the addon: ZeRO through NCCL on one GPU. The bundled CLI
# joins a process group of size 1 by the torchrun variables (NCCL on cuda), trains tiny 20 steps with
# --zero-stage 0, 1 and 2 (the sharded path calls NCCL's _reduce_scatter_base and _allgather_base even alone),
# compares the traces, and prints the memory plan of gpt2-124m on an 80 GiB device. Results in $OUT/zero-nccl.json.
# Not standalone: run.sh sets NODE, CARRY, OUT, DEVICE and HYPERCLONE_TORCH_ADDON.
#
#   DEVICE=cpu ... bash scripts/gpu/zero.sh      # a rehearsal on a CPU box takes Gloo instead
set -uo pipefail
: "${NODE:?}" "${CARRY:?}" "${OUT:?}"
DEVICE=${DEVICE:-cuda}
WORK_DIR=${ZERO_WORK:-$(mktemp -d)}/zero
CLI="$CARRY/js/hyperclone.mjs"
PORT=${ZERO_PORT:-29611}
rm -rf "$WORK_DIR" && mkdir -p "$WORK_DIR" "$OUT"
run() {
  timeout "${ZERO_SECONDS:-180}" "$NODE" "$CLI" train --data "$CARRY/data/ts4k" --model tiny --backend torch --device "$DEVICE" \
    --steps 20 --batch-size 8 --seq-len 128 --eval-every 10 --eval-windows 8 --seed 3 "$@"
}
status=0
for stage in 0 1 2; do
  echo "zero stage $stage, a group of 1 on $DEVICE"
  RANK=0 LOCAL_RANK=0 WORLD_SIZE=1 LOCAL_WORLD_SIZE=1 MASTER_ADDR=127.0.0.1 MASTER_PORT=$((PORT + stage)) \
    run --out "$WORK_DIR/stage$stage" --zero-stage "$stage" || { echo "!!! stage $stage failed"; status=1; }
done
"$NODE" - "$WORK_DIR" "$OUT/zero-nccl.json" "$DEVICE" <<'JS' || status=1
const fs = require('fs');
const [dir, out, device] = process.argv.slice(2);
const trace = (s) => fs.readFileSync(`${dir}/stage${s}/metrics.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
const worst = (a, b) => Math.max(...a.map((r, i) => Math.max(Math.abs(r.loss - b[i].loss), Math.abs(r.gradNorm - b[i].gradNorm))));
const [t0, t1, t2] = [0, 1, 2].map(trace);
const result = { device, steps: t0.length, zero1VsZero0: worst(t1, t0), zero2VsZero0: worst(t2, t0), finalLoss: t0.at(-1).loss };
fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
console.log(JSON.stringify(result));
if (!(result.zero1VsZero0 < 1e-5 && result.zero2VsZero0 < 1e-5)) { console.log('!!! the traces differ by more than 1e-5'); process.exit(1); }
JS
echo "memory plan of gpt2-124m, batch 16 x 1024, on an 80 GiB device"
run --out "$WORK_DIR/plan" --model gpt2-124m --batch-size 16 --seq-len 1024 --device-memory 80 --dry-run | tee "$OUT/zero-plan.txt"
exit $status
