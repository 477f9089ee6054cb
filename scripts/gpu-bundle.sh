#!/usr/bin/env bash
# Packs what a bare Linux x86-64 GPU machine with no Node.js and no package registry needs to
# run this project's benchmarks: a compressed node binary, the built dist/, a pruned
# node_modules (runtime dependencies, webgpu with linux-x64 only) and the Vulkan loader.
# The result goes into .gpu/ (ignored by git); bench/gpu.sh unpacks and runs it there.
#   bash scripts/gpu-bundle.sh        (after npm run build)
set -euo pipefail
cd "$(dirname "$0")/.."
grep -qx '/.gpu/' .git/info/exclude 2>/dev/null || echo '/.gpu/' >> .git/info/exclude
[ -f dist/bench/run.js ] || { echo "build first: npm run build" >&2; exit 1; }
rm -rf .gpu && mkdir -p .gpu/stage/node_modules/webgpu/dist
echo "compressing node $(node -v) ..."
xz -T2 -6 -c "$(command -v node)" > .gpu/node.xz
for dep in pngjs jpeg-js; do cp -r "node_modules/$dep" .gpu/stage/node_modules/; done
cp node_modules/webgpu/{package.json,index.js,types.d.ts} .gpu/stage/node_modules/webgpu/
cp -r node_modules/webgpu/dist/linux-x64 .gpu/stage/node_modules/webgpu/dist/
tar -C .gpu/stage -czf .gpu/node_modules.tgz node_modules && rm -rf .gpu/stage
tar -czf .gpu/dist.tgz dist
(cd .gpu && apt-get download libvulkan1 libglvnd0 libegl1 libopengl0 libgl1 libglx0 libgles2 >/dev/null 2>&1) || echo "warning: could not download the Vulkan loader and libglvnd (NVIDIA's Vulkan driver lives in libGLX_nvidia, which needs libglvnd)" >&2
du -sh .gpu
