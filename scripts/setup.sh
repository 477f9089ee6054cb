#!/usr/bin/env bash
# One-step set-up on a fresh Debian 12 machine with Node and npm: npm dependencies, build,
# and a software Vulkan driver (Mesa lavapipe) when WebGPU finds no adapter.
# --browsers: also Debian's chromium and firefox-esr for `npm run test:browser`.
# --bench: also Debian's python3-torch and OpenBLAS for the side-by-side benchmarks
#          (bench/torch_cpu.py, and the ONNX model of `npm run bench:browser`).
set -euo pipefail
cd "$(dirname "$0")/.."
browsers=0
bench=0
for arg in "$@"; do
  case "$arg" in
    --browsers) browsers=1 ;;
    --bench) bench=1 ;;
    *) echo "setup: unknown option $arg (known: --browsers, --bench)" >&2; exit 2 ;;
  esac
done

if [ -f package-lock.json ]; then npm ci --no-audit --no-fund; else npm install --no-audit --no-fund; fi
npm run build --silent

if ! node scripts/probe-adapter.mjs; then
  echo "setup: no WebGPU adapter; installing Mesa lavapipe (software Vulkan)"
  bash scripts/install-lavapipe.sh
  node scripts/probe-adapter.mjs || {
    echo "setup: still no WebGPU adapter after installing lavapipe" >&2
    exit 1
  }
fi

if [ "$browsers" = 1 ]; then bash scripts/install-browsers.sh; fi
if [ "$bench" = 1 ]; then bash scripts/install-bench.sh; fi
