#!/usr/bin/python3
"""Peer benchmark: train a freebits network in float with PyTorch on the CPU.

Builds the same model as freebits' trainer from a freebits-network/1 file
(conv → batch norm → ReLU for conv/depthwise layers, linear with bias, ReLU on
hidden linear layers, add, global average pool), reads the same Fashion-MNIST
IDX files (Debian dataset-fashion-mnist), applies the same augmentation
(random crop with 2-pixel zero padding, horizontal flip) and optimizer (SGD,
Nesterov momentum 0.9, weight decay on conv/linear weights only, linear
warm-up then cosine decay), and reports training throughput in images/s.

--data SET.npz (or FB_PEER_DATA=SET.npz in the environment, which
tools/peer-torch-eval.py reads through this module) uses a NumPy archive
instead: x_train, y_train, x_test, y_test, x uint8 NHWC (what freebits-cli
reads with --data), scaled by 1/255 (the default input description).

Usage (the comparison in docs uses 2 threads, like freebits on this machine):
    /usr/bin/python3 tools/peer-torch-train.py data/networks/fmnist-mbv1.json \
        --threads 2 --limit-train 12800 --epochs 1 [--eval]

Prints one JSON object: images_per_s (training steps, including batch
preparation), seconds, and test accuracy when --eval is given.

    /usr/bin/python3 tools/peer-torch-train.py NETWORK --load-weights W.fbw

evaluates a freebits-weights/1 file with PyTorch instead (an independent
check of the file layout and of freebits' float forward pass).
"""

import argparse
import gzip
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from fb_fbw import read_fbw  # tools/, the script's own directory

DATA_DIR = os.environ.get("FB_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
NPZ = os.environ.get("FB_PEER_DATA")


def read_idx(path, n_dims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic = int.from_bytes(data[0:4], "big")
    if magic != 0x0800 | n_dims:
        sys.exit(f"{path}: not an IDX file with {n_dims} dimensions")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(n_dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(dims)


def load_npz_split(prefix):
    part = "train" if prefix == "train" else "test"
    with np.load(NPZ) as z:
        images, labels = z["x_" + part], z["y_" + part]
    if images.dtype != np.uint8 or images.ndim != 4:
        sys.exit(f"{NPZ}: x_{part} must be uint8 NHWC")
    x = torch.from_numpy(images.astype(np.float32) / 255.0).permute(0, 3, 1, 2).contiguous()
    return x, torch.from_numpy(labels.astype(np.int64))


def load_split(prefix):
    if NPZ:
        return load_npz_split(prefix)
    images = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"), 3)
    labels = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"), 1)
    # Raw pixels / 255, zero point 0, no mean subtraction (CONVENTIONS.md).
    x = torch.from_numpy(images.astype(np.float32) / 255.0).unsqueeze(1)
    return x, torch.from_numpy(labels.astype(np.int64))


def pair(v):
    return list(v) if isinstance(v, list) else [v, v]


class Net(nn.Module):
    """The freebits graph, layer by layer, NCHW."""

    def __init__(self, spec):
        super().__init__()
        self.layers = spec["layers"]
        shapes = {spec["input"]["name"]: list(spec["input"]["shape"])}  # HWC
        self.mods = nn.ModuleDict()
        self.names = {}
        for i, l in enumerate(self.layers):
            key = f"l{i}"
            self.names[l["name"]] = key
            op = l["op"]
            h, w, c = shapes[l["inputs"][0]]
            if op in ("conv2d", "depthwise_conv2d"):
                ky, kx = pair(l.get("kernel", 1))
                sy, sx = pair(l.get("stride", 1))
                pad = l.get("pad", 0)
                pad = [pad] * 4 if not isinstance(pad, list) else pad
                cout = l.get("cout", c) if op == "conv2d" else c
                groups = 1 if op == "conv2d" else c
                conv = nn.Conv2d(c, cout, (ky, kx), (sy, sx), padding=0, groups=groups, bias=False)
                self.mods[key] = nn.ModuleDict({"conv": conv, "bn": nn.BatchNorm2d(cout)})
                self.mods[key].pad = (pad[2], pad[3], pad[0], pad[1])  # left, right, top, bottom
                self.mods[key].relu = l.get("relu", True)
                ho = (h + pad[0] + pad[1] - ky) // sy + 1
                wo = (w + pad[2] + pad[3] - kx) // sx + 1
                shapes[l["output"]] = [ho, wo, cout]
            elif op == "linear":
                self.mods[key] = nn.Linear(h * w * c, l["cout"])
                self.mods[key].relu = l.get("relu", False)
                shapes[l["output"]] = [1, 1, l["cout"]]
            elif op == "add":
                shapes[l["output"]] = [h, w, c]
            elif op == "global_avg_pool":
                shapes[l["output"]] = [1, 1, c]
            else:
                sys.exit(f"unsupported op {op}")
        self.input = spec["input"]["name"]
        self.output = self.layers[-1]["output"]

    def after(self, layer, y):
        """A layer's output as the next layers see it (a subclass may quantize it)."""
        return y

    def forward(self, x):
        t = {self.input: x}
        for i, l in enumerate(self.layers):
            key, op = f"l{i}", l["op"]
            a = t[l["inputs"][0]]
            if op in ("conv2d", "depthwise_conv2d"):
                m = self.mods[key]
                if any(m.pad):
                    a = F.pad(a, m.pad)
                y = m["bn"](m["conv"](a))
                y = F.relu(y) if m.relu else y
            elif op == "linear":
                m = self.mods[key]
                # HWC flattening, as in freebits.
                y = m(a.permute(0, 2, 3, 1).reshape(a.shape[0], -1))
                y = (F.relu(y) if m.relu else y).reshape(y.shape[0], -1, 1, 1)
            elif op == "add":
                y = a + t[l["inputs"][1]]
                y = F.relu(y) if l.get("relu", False) else y
            elif op == "global_avg_pool":
                y = a.mean(dim=(2, 3), keepdim=True)
            t[l["output"]] = self.after(l, y)
        return t[self.output].reshape(x.shape[0], -1)


def load_fbw(model, spec, path):
    """Copies a freebits-weights/1 file into the model."""
    header, tensors = read_fbw(path)
    if header.get("format") != "freebits-weights/1":
        sys.exit(f"{path}: not a freebits-weights/1 file")
    with torch.no_grad():
        for i, l in enumerate(spec["layers"]):
            key, name = f"l{i}", l["name"]
            if l["op"] == "conv2d":
                model.mods[key]["conv"].weight.copy_(tensors[(name, "weight")].permute(0, 3, 1, 2))
            elif l["op"] == "depthwise_conv2d":
                model.mods[key]["conv"].weight.copy_(tensors[(name, "weight")].permute(2, 0, 1).unsqueeze(1))
            elif l["op"] == "linear":
                model.mods[key].weight.copy_(tensors[(name, "weight")])
                model.mods[key].bias.copy_(tensors[(name, "bias")])
            if l["op"] in ("conv2d", "depthwise_conv2d"):
                bn = model.mods[key]["bn"]
                bn.weight.copy_(tensors[(name, "bn_gamma")])
                bn.bias.copy_(tensors[(name, "bn_beta")])
                bn.running_mean.copy_(tensors[(name, "bn_mean")])
                bn.running_var.copy_(tensors[(name, "bn_var")])
    return header


def evaluate(model, fmt):
    x_test, y_test = load_split("t10k")
    model.eval()
    right = 0
    with torch.no_grad():
        for i in range(0, x_test.shape[0], 500):
            xb = x_test[i:i + 500].contiguous(memory_format=fmt)
            right += (model(xb).argmax(1) == y_test[i:i + 500]).sum().item()
    return right / x_test.shape[0]


def augment(x, gen):
    """Random crop with 2-pixel zero padding and horizontal flip, per image."""
    n, c, h, w = x.shape
    padded = F.pad(x, (2, 2, 2, 2))
    oy = torch.randint(0, 5, (n,), generator=gen)
    ox = torch.randint(0, 5, (n,), generator=gen)
    flip = torch.rand(n, generator=gen) < 0.5
    rows = (oy.view(n, 1) + torch.arange(h).view(1, h)).view(n, 1, h, 1).expand(n, c, h, w + 4)
    out = torch.gather(padded, 2, rows)
    cols = (ox.view(n, 1) + torch.arange(w).view(1, w)).view(n, 1, 1, w).expand(n, c, h, w)
    out = torch.gather(out, 3, cols)
    return torch.where(flip.view(n, 1, 1, 1), out.flip(3), out)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--epochs", type=int, default=1)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--weight-decay", type=float, default=1e-4)
    ap.add_argument("--warmup", type=float, default=1.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--limit-train", type=int, default=0)
    ap.add_argument("--channels-last", action="store_true", help="NHWC memory format")
    ap.add_argument("--eval", action="store_true", help="report float test accuracy after training")
    ap.add_argument("--load-weights", metavar="FBW", help="only evaluate this freebits-weights/1 file")
    ap.add_argument("--data", metavar="NPZ", help="x_train, y_train, x_test, y_test (uint8 NHWC) instead of Fashion-MNIST")
    args = ap.parse_args()
    if args.data:
        global NPZ
        NPZ = args.data

    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    gen = torch.Generator().manual_seed(args.seed)
    with open(args.network) as f:
        spec = json.load(f)
    model = Net(spec)
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    model = model.to(memory_format=fmt)
    if args.load_weights:
        header = load_fbw(model, spec, args.load_weights)
        print(json.dumps({"tool": f"pytorch {torch.__version__}", "weights": args.load_weights,
                          "float_test_accuracy": evaluate(model, fmt),
                          "freebits_float_test_accuracy": header.get("training", {}).get("float_test_accuracy")}))
        return

    x_train, y_train = load_split("train")
    if args.limit_train:
        x_train, y_train = x_train[:args.limit_train], y_train[:args.limit_train]
    decay, no_decay = [], []
    for name, p in model.named_parameters():
        (decay if name.endswith("weight") and p.dim() > 1 else no_decay).append(p)
    opt = torch.optim.SGD([{"params": decay, "weight_decay": args.weight_decay},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps = x_train.shape[0] // args.batch
    total = steps * args.epochs
    warmup = int(args.warmup * steps)

    def lr_at(step):
        if step < warmup:
            return args.lr * (step + 1) / warmup
        return 0.5 * args.lr * (1 + math.cos(math.pi * (step - warmup) / max(total - warmup, 1)))

    model.train()
    step_time, images, timed_from = 0.0, 0, 3  # skip the first steps: allocator warm-up
    t_start = time.perf_counter()
    g = 0
    for epoch in range(args.epochs):
        perm = torch.randperm(x_train.shape[0], generator=gen)
        for s in range(steps):
            t0 = time.perf_counter()
            idx = perm[s * args.batch:(s + 1) * args.batch]
            xb = augment(x_train[idx], gen).contiguous(memory_format=fmt)
            yb = y_train[idx]
            for group in opt.param_groups:
                group["lr"] = lr_at(g)
            loss = F.cross_entropy(model(xb), yb)
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
            dt = time.perf_counter() - t0
            if g >= timed_from:
                step_time += dt
                images += xb.shape[0]
            g += 1
        print(f"epoch {epoch + 1}/{args.epochs}: loss {loss.item():.4f}, "
              f"{images / step_time if step_time else 0:.0f} images/s", file=sys.stderr)
    result = {
        "tool": f"pytorch {torch.__version__}",
        "threads": torch.get_num_threads(),
        "network": spec["name"],
        "epochs": args.epochs,
        "batch": args.batch,
        "train_images": int(x_train.shape[0]),
        "images_per_s": round(images / step_time, 1),
        "seconds": round(time.perf_counter() - t_start, 2),
    }
    if args.eval:
        result["float_test_accuracy"] = evaluate(model, fmt)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
