#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# PyTorch on the CPU, as a PyTorch user has it (Debian's python3-torch with OpenBLAS,
# libopenblas0-openmp), for the same models and steps the library's benchmarks time on a CPU
# driver: the peer AlexNet (2012 layout without LRN and groups, 227x227, 2 classes, dropout
# off, plain SGD lr 0.01) and the cats-vs-dogs recipe's keras-bn AlexNet (BatchNorm, dropout
# 0.5, SGD with momentum 0.9 and weight decay, at a width and input size). Wall time of
# whole steps after a warm-up, median of the timed steps; `--rounds` repeats the set so a
# caller can alternate it with the library's runs on a shared machine.
#   python3 bench/torch_cpu.py [--model peer|keras-bn] [--batch 8] [--size 227] [--width 1]
#                              [--threads 2] [--steps 5] [--json out.json]
import argparse, json, statistics, sys, time
import torch
import torch.nn as nn
from torch_alexnet import peer_alexnet  # the same model as the CUDA benchmark


def keras_bn(width=1.0, size=227, num_classes=2, dropout=0.5):
    # src/models/alexnet.ts, kerasBn: channels scaled and rounded to an even number
    ch = lambda n: n if width == 1 else max(2, 2 * round(n * width / 2))
    features = nn.Sequential(
        nn.Conv2d(3, ch(96), 11, stride=4), nn.BatchNorm2d(ch(96)), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(ch(96), ch(256), 5, padding='same'), nn.BatchNorm2d(ch(256)), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(ch(256), ch(384), 3, padding='same'), nn.BatchNorm2d(ch(384)), nn.ReLU(),
        nn.Conv2d(ch(384), ch(384), 3, padding='same'), nn.BatchNorm2d(ch(384)), nn.ReLU(),
        nn.Conv2d(ch(384), ch(256), 3, padding='same'), nn.BatchNorm2d(ch(256)), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten())
    with torch.no_grad():
        flat = features(torch.zeros(1, 3, size, size)).shape[1]
    return nn.Sequential(features,
        nn.Linear(flat, ch(4096)), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(ch(4096), ch(4096)), nn.ReLU(), nn.Dropout(dropout),
        nn.Linear(ch(4096), num_classes))


def time_steps(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    ts = []
    for _ in range(steps):
        t0 = time.perf_counter()
        fn()
        ts.append((time.perf_counter() - t0) * 1000)
    return statistics.median(ts), min(ts), max(ts)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--model', choices=['peer', 'keras-bn'], default='peer')
    ap.add_argument('--batch', type=int, default=8)
    ap.add_argument('--size', type=int)
    ap.add_argument('--width', type=float, default=1.0)
    ap.add_argument('--threads', type=int, default=2)
    ap.add_argument('--steps', type=int, default=5)
    ap.add_argument('--warmup', type=int, default=2)
    ap.add_argument('--json')
    a = ap.parse_args()
    size = a.size or (227 if a.model == 'peer' else 128)
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    blas = 'OpenBLAS' if 'openblas' in open('/proc/self/maps').read().lower() else 'not OpenBLAS (check libblas.so.3)'
    if a.model == 'peer':
        model = peer_alexnet()
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
    else:
        model = keras_bn(a.width, size)
        opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
    x = torch.rand(a.batch, 3, size, size)
    y = torch.randint(0, 2, (a.batch,))
    loss_fn = nn.CrossEntropyLoss()

    def step():
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()

    def fwd():
        with torch.no_grad():
            model(x)

    name = f'{a.model}' + (f' width {a.width:g}' if a.model != 'peer' else '') + f' {size}px b{a.batch}'
    model.train()
    t_step = time_steps(step, a.warmup, a.steps)
    model.eval()
    t_fwd = time_steps(fwd, a.warmup, a.steps)
    rows = [
        dict(bench=f'torch-cpu {name} train step', ms=t_step[0], ms_min=t_step[1], ms_max=t_step[2], images_per_s=1000 * a.batch / t_step[0]),
        dict(bench=f'torch-cpu {name} forward', ms=t_fwd[0], ms_min=t_fwd[1], ms_max=t_fwd[2], images_per_s=1000 * a.batch / t_fwd[0]),
    ]
    print(f'torch {torch.__version__} CPU, {a.threads} threads, BLAS: {blas}')
    for r in rows:
        print(f"{r['bench']:48s} {r['ms']:9.1f} ms (min {r['ms_min']:.1f}, max {r['ms_max']:.1f}) {r['images_per_s']:8.2f} images/s")
    if a.json:
        with open(a.json, 'w') as fh:
            json.dump(rows, fh, indent=1)
    return 0


if __name__ == '__main__':
    sys.exit(main())
