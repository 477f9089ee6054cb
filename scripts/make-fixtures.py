#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates the PyTorch reference fixtures in test/fixtures/ (docs/weights.md lists every tensor).

  layers   conv2d, maxpool, avgpool, lrn, batchnorm, softmax_ce .safetensors (scripts/fixtures/layers.py)
  models   alexnet_{paper,keras-bn,torchvision}.safetensors: a training-mode step at full width
           (dropout masks as the library draws them, BatchNorm batch statistics and running
           statistics), eval-mode logits, one full-size forward; each layer kind's effect on the
           logits is measured and must be >= 1 % (scripts/fixtures/models.py)
  optim    optim_{sgd,adam}.safetensors: five steps of SGD (momentum, dampening, Nesterov, weight
           decay), Adam (weight decay, AMSGrad) and AdamW, every parameter whole after every step
           (scripts/fixtures/optim.py)
  jpeg     jpeg/{progressive,grey,grey-progressive,cmyk}.{jpg,png}: JPEGs and libjpeg's decoding
           (scripts/fixtures/jpeg.py)

Full-size weights are never stored: both sides generate them from the parameter names
(hashInit, src/io/hashinit.ts and scripts/fixtures/common.py, bit-identical).

How to run (from the repository root; torch is NOT a project dependency, only the files are used):
  apt-get install -y python3-torch python3-torchvision python3-pil   # Debian bookworm: torch 1.13.1, torchvision 0.14.1
  /usr/bin/python3 scripts/make-fixtures.py [layers] [models] [optim] [jpeg] [--out DIR]
With no group named, all are written. The script writes safetensors with the `safetensors`
package (pip) when it is importable, else itself (scripts/fixtures/common.py write_safetensors):
the tensor data is the same, only the header's key order and the `writer` field differ.
"""

import argparse
import sys
from pathlib import Path

sys.dont_write_bytecode = True  # no __pycache__ in scripts/
sys.path.insert(0, str(Path(__file__).resolve().parent))

from fixtures import jpeg, layers, models, optim  # noqa: E402
from fixtures.common import OUT_DIR  # noqa: E402

GROUPS = {"layers": layers.write_all, "models": models.write_all, "optim": optim.write_all, "jpeg": jpeg.write_all}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("groups", nargs="*", choices=[[], *GROUPS], help="which fixtures (default: all)")
    parser.add_argument("--out", default=str(OUT_DIR), help="output folder (default: test/fixtures)")
    args = parser.parse_args()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for group in args.groups or GROUPS:
        print(f"{group}:")
        GROUPS[group](out)
    total = sum(p.stat().st_size for p in out.rglob("*") if p.is_file())
    print(f"total {total} bytes in {out}")


if __name__ == "__main__":
    sys.exit(main())
