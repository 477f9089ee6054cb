#!/usr/bin/env bash
# Runs the benchmarks on a bare Linux x86-64 GPU machine that has no Node.js: unpacks what
# scripts/gpu-bundle.sh put into .gpu/ (node, node_modules, dist, the Vulkan loader), then
# runs the chosen benchmarks and the PyTorch comparison, writing logs under $OUT.
#   bash bench/gpu.sh [probe] [matmul] [conv] [train] [torch]    (default: all, torch before train
#   so the train rows give the ratio to PyTorch; GEMM=tiled|prefetch picks matmul/05 or 06 for the
#   GPU path, BK=16 06's K step, TUNE=1 autotunes the train bench's kernels first)
set -uo pipefail
cd "$(dirname "$0")/.."
OUT=${OUT:-/tmp/bench-out}; mkdir -p "$OUT"
what=${*:-probe matmul conv torch train}
for f in .gpu/*.deb; do [ -f "$f" ] && dpkg -x "$f" /; done; ldconfig
[ -x /tmp/node ] || { xz -dc .gpu/node.xz > /tmp/node && chmod +x /tmp/node; }
[ -d node_modules/webgpu ] || tar -xzf .gpu/node_modules.tgz
[ -f dist/bench/run.js ] || tar -xzf .gpu/dist.tgz
# the NVIDIA driver's own ICD file (an ICD registered in /usr/share/vulkan names libGLX_nvidia,
# which fails without a display); VK_DRIVER_FILES set by the caller wins
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f /usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json ]; then
  export VK_DRIVER_FILES=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
fi
NODE=/tmp/node
nvidia-smi --query-gpu=name,driver_version,clocks.sm,clocks.max.sm,power.limit --format=csv 2>&1 | tee "$OUT/nvidia-smi.txt"
for w in $what; do
  echo "=== $w"
  case $w in
    probe) $NODE scripts/probe-adapter.mjs --verbose 2>&1 | tee "$OUT/probe.txt" ;;
    matmul) timeout 300 $NODE dist/bench/run.js matmul 2>&1 | tee "$OUT/matmul.txt" ;;
    conv) timeout 300 $NODE dist/bench/conv2d-cli.js --batch "${CONV_BATCH:-128}" --skip-slow --repeats 5 ${GEMM:+--gemm $GEMM} ${BK:+--bk $BK} 2>&1 | tee "$OUT/conv${GEMM:+-$GEMM}${BK:+-bk$BK}.txt" ;;
    train) tj=(); [ -f "$OUT/torch.json" ] && tj=(--torch "$OUT/torch.json")
           timeout 540 $NODE dist/bench/run.js train --batch "${BATCH:-128}" --steps 20 --warmup 12 "${tj[@]}" ${GEMM:+--gemm $GEMM} ${BK:+--bk $BK} ${TUNE:+--tune} 2>&1 | tee "$OUT/train${GEMM:+-$GEMM}${BK:+-bk$BK}${TUNE:+-tuned}.txt" ;;
    torch) PYTHONUNBUFFERED=1 timeout 300 python3 bench/torch_alexnet.py --batch "${BATCH:-128}" --json "$OUT/torch.json" 2>&1 | tee "$OUT/torch.txt" ;;
    *) echo "unknown: $w" ;;
  esac
done
