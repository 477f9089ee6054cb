#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
# PyTorch reference timing for the same AlexNet step that bench/alexnet.ts times: the 2012
# layout without LRN and groups, 227x227, 2 classes, dropout off, softmax cross-entropy,
# plain SGD lr 0.01. FP32 with TF32 off, then with TF32 on (cuDNN and cuBLAS), cudnn.benchmark
# on. CUDA events around each step, warm-up first, median of the timed steps. Also times each
# conv/linear layer's forward alone, for the per-GEMM comparison in BENCHMARKS.md.
#   python3 bench/torch_alexnet.py [--batch 128] [--steps 20] [--json out.json]
import argparse, json, statistics, sys
import torch
import torch.nn as nn

def peer_alexnet(num_classes=2):
    return nn.Sequential(
        nn.Conv2d(3, 96, 11, stride=4), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(96, 256, 5, padding=2), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Conv2d(256, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 384, 3, padding=1), nn.ReLU(),
        nn.Conv2d(384, 256, 3, padding=1), nn.ReLU(), nn.MaxPool2d(3, 2),
        nn.Flatten(),
        nn.Linear(9216, 4096), nn.ReLU(), nn.Linear(4096, 4096), nn.ReLU(), nn.Linear(4096, num_classes))

def time_cuda(fn, warmup, steps):
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    ts = []
    for _ in range(steps):
        a, b = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        a.record(); fn(); b.record(); b.synchronize()
        ts.append(a.elapsed_time(b))
    return statistics.median(ts)

def main():
    ap = argparse.ArgumentParser()
    ap.add_argument('--batch', type=int, default=128)
    ap.add_argument('--size', type=int, default=227)
    ap.add_argument('--steps', type=int, default=20)
    ap.add_argument('--json')
    a = ap.parse_args()
    if not torch.cuda.is_available():
        print('no CUDA device', file=sys.stderr); return 1
    dev = torch.device('cuda')
    torch.backends.cudnn.benchmark = True
    rows = []
    print(f'torch {torch.__version__}, cuDNN {torch.backends.cudnn.version()}, {torch.cuda.get_device_name()}')
    for tf32 in (False, True):
        torch.backends.cuda.matmul.allow_tf32 = tf32
        torch.backends.cudnn.allow_tf32 = tf32
        torch.manual_seed(1)
        model = peer_alexnet().to(dev)
        opt = torch.optim.SGD(model.parameters(), lr=0.01)
        x = torch.rand(a.batch, 3, a.size, a.size, device=dev)
        y = torch.randint(0, 2, (a.batch,), device=dev)
        loss_fn = nn.CrossEntropyLoss()
        def step():
            opt.zero_grad(set_to_none=True)
            loss = loss_fn(model(x), y)
            loss.backward()
            opt.step()
        def fwd():
            with torch.no_grad():
                model(x)
        mode = 'TF32' if tf32 else 'FP32'
        model.train(); t_step = time_cuda(step, 5, a.steps)
        model.eval(); t_fwd = time_cuda(fwd, 5, a.steps)
        rows.append(dict(bench=f'torch AlexNet train step b{a.batch}', mode=mode, ms=t_step, images_per_s=1000 * a.batch / t_step))
        rows.append(dict(bench=f'torch AlexNet forward b{a.batch}', mode=mode, ms=t_fwd, images_per_s=1000 * a.batch / t_fwd))
        print(f'{mode}: train step {t_step:8.2f} ms {1000 * a.batch / t_step:9.1f} images/s   forward {t_fwd:8.2f} ms {1000 * a.batch / t_fwd:9.1f} images/s')
        # each conv / linear layer's forward alone (input captured from a forward pass)
        acts = []
        hooks = [m.register_forward_hook(lambda m, i, o: acts.append((m, i[0].detach()))) for m in model if isinstance(m, (nn.Conv2d, nn.Linear))]
        with torch.no_grad():
            model(x)
        for h in hooks:
            h.remove()
        for idx, (m, inp) in enumerate(acts):
            with torch.no_grad():
                out = m(inp)
            if isinstance(m, nn.Conv2d):
                k = m.kernel_size[0] * m.kernel_size[1] * m.in_channels
                flops = 2 * out.numel() * k
            else:
                flops = 2 * out.numel() * m.in_features
            def f(m=m, inp=inp):
                with torch.no_grad():
                    m(inp)
            t = time_cuda(f, 3, 10)
            name = f'{type(m).__name__} {tuple(inp.shape)}->{tuple(out.shape)}'
            rows.append(dict(bench=f'torch layer fwd {idx}', mode=mode, shape=name, ms=t, gflops=flops / t / 1e6))
            print(f'  {mode} {name:48s} {t:8.3f} ms {flops / t / 1e6:10.1f} GFLOP/s')
        del model, opt
        torch.cuda.empty_cache()
    if a.json:
        with open(a.json, 'w') as fh:
            json.dump(rows, fh, indent=1)
    return 0

if __name__ == '__main__':
    sys.exit(main())
