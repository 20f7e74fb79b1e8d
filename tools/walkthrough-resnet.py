#!/usr/bin/python3
"""The PyTorch half of the "bring your own model" walk-through (docs/training.md,
tools/walkthrough-resnet.sh). Run with Debian's PyTorch 1.13:

    /usr/bin/python3 tools/walkthrough-resnet.py OUTDIR [--epochs 4] [--limit-train 30000]

1. Derives a CIFAR-shaped set from Debian's Fashion-MNIST (no CIFAR-10 on the
   machine, and it is not downloadable): every 28x28 image zero-padded to 32x32
   and given three tinted channels p*1, p*0.75, p*0.5 (rounded), 10 classes;
   60 000 training and 10 000 test images, uint8 NHWC, written as OUTDIR/cs.npz
   (x_train, y_train, x_test, y_test) as a PyTorch user would with np.savez.
2. Trains a ResNet-style model (MLPerf Tiny ResNet-8 shape, narrower: a 3x3 stem,
   three basic blocks whose second conv has batch norm and no ReLU before the
   add, 1x1 stride-2 shortcut convs without batch norm or ReLU, a ReLU after
   each add, global average pool, 10 classes) on x / 255 (freebits' default
   input description: u8 codes, scale 1/255, zero point 0).
3. Measures its float top-1 on the 10 000 test images and exports it with
   torch.onnx.export (opset 13, batch norm kept as BatchNormalization nodes so
   that freebits' quantization-aware fine-tuning starts from the real batch-norm
   parameters) to OUTDIR/resnet.onnx; OUTDIR/torch.json holds the numbers.

Everything is a function of the seed; two threads (the machine is shared).
"""
import argparse
import gzip
import json
import math
import os
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

from fb_resnet import Block, conv_bn  # tools/, the script's own directory

DATA_DIR = os.environ.get("FB_FASHION_MNIST_DIR", "/usr/share/datasets/fashion-mnist")
TINT = np.array([1.0, 0.75, 0.5], dtype=np.float32)


def read_idx(path, n_dims):
    with gzip.open(path, "rb") as f:
        data = f.read()
    if int.from_bytes(data[0:4], "big") != 0x0800 | n_dims:
        raise SystemExit(f"{path}: not an IDX file with {n_dims} dimensions")
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(n_dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(dims)


def cifar_shaped(prefix):
    p = read_idx(os.path.join(DATA_DIR, f"{prefix}-images-idx3-ubyte.gz"), 3)
    y = read_idx(os.path.join(DATA_DIR, f"{prefix}-labels-idx1-ubyte.gz"), 1)
    p = np.pad(p, ((0, 0), (2, 2), (2, 2))).astype(np.float32)
    x = np.rint(p[..., None] * TINT).astype(np.uint8)          # N x 32 x 32 x 3
    return x, y.astype(np.int64)


class ResNet(nn.Module):
    def __init__(self, width=8):
        super().__init__()
        w = width
        self.stem = conv_bn(3, w, 3, 1)
        self.block1 = Block(w, w, 1)
        self.block2 = Block(w, 2 * w, 2)
        self.block3 = Block(2 * w, 4 * w, 2)
        self.fc = nn.Linear(4 * w, 10)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.stem(x))))
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(x, 1), 1))


def to_tensor(x):
    return torch.from_numpy(x).permute(0, 3, 1, 2).float().div_(255.0)


def augment(xb, gen):
    """Random crop from the image padded by 2 zero pixels, horizontal flip (p = 1/2)."""
    n = xb.shape[0]
    padded = F.pad(xb, (2, 2, 2, 2))
    dy = torch.randint(0, 5, (n,), generator=gen).tolist()
    dx = torch.randint(0, 5, (n,), generator=gen).tolist()
    out = torch.stack([padded[i, :, dy[i]:dy[i] + 32, dx[i]:dx[i] + 32] for i in range(n)])
    flip = (torch.rand(n, generator=gen) < 0.5).view(n, 1, 1, 1)
    return torch.where(flip, out.flip(3), out)


def evaluate(model, x, y, batch=500):
    model.eval()
    correct = 0
    with torch.no_grad():
        for i in range(0, x.shape[0], batch):
            correct += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
    return correct / x.shape[0]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("outdir")
    ap.add_argument("--epochs", type=int, default=3)
    ap.add_argument("--limit-train", type=int, default=20000)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--lr", type=float, default=0.1)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    os.makedirs(args.outdir, exist_ok=True)

    x_train, y_train = cifar_shaped("train")
    x_test, y_test = cifar_shaped("t10k")
    np.savez(os.path.join(args.outdir, "cs.npz"), x_train=x_train, y_train=y_train,
             x_test=x_test, y_test=y_test)

    n = min(args.limit_train, x_train.shape[0])
    xt, yt = to_tensor(x_train[:n]), torch.from_numpy(y_train[:n])
    xv, yv = to_tensor(x_test), torch.from_numpy(y_test)

    model = ResNet()
    decay = [p for name, p in model.named_parameters() if p.dim() > 1]
    no_decay = [p for name, p in model.named_parameters() if p.dim() <= 1]
    opt = torch.optim.SGD([{"params": decay, "weight_decay": 1e-4},
                           {"params": no_decay, "weight_decay": 0.0}],
                          lr=args.lr, momentum=0.9, nesterov=True)
    steps_per_epoch = n // args.batch
    total = steps_per_epoch * args.epochs
    gen = torch.Generator().manual_seed(args.seed)
    step = 0
    t0 = time.time()
    for epoch in range(args.epochs):
        model.train()
        perm = torch.randperm(n, generator=gen)
        loss_sum = 0.0
        for s in range(steps_per_epoch):
            lr = args.lr * min(1.0, (step + 1) / steps_per_epoch) * 0.5 * (1 + math.cos(math.pi * step / total))
            for g in opt.param_groups:
                g["lr"] = lr
            idx = perm[s * args.batch:(s + 1) * args.batch]
            loss = F.cross_entropy(model(augment(xt[idx], gen)), yt[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            loss_sum += loss.item()
            step += 1
        acc = evaluate(model, xv, yv)
        print(f"epoch {epoch + 1}: loss {loss_sum / steps_per_epoch:.4f}, float test top-1 {100 * acc:.2f} %",
              flush=True)
    train_seconds = time.time() - t0

    model.eval()
    acc = evaluate(model, xv, yv)
    onnx_path = os.path.join(args.outdir, "resnet.onnx")
    torch.onnx.export(model, xv[:1], onnx_path, opset_version=13,
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=False,
                      input_names=["input"], output_names=["logits"])
    with torch.no_grad():
        logits = model(xv[:3])
    result = {
        "float_top1": acc,
        "correct": int(round(acc * x_test.shape[0])),
        "test_images": int(x_test.shape[0]),
        "train_images": n,
        "epochs": args.epochs,
        "train_seconds": round(train_seconds, 1),
        "train_images_per_second": round(n * args.epochs / train_seconds, 1),
        "logits_first3": logits.tolist(),
        "torch": torch.__version__,
    }
    with open(os.path.join(args.outdir, "torch.json"), "w") as f:
        json.dump(result, f, indent=1)
    print(f"PyTorch float top-1 {100 * acc:.2f} % ({result['correct']}/{x_test.shape[0]}), "
          f"{train_seconds:.0f} s training; wrote {onnx_path}")


if __name__ == "__main__":
    main()
