#!/usr/bin/env bash
# Installs what the side-by-side benchmarks need beside the library, from Debian's packages:
# python3-torch (PyTorch on the CPU for bench/torch_cpu.py, and the ONNX export of the peer
# AlexNet that `npm run bench:browser` runs in onnxruntime-web) and libopenblas0-openmp (the
# BLAS a PyTorch user has; Debian's python3-torch otherwise runs on the reference BLAS, about
# half as fast). Does nothing when both are present. Needs root (apt-get); says how otherwise.
set -euo pipefail

missing=()
/usr/bin/python3 -c 'import torch' 2>/dev/null || missing+=(python3-torch)
dpkg -s libopenblas0-openmp >/dev/null 2>&1 || missing+=(libopenblas0-openmp)
if [ ${#missing[@]} -eq 0 ]; then
  echo "install-bench: python3-torch and libopenblas0-openmp are installed"
  exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
  echo "install-bench: missing ${missing[*]}; install as root with:" >&2
  echo "  sudo apt-get update && sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi

echo "install-bench: installing ${missing[*]} with apt-get"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
