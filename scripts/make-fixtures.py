#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Generates the PyTorch reference fixtures in test/fixtures/ (safetensors files).

What it writes (all float32 unless noted, fixed seeds; docs/weights.md lists every tensor):
  conv2d.safetensors      F.conv2d forward and backward, 5 cases (groups, stride 4 k11, dilation, ...)
  maxpool.safetensors     F.max_pool2d forward and backward
  avgpool.safetensors     F.avg_pool2d and F.adaptive_avg_pool2d((6, 6)) forward and backward
  lrn.safetensors         nn.LocalResponseNorm(5, alpha=5e-4, beta=0.75, k=2) forward and backward
  batchnorm.safetensors   BatchNorm2d / BatchNorm1d, train mode (output, grads, new running stats)
                          and eval mode output
  softmax_ce.safetensors  cross_entropy (plain and label_smoothing=0.1), log_softmax, softmax,
                          binary_cross_entropy_with_logits
  alexnet_torchvision.safetensors, alexnet_paper.safetensors
                          full-model parity: weights from hashInit (src/io/hashinit.ts), logits,
                          loss, gradient sums and samples, one SGD step and one Adam step (samples)
Layer fixtures use loss = (y * g).sum() for a stored random g, so dx = dL/dx etc.
Every file records the torch version, the writer and its own conventions in __metadata__.

How to run (from the repository root; torch is NOT a project dependency, only the files are used):
  apt-get install -y python3-torch python3-torchvision   # Debian bookworm: torch 1.13.1, torchvision 0.14.1
  /usr/bin/python3 scripts/make-fixtures.py
The committed fixtures were written by torch 1.13.1 (Debian's 1.13.0a0 build) through the
`safetensors` package (pip, 0.8.0), which the script uses when it is importable; without it the
script writes the same format itself (write_safetensors below).
"""

import json
import math
import struct
import sys
from pathlib import Path

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

OUT_DIR = Path(__file__).resolve().parent.parent / "test" / "fixtures"
MAX_FILE_BYTES = 300 * 1024
SAMPLES = 64


# ---------------------------------------------------------------------------------------------
# Writing safetensors

def write_safetensors(tensors, path, metadata):
    """The safetensors format: u64 LE header length, JSON header padded with spaces to 8 bytes,
    then the tensors' little-endian bytes sorted by name, back to back."""
    header = {"__metadata__": metadata}
    offset = 0
    names = sorted(tensors)
    for name in names:
        array = tensors[name]
        header[name] = {"dtype": DTYPES[array.dtype.str], "shape": list(array.shape),
                        "data_offsets": [offset, offset + array.nbytes]}
        offset += array.nbytes
    text = json.dumps(header, separators=(",", ":")).encode("utf-8")
    text += b" " * (-len(text) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text)
        for name in names:
            f.write(tensors[name].tobytes())


DTYPES = {"<f4": "F32", "<f8": "F64", "<i4": "I32", "<i8": "I64"}

try:
    import safetensors
    from safetensors.numpy import save_file
    WRITER = f"safetensors {safetensors.__version__}"
except ImportError:
    save_file = write_safetensors
    WRITER = "scripts/make-fixtures.py write_safetensors"


def to_numpy(value):
    if isinstance(value, torch.Tensor):
        value = value.detach().cpu().numpy()
    array = np.array(value, order="C")  # a C-contiguous copy; 0-d scalars stay 0-d
    if array.dtype.str not in DTYPES:
        raise TypeError(f"unsupported dtype {array.dtype}")
    return array


def save(file_name, tensors, metadata):
    path = OUT_DIR / file_name
    arrays = {name: to_numpy(value) for name, value in tensors.items()}
    metadata = {"generator": "scripts/make-fixtures.py", "torch_version": torch.__version__,
                "writer": WRITER, **metadata}
    save_file(arrays, str(path), metadata=metadata)
    size = path.stat().st_size
    if size > MAX_FILE_BYTES:
        raise SystemExit(f"{path.name} is {size} bytes, over the {MAX_FILE_BYTES}-byte limit")
    print(f"wrote {path.name}: {len(arrays)} tensors, {size} bytes")


def grads_of(loss, inputs):
    return torch.autograd.grad(loss, inputs)


# ---------------------------------------------------------------------------------------------
# hashInit: bit-identical to src/io/hashinit.ts

MASK32 = 0xFFFFFFFF


def seed_of(name):
    """FNV-1a 32-bit of the UTF-8 bytes of name."""
    h = 0x811C9DC5
    for byte in name.encode("utf-8"):
        h = ((h ^ byte) * 0x01000193) & MASK32
    return h


def hash32(x):
    """lowbias32 on a numpy uint32 array (multiplications wrap modulo 2^32)."""
    x = x ^ (x >> np.uint32(16))
    x = x * np.uint32(0x7FEB352D)
    x = x ^ (x >> np.uint32(15))
    x = x * np.uint32(0x846CA68B)
    return x ^ (x >> np.uint32(16))


def hash_init(name, numel, scale):
    """value[i] = float32(scale * (u(i) * 2 - 1)), u(i) = hash32(i ^ seed_of(name)) / 2^32 in float64."""
    i = np.arange(numel, dtype=np.uint32)
    u = hash32(i ^ np.uint32(seed_of(name))).astype(np.float64) / 2.0**32
    return (scale * (u * 2.0 - 1.0)).astype(np.float32)


def hash_init_scale(shape):
    """1/sqrt(fan_in) for weights (rank >= 2, fan_in = prod(shape[1:])), 0.05 for biases (rank 1)."""
    if len(shape) == 1:
        return 0.05
    return 1.0 / math.sqrt(math.prod(shape[1:]))


def sample_indices(name, numel, count=SAMPLES):
    """idx[0] = 0, idx[1] = numel - 1, idx[k] = hash32(k ^ seed_of("sample:" + name)) % numel."""
    k = np.arange(count, dtype=np.uint32)
    idx = (hash32(k ^ np.uint32(seed_of("sample:" + name))) % np.uint32(numel)).astype(np.int32)
    idx[0] = 0
    idx[1] = numel - 1
    return idx


HASHINIT_METADATA = {
    "init_rule": "param = hashInit(name, numel, scale) reshaped to the PyTorch shape; "
                 "value[i] = float32(scale * (u(i)*2 - 1)), u(i) = lowbias32(i ^ fnv1a32(utf8(name))) / 2^32",
    "scale_rule": "scale = 1/sqrt(fan_in) for weights (fan_in = prod(shape[1:])), 0.05 for biases",
    "input_rule": "input = hashInit('input', N*C*H*W, 1.0) reshaped to NCHW",
    "sample_rule": f"idx[0] = 0, idx[1] = numel-1, idx[k] = lowbias32(k ^ fnv1a32(utf8('sample:' + name))) % numel, "
                   f"k < {SAMPLES}",
}


# ---------------------------------------------------------------------------------------------
# Layer fixtures

def conv2d_fixture():
    torch.manual_seed(1)
    cases = [
        # x shape, w shape, stride, padding, dilation, groups
        ((2, 4, 9, 9), (6, 2, 5, 5), (1, 1), (2, 2), (1, 1), 2),       # AlexNet conv2-like, groups=2
        ((2, 3, 31, 31), (4, 3, 11, 11), (4, 4), (0, 0), (1, 1), 1),   # conv1-like, k11 s4
        ((2, 3, 10, 11), (5, 3, 3, 3), (2, 2), (1, 1), (2, 2), 1),     # stride 2, padding 1, dilation 2
        ((1, 5, 7, 6), (3, 5, 3, 2), (1, 1), (1, 0), (1, 1), 1),       # batch 1, odd channels, 3x2 kernel
        ((2, 6, 8, 7), (9, 2, 3, 3), (2, 1), (0, 1), (1, 1), 3),       # groups=3, unequal strides
    ]
    tensors, metadata = {}, {"cases": str(len(cases)),
                             "loss": "L = (y * g).sum(); dx, dw, db = dL/dx, dL/dw, dL/db"}
    for c, (x_shape, w_shape, stride, padding, dilation, groups) in enumerate(cases):
        x = torch.randn(x_shape, requires_grad=True)
        w = (torch.randn(w_shape) / math.sqrt(math.prod(w_shape[1:]))).requires_grad_()
        b = torch.randn(w_shape[0], requires_grad=True)
        y = F.conv2d(x, w, b, stride, padding, dilation, groups)
        g = torch.randn(y.shape)
        dx, dw, db = grads_of((y * g).sum(), [x, w, b])
        for key, value in dict(x=x, w=w, b=b, y=y, g=g, dx=dx, dw=dw, db=db).items():
            tensors[f"case{c}.{key}"] = value
        metadata[f"case{c}"] = json.dumps({"stride": list(stride), "padding": list(padding),
                                           "dilation": list(dilation), "groups": groups})
    save("conv2d.safetensors", tensors, metadata)


def pool_fixture(file_name, seed, cases):
    """cases: (x shape, metadata dict, function of x)."""
    torch.manual_seed(seed)
    tensors, metadata = {}, {"cases": str(len(cases)), "loss": "L = (y * g).sum(); dx = dL/dx"}
    for c, (x_shape, params, fn) in enumerate(cases):
        x = torch.randn(x_shape, requires_grad=True)
        y = fn(x)
        g = torch.randn(y.shape)
        (dx,) = grads_of((y * g).sum(), [x])
        for key, value in dict(x=x, y=y, g=g, dx=dx).items():
            tensors[f"case{c}.{key}"] = value
        metadata[f"case{c}"] = json.dumps(params)
    save(file_name, tensors, metadata)


def maxpool_fixture():
    def max_pool(kernel, stride, padding):
        return ({"op": "max_pool2d", "kernel": list(kernel), "stride": list(stride),
                 "padding": list(padding), "ceil_mode": False},
                lambda x: F.max_pool2d(x, kernel, stride, padding))
    pool_fixture("maxpool.safetensors", 2, [
        ((2, 3, 13, 13), *max_pool((3, 3), (2, 2), (0, 0))),   # AlexNet's overlapping pool
        ((1, 2, 7, 8), *max_pool((2, 2), (2, 2), (1, 1))),     # padding counts as -inf
        ((2, 2, 15, 15), *max_pool((3, 3), (2, 2), (1, 1))),
    ])


def avgpool_fixture():
    def avg_pool(kernel, stride, padding):
        return ({"op": "avg_pool2d", "kernel": list(kernel), "stride": list(stride),
                 "padding": list(padding), "ceil_mode": False, "count_include_pad": True},
                lambda x: F.avg_pool2d(x, kernel, stride, padding))

    def adaptive(output_size):
        return ({"op": "adaptive_avg_pool2d", "output_size": list(output_size)},
                lambda x: F.adaptive_avg_pool2d(x, output_size))
    pool_fixture("avgpool.safetensors", 3, [
        ((2, 3, 9, 9), *avg_pool((3, 3), (2, 2), (0, 0))),
        ((1, 2, 7, 8), *avg_pool((2, 2), (2, 2), (1, 1))),     # padded zeros count in the divisor
        ((2, 3, 13, 13), *adaptive((6, 6))),                   # AlexNet at 224x224
        ((1, 2, 7, 9), *adaptive((6, 6))),                     # uneven, overlapping windows
        ((1, 2, 2, 2), *adaptive((6, 6))),                     # upsampling (torchvision AlexNet at 96x96)
    ])


def lrn_fixture():
    params = {"op": "local_response_norm", "size": 5, "alpha": 5e-4, "beta": 0.75, "k": 2.0}
    lrn = nn.LocalResponseNorm(size=5, alpha=5e-4, beta=0.75, k=2.0)
    torch.manual_seed(4)
    tensors = {}
    for c, (x_shape, x_scale) in enumerate([((2, 8, 5, 5), 1.0), ((1, 3, 4, 4), 20.0)]):
        x = (torch.randn(x_shape) * x_scale).requires_grad_()
        y = lrn(x)
        g = torch.randn(y.shape)
        (dx,) = grads_of((y * g).sum(), [x])
        for key, value in dict(x=x, y=y, g=g, dx=dx).items():
            tensors[f"case{c}.{key}"] = value
    save("lrn.safetensors", tensors, {
        "cases": "2",
        "params": json.dumps(params),
        "formula": "y[c] = x[c] / (k + alpha/size * sum_{c' in [c-2, c+2] within channels} x[c']^2)^beta",
        "paper_note": "Krizhevsky et al. 2012 use alpha=1e-4 on the raw sum of squares over n=5 channels; "
                      "PyTorch divides the sum by size, so the paper's alpha equals PyTorch alpha=5e-4",
        "loss": "L = (y * g).sum(); dx = dL/dx",
    })


def batchnorm_fixture():
    torch.manual_seed(5)
    eps, momentum = 1e-5, 0.1
    tensors = {}
    for c, (module, x_shape) in enumerate([(nn.BatchNorm2d(4, eps, momentum), (3, 4, 5, 5)),
                                           (nn.BatchNorm1d(5, eps, momentum), (6, 5))]):
        channels = module.num_features
        with torch.no_grad():
            module.weight.copy_(torch.rand(channels) + 0.5)
            module.bias.copy_(torch.randn(channels))
            module.running_mean.copy_(torch.randn(channels))
            module.running_var.copy_(torch.rand(channels) + 0.5)
        running_mean, running_var = module.running_mean.clone(), module.running_var.clone()
        x = (torch.randn(x_shape) * 2 + 1).requires_grad_()
        module.train()
        y = module(x)
        g = torch.randn(y.shape)
        dx, dweight, dbias = grads_of((y * g).sum(), [x, module.weight, module.bias])
        y_eval = F.batch_norm(x, running_mean, running_var, module.weight, module.bias, False, momentum, eps)
        for key, value in dict(x=x, weight=module.weight, bias=module.bias, running_mean=running_mean,
                               running_var=running_var, y=y, g=g, dx=dx, dweight=dweight, dbias=dbias,
                               new_running_mean=module.running_mean, new_running_var=module.running_var,
                               y_eval=y_eval).items():
            tensors[f"case{c}.{key}"] = value
    save("batchnorm.safetensors", tensors, {
        "cases": "2",
        "case0": json.dumps({"op": "BatchNorm2d", "num_features": 4}),
        "case1": json.dumps({"op": "BatchNorm1d", "num_features": 5}),
        "params": json.dumps({"eps": eps, "momentum": momentum}),
        "train": "y uses the batch mean and biased variance over all axes but C; "
                 "new_running = (1 - momentum) * running + momentum * batch_stat, the variance unbiased (n/(n-1))",
        "eval": "y_eval = (x - running_mean) / sqrt(running_var + eps) * weight + bias with the initial running stats",
        "loss": "L = (y * g).sum(); dx, dweight, dbias = dL/dx, dL/dweight, dL/dbias (train mode)",
    })


def softmax_ce_fixture():
    torch.manual_seed(6)
    logits = torch.randn(4, 5) * 2
    logits[0] *= 30  # large logits: the max must be subtracted
    logits.requires_grad_()
    labels = torch.tensor([3, 0, 4, 1], dtype=torch.int64)
    tensors = {"ce.logits": logits, "ce.labels": labels}
    for prefix, smoothing in (("ce", 0.0), ("ce_ls", 0.1)):
        loss = F.cross_entropy(logits, labels, label_smoothing=smoothing)
        (dlogits,) = grads_of(loss, [logits])
        tensors[f"{prefix}.loss"] = loss
        tensors[f"{prefix}.dlogits"] = dlogits

    x = torch.randn(3, 5, requires_grad=True)
    for prefix, fn in (("log_softmax", F.log_softmax), ("softmax", F.softmax)):
        y = fn(x, dim=1)
        g = torch.randn(y.shape)
        (dx,) = grads_of((y * g).sum(), [x])
        tensors.update({f"{prefix}.x": x, f"{prefix}.y": y, f"{prefix}.g": g, f"{prefix}.dx": dx})

    bce_logits = torch.tensor([-25.0, -1.5, -0.2, 0.0, 0.7, 30.0]).requires_grad_()
    targets = torch.tensor([0.0, 1.0, 0.0, 1.0, 1.0, 0.0])
    loss = F.binary_cross_entropy_with_logits(bce_logits, targets)
    (dlogits,) = grads_of(loss, [bce_logits])
    tensors.update({"bce.logits": bce_logits, "bce.targets": targets, "bce.loss": loss, "bce.dlogits": dlogits})
    save("softmax_ce.safetensors", tensors, {
        "ce": "loss = F.cross_entropy(ce.logits, ce.labels) (mean over the batch); dlogits = dloss/dlogits",
        "ce_ls": "the same logits and labels with label_smoothing=0.1",
        "log_softmax": "y = log_softmax(x, dim=1); dx = d((y * g).sum())/dx",
        "softmax": "y = softmax(x, dim=1); dx = d((y * g).sum())/dx",
        "bce": "loss = F.binary_cross_entropy_with_logits(bce.logits, bce.targets) (mean), "
               "the 2-class sigmoid alternative; dlogits = dloss/dlogits",
    })


# ---------------------------------------------------------------------------------------------
# Full-model parity

NUM_CLASSES = 10
BATCH = 2
LABELS = [3, 7]
SGD_PARAMS = {"lr": 0.01, "momentum": 0.9, "weight_decay": 5e-4}
ADAM_PARAMS = {"lr": 1e-3, "betas": [0.9, 0.999], "eps": 1e-8, "weight_decay": 0.0}


class PaperAlexNet(nn.Module):
    """Krizhevsky et al. 2012, one tower (the two-GPU split expressed as groups=2)."""

    def __init__(self, num_classes):
        super().__init__()
        lrn = dict(size=5, alpha=5e-4, beta=0.75, k=2.0)
        self.features = nn.Sequential(
            nn.Conv2d(3, 96, 11, stride=4),                          # 0
            nn.ReLU(inplace=True),                                   # 1
            nn.LocalResponseNorm(**lrn),                             # 2
            nn.MaxPool2d(3, 2),                                      # 3
            nn.Conv2d(96, 256, 5, padding=2, groups=2),              # 4
            nn.ReLU(inplace=True),                                   # 5
            nn.LocalResponseNorm(**lrn),                             # 6
            nn.MaxPool2d(3, 2),                                      # 7
            nn.Conv2d(256, 384, 3, padding=1),                       # 8
            nn.ReLU(inplace=True),                                   # 9
            nn.Conv2d(384, 384, 3, padding=1, groups=2),             # 10
            nn.ReLU(inplace=True),                                   # 11
            nn.Conv2d(384, 256, 3, padding=1, groups=2),             # 12
            nn.ReLU(inplace=True),                                   # 13
            nn.MaxPool2d(3, 2),                                      # 14
        )
        self.classifier = nn.Sequential(
            nn.Linear(256, 4096),                                    # 0 (input 67x67: pool5 is 256x1x1)
            nn.ReLU(inplace=True),                                   # 1
            nn.Dropout(0.5),                                         # 2
            nn.Linear(4096, 4096),                                   # 3
            nn.ReLU(inplace=True),                                   # 4
            nn.Dropout(0.5),                                         # 5
            nn.Linear(4096, num_classes),                            # 6
        )

    def forward(self, x):
        return self.classifier(torch.flatten(self.features(x), 1))


def module_list(model):
    return json.dumps([f"{name}: {module}" for name, module in model.named_modules()
                       if name and not list(module.children())])


def model_fixture(file_name, model, input_size, description):
    model.eval()  # dropout off: the forward pass is deterministic
    params = dict(model.named_parameters())
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(torch.from_numpy(hash_init(name, p.numel(), hash_init_scale(tuple(p.shape)))).reshape(p.shape))
    initial = {name: p.detach().clone() for name, p in params.items()}

    x_shape = (BATCH, 3, input_size, input_size)
    x = torch.from_numpy(hash_init("input", math.prod(x_shape), 1.0)).reshape(x_shape)
    labels = torch.tensor(LABELS, dtype=torch.int64)
    logits = model(x)
    loss = F.cross_entropy(logits, labels)
    loss.backward()

    after_sgd = optimizer_step(params, initial, torch.optim.SGD(params.values(), **SGD_PARAMS))
    after_adam = optimizer_step(params, initial, torch.optim.Adam(
        params.values(), lr=ADAM_PARAMS["lr"], betas=tuple(ADAM_PARAMS["betas"]),
        eps=ADAM_PARAMS["eps"], weight_decay=ADAM_PARAMS["weight_decay"]))

    input_idx = sample_indices("input", x.numel())
    tensors = {"input.idx": input_idx, "input.val": x.flatten()[torch.from_numpy(input_idx.astype(np.int64))],
               "labels": labels, "logits": logits, "loss": loss}
    for name, p in params.items():
        idx = sample_indices(name, p.numel())
        at = torch.from_numpy(idx.astype(np.int64))
        grad = p.grad.detach()
        tensors.update({
            f"grad.{name}.sum": grad.double().sum(),
            f"grad.{name}.sumsq": (grad.double() ** 2).sum(),
            f"grad.{name}.idx": idx,
            f"grad.{name}.val": grad.flatten()[at],
            f"init.{name}.val": initial[name].flatten()[at],
            f"sgd.{name}.val": after_sgd[name].flatten()[at],
            f"adam.{name}.val": after_adam[name].flatten()[at],
        })
        if p.dim() == 1:
            tensors[f"grad.{name}"] = grad
    save(file_name, tensors, {
        "model": description,
        "modules": module_list(model),
        "parameters": json.dumps({name: list(p.shape) for name, p in params.items()}),
        "input_shape": json.dumps(list(x_shape)),
        "num_classes": str(NUM_CLASSES),
        "labels": json.dumps(LABELS),
        "mode": "model.eval() (dropout off) for the forward and backward pass",
        "loss": "F.cross_entropy(logits, labels), mean over the batch",
        "sgd": json.dumps({**SGD_PARAMS, "note": "one torch.optim.SGD step from the initial weights"}),
        "adam": json.dumps({**ADAM_PARAMS, "note": "one torch.optim.Adam step from the initial weights"}),
        **HASHINIT_METADATA,
    })


def optimizer_step(params, initial, optimizer):
    """One step from the initial weights with the gradients already in .grad; returns the new
    weights and puts the initial ones back."""
    optimizer.step()
    result = {name: p.detach().clone() for name, p in params.items()}
    with torch.no_grad():
        for name, p in params.items():
            p.copy_(initial[name])
    return result


def main():
    OUT_DIR.mkdir(parents=True, exist_ok=True)
    conv2d_fixture()
    maxpool_fixture()
    avgpool_fixture()
    lrn_fixture()
    batchnorm_fixture()
    softmax_ce_fixture()
    model_fixture("alexnet_torchvision.safetensors", torchvision.models.alexnet(num_classes=NUM_CLASSES), 96,
                  f"torchvision.models.alexnet(num_classes={NUM_CLASSES}) (torchvision {torchvision.__version__})")
    model_fixture("alexnet_paper.safetensors", PaperAlexNet(NUM_CLASSES), 67,
                  "Krizhevsky et al. 2012 AlexNet (scripts/make-fixtures.py PaperAlexNet): "
                  "conv-relu-lrn-pool x2, conv-relu x3, pool, fc-relu-dropout x2, fc")
    total = sum(p.stat().st_size for p in OUT_DIR.glob("*.safetensors"))
    print(f"total {total} bytes")


if __name__ == "__main__":
    sys.exit(main())
