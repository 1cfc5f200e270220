#!/usr/bin/env bash
# Prepares .device-carry/ for a CUDA machine without Node.js or network: a compressed node binary, bundled JS
# (throughput benchmark and conformance runner) and the Node-API headers the addon build needs.
# Not the run itself (run.sh) and not a build of the addon: that happens on the GPU box against its libtorch.
#
#   bash scripts/gpu/pack.sh        # then carry .device-carry (and run: bash scripts/gpu/run.sh)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$(pwd)
CARRY="$ROOT/.device-carry"
log() { echo "[pack $(date +%T)] $*"; }

mkdir -p "$CARRY/js" "$CARRY/include/node-api" "$CARRY/include/node-addon-api"

NODE_BIN=$(readlink -f "$(command -v node)")
NODE_VERSION=$(node --version)
if [ -f "$CARRY/node.xz" ] && [ "$(cat "$CARRY/node.version" 2>/dev/null)" = "$NODE_VERSION" ]; then
  log "node $NODE_VERSION already packed"
else
  log "packing node $NODE_VERSION from $NODE_BIN (strip + xz, ~1 min)"
  tmp=$(mktemp -d)
  cp "$NODE_BIN" "$tmp/node"
  strip "$tmp/node" 2>/dev/null || log "strip unavailable: packing the unstripped binary"
  xz -T0 -6 -c "$tmp/node" > "$CARRY/node.xz.partial"
  mv "$CARRY/node.xz.partial" "$CARRY/node.xz"
  echo "$NODE_VERSION" > "$CARRY/node.version"
  rm -rf "$tmp"
fi

log "bundling the throughput benchmark and the conformance runner (esbuild, @hyperclone/source)"
ESBUILD="$ROOT/node_modules/.bin/esbuild"
[ -x "$ESBUILD" ] || { echo "pack: esbuild is missing from node_modules; run npm ci" >&2; exit 1; }
BANNER="import { createRequire as __hcCreateRequire } from 'node:module'; const require = __hcCreateRequire(import.meta.url);"
bundle() {
  "$ESBUILD" "$1" --bundle --platform=node --format=esm --target=node20 --conditions=@hyperclone/source \
    --external:@hyperclone/backend-tfjs --external:@xenova/transformers --banner:js="$BANNER" --log-level=warning --outfile="$2"
}
bundle benchmarks/throughput.ts "$CARRY/js/throughput.mjs"
bundle scripts/gpu/conformance.ts "$CARRY/js/conformance.mjs"
bundle packages/cli/src/main.ts "$CARRY/js/hyperclone.mjs"

# the TinyStories token dataset (bpe:4096) for the clone-vs-random benchmark, prepared here (the GPU box has no corpus)
if [ ! -f "$CARRY/data/ts4k/meta.json" ]; then
  log "preparing TinyStories (bpe:4096) into $CARRY/data/ts4k"
  # the three TinyStories files fixtures/corpora/tinystories/NOTICE.md names, whole (the repository keeps their heads)
  TS=${TINYSTORIES:?set TINYSTORIES to a folder holding train_v2gpt4_head10k.txt, train_v1_head.txt and valid_v1_head.txt (sources: fixtures/corpora/tinystories/NOTICE.md)}
  npx tsx --conditions=@hyperclone/source packages/cli/src/main.ts prepare --input "$TS/train_v2gpt4_head10k.txt" "$TS/train_v1_head.txt" \
    --val-input "$TS/valid_v1_head.txt" --tokenizer bpe:4096 --out "$CARRY/data/ts4k"
fi

log "copying Node-API headers"
cp node_modules/node-api-headers/include/*.h "$CARRY/include/node-api/"
cp node_modules/node-addon-api/napi.h node_modules/node-addon-api/napi-inl.h node_modules/node-addon-api/napi-inl.deprecated.h "$CARRY/include/node-addon-api/"

{
  echo "{"
  echo "  \"packedAt\": \"$(date -u +%FT%TZ)\","
  echo "  \"node\": \"$NODE_VERSION\","
  echo "  \"commit\": \"$(git rev-parse HEAD 2>/dev/null || echo unknown)\","
  echo "  \"files\": {"
  (cd "$CARRY" && find node.xz node.version js include data -type f | sort | while read -r f; do
    echo "    \"${f#./}\": \"$(sha256sum "$f" | cut -c1-16) $(stat -c %s "$f")\","
  done) | sed '$ s/,$//'
  echo "  }"
  echo "}"
} > "$CARRY/manifest.json"
log "done: $(du -sh "$CARRY" | cut -f1) in $CARRY (carry limit 64 MiB)"
