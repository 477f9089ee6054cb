#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# The onnxruntime-web peer's model for npm run bench:browser: the peer AlexNet of
# bench/torch_alexnet.py (2012 layout without LRN and groups, 227x227, 2 classes), seeded
# init, exported by PyTorch to ONNX (opset 13, batch axis free), plus for each batch a fixed
# input (float32) and PyTorch's logits for it computed in float64 with the same weights, which
# the page checks ORT's logits against. The harness runs it at bench time into an ignored
# folder (the model is about 233 MB: never commit it).
#   python3 bench/browser/export_onnx.py --out DIR --batch 8 [--batch 1] [--size 227]
# Writes DIR/alexnet.onnx, DIR/input-b<N>.bin (float32, NCHW, little-endian),
# DIR/logits-b<N>.bin (float64, [N, 2]) and DIR/meta.json (what was written, by which torch).
import argparse, copy, json, os, sys
import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..'))
from torch_alexnet import peer_alexnet  # noqa: E402  (the one definition of the peer model)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--out', required=True)
    ap.add_argument('--batch', type=int, action='append', required=True)
    ap.add_argument('--size', type=int, default=227)
    ap.add_argument('--seed', type=int, default=1)
    a = ap.parse_args()
    os.makedirs(a.out, exist_ok=True)
    torch.manual_seed(a.seed)
    model = peer_alexnet().eval()
    path = os.path.join(a.out, 'alexnet.onnx')
    with torch.no_grad():
        torch.onnx.export(model, torch.zeros(1, 3, a.size, a.size), path, opset_version=13,
                          input_names=['input'], output_names=['logits'],
                          dynamic_axes={'input': {0: 'batch'}, 'logits': {0: 'batch'}})
    ref = copy.deepcopy(model).double()
    for b in a.batch:
        g = torch.Generator().manual_seed(1000 + b)
        x = torch.rand(b, 3, a.size, a.size, generator=g)
        with torch.no_grad():
            y = ref(x.double())
        x.numpy().astype('<f4').tofile(os.path.join(a.out, f'input-b{b}.bin'))
        y.numpy().astype('<f8').tofile(os.path.join(a.out, f'logits-b{b}.bin'))
    meta = {'torch': torch.__version__, 'size': a.size, 'seed': a.seed, 'batches': sorted(set(a.batch)),
            'parameters': sum(p.numel() for p in model.parameters()), 'bytes': os.path.getsize(path)}
    with open(os.path.join(a.out, 'meta.json'), 'w') as f:
        json.dump(meta, f, indent=1)
    print(f"export_onnx: {path} ({meta['bytes'] / 1e6:.0f} MB, {meta['parameters']} parameters), batches {meta['batches']}")
    return 0


if __name__ == '__main__':
    sys.exit(main())
