#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine with Node 20 for hyperclone: system packages, npm packages,
# the TypeScript build and the native libtorch addon. Safe to run again (each step is idempotent).
set -euo pipefail
cd "$(dirname "$0")/.."

need_apt=()
dpkg -s libtorch-dev >/dev/null 2>&1 || need_apt+=(libtorch-dev)
# gloo headers: the addon binds libtorch's c10d (TCPStore, ProcessGroupGloo) for data-parallel training
dpkg -s libgloo-dev >/dev/null 2>&1 || need_apt+=(libgloo-dev)
# OpenBLAS: Debian's libtorch otherwise runs matmuls on the reference BLAS, ~20x slower
dpkg -s libopenblas0-openmp >/dev/null 2>&1 || need_apt+=(libopenblas0-openmp)
command -v cmake >/dev/null 2>&1 || need_apt+=(cmake)
command -v g++ >/dev/null 2>&1 || need_apt+=(g++)
# python3-torch (PyTorch 1.13, CPU): the tests run the plain-PyTorch references (benchmarks/reference/gpt.py,
# scripts/fixtures/hf_reference.py) on exported models; HYPERCLONE_PYTORCH_REFERENCE=0 leaves it out
if [ "${HYPERCLONE_PYTORCH_REFERENCE:-1}" != 0 ]; then
  /usr/bin/python3 -c 'import torch, numpy' >/dev/null 2>&1 || need_apt+=(python3-torch python3-numpy)
fi
# transformers' own pure-Python dependencies, where HYPERCLONE_TRANSFORMERS names a transformers checkout to check
# against (scripts/fixtures/hf_transformers.py, packages/hf/test/transformers-check.test.ts)
if [ -n "${HYPERCLONE_TRANSFORMERS:-}" ]; then
  for m in tqdm packaging filelock regex fsspec yaml requests; do
    /usr/bin/python3 -c "import $m" >/dev/null 2>&1 || need_apt+=("python3-$m")
  done
fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "setup: installing Debian packages: ${need_apt[*]}"
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -q
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -q --no-install-recommends "${need_apt[@]}"
fi

echo "setup: npm ci"
npm ci --no-audit --no-fund

echo "setup: building TypeScript (tsc -b)"
npm run build --silent

echo "setup: building the libtorch addon"
npm run build:native --silent

echo "setup: done"
