#!/usr/bin/python3
"""Peer benchmark: evaluate a quantized freebits network with PyTorch on the CPU.

Two PyTorch evaluations of the same network and weights as
`freebits-cli eval NETWORK --config wXaY`, on the 10 000 Fashion-MNIST test
images (Debian dataset-fashion-mnist):

  fake-quant   the float model (conv → batch norm → ReLU, ...) with the
               weights fake-quantized by freebits' rule (signed symmetric per
               output channel, s = max|w| / (2^(b-1) - 1), the classifier one
               scale; or the learned "w_step" when the file has one) and every
               activation tensor fake-quantized to b bits with the clipping
               value alpha of the weights file ("act_alpha"); the pool output
               is rounded to its input's step. This is how a quantization-aware
               model is evaluated in PyTorch, and it runs at any bit-width.
  int8         (w8a8 only, --int8) PyTorch's eager-mode static quantization:
               conv+bn+relu fused, observers calibrated on the first
               --calibration-images training images, converted to the
               quantized CPU backend (--engine: onednn on x86, the only x86
               int8 engine of Debian's PyTorch 1.13; fbgemm is not built in).

Float-only weights have no "act_alpha": write the calibrated weights that
freebits evaluates with `freebits-cli eval ... --save-calibrated W` and pass W.
Supernet weights are evaluated with their stored (all-8) batch-norm statistics
at every config; freebits recalibrates them per config, so below 8 bits only
the timing, not the accuracy, is comparable for them.

Usage (the comparison in docs/training.md, 2 threads like freebits):
    /usr/bin/python3 tools/peer-torch-eval.py data/networks/fmnist-mbv1.json \
        --weights CALIBRATED.fbw --config w8a8 --threads 2 [--int8]

Prints one JSON object per evaluation: seconds (wall), cpu_seconds (CPU time
of all the process's threads) and images/s of the timed loop (data already in
memory as float tensors, one untimed warm-up batch first), and the accuracy.
--no-fake-quant --int8 runs the int8 model only (tools/bench-host.sh).
"""

import argparse
import importlib.util
import json
import os
import re
import sys
import time

import torch
import torch.nn as nn

HERE = os.path.dirname(os.path.abspath(__file__))
_spec = importlib.util.spec_from_file_location("peer_torch_train", os.path.join(HERE, "peer-torch-train.py"))
ptt = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(ptt)
from fb_fbw import read_fbw  # noqa: E402  (tools/, the script's own directory)


BITS_INDEX = {8: 0, 4: 1, 2: 2}


def quantize_weight(w, bits, per_channel_dim, step=None, one_scale=False):
    """freebits' weight grid: signed symmetric, [-2^(b-1), 2^(b-1) - 1]."""
    qmax = 2 ** (bits - 1) - 1
    if step is not None:
        s = step.reshape(-1)
        s = s[:1] if one_scale else s
    elif one_scale:
        s = w.abs().max().reshape(1) / qmax
    else:
        dims = [d for d in range(w.dim()) if d != per_channel_dim]
        s = w.abs().amax(dim=dims) / qmax
    s = torch.where(s > 0, s, torch.ones_like(s))
    shape = [1] * w.dim()
    shape[per_channel_dim] = -1
    s = s.reshape(shape) if s.numel() > 1 else s
    return s * torch.clamp(torch.round(w / s), -qmax - 1, qmax)


class FakeQuantNet(ptt.Net):
    """ptt.Net with fake-quantized activations; weights quantized by quantize()."""

    def setup_quant(self, spec, tensors, w_bits, a_bits):
        self.act = {}      # output tensor name → (scale, qmax)
        self.pool_of = {}  # pool output → input tensor
        last = spec["layers"][-1]["output"]
        with torch.no_grad():
            for i, l in enumerate(spec["layers"]):
                key, name, op = f"l{i}", l["name"], l["op"]
                step = tensors.get((name, "w_step"))
                if step is not None:
                    step = step.reshape(3, -1)[BITS_INDEX[w_bits]]
                if op == "conv2d":
                    conv = self.mods[key]["conv"]
                    conv.weight.copy_(quantize_weight(conv.weight, w_bits, 0, step))
                elif op == "depthwise_conv2d":
                    conv = self.mods[key]["conv"]
                    conv.weight.copy_(quantize_weight(conv.weight, w_bits, 0, step))
                elif op == "linear":
                    lin = self.mods[key]
                    lin.weight.copy_(quantize_weight(lin.weight, w_bits, 0, step, one_scale=l["output"] == last))
                if op == "global_avg_pool":
                    self.pool_of[l["output"]] = l["inputs"][0]
                elif l["output"] != last:
                    alpha = tensors.get((name, "act_alpha"))
                    if alpha is None:
                        sys.exit(f"weights have no ({name}, act_alpha): pass the file written by "
                                 "`freebits-cli eval ... --save-calibrated W`")
                    qmax = 2 ** a_bits - 1
                    self.act[l["output"]] = (float(alpha[BITS_INDEX[a_bits]]) / qmax, qmax)

    def after(self, layer, y):
        out = layer["output"]
        if layer["op"] == "global_avg_pool":
            s, qmax = self.act[self.pool_of[out]] if self.pool_of[out] in self.act else (1 / 255, 255)
            y = torch.fake_quantize_per_tensor_affine(y, s, 0, 0, qmax)
        if out in self.act:
            s, qmax = self.act[out]
            y = torch.fake_quantize_per_tensor_affine(y, s, 0, 0, qmax)
        return y


class Int8Net(nn.Module):
    """The same graph for PyTorch eager-mode static quantization (NCHW)."""

    def __init__(self, spec, tensors):
        super().__init__()
        self.spec = spec
        self.quant = torch.ao.quantization.QuantStub()
        self.dequant = torch.ao.quantization.DeQuantStub()
        self.mods = nn.ModuleDict()
        self.fuse = []
        shapes = {spec["input"]["name"]: list(spec["input"]["shape"])}
        for i, l in enumerate(spec["layers"]):
            key, name, op = f"l{i}", l["name"], l["op"]
            h, w, c = shapes[l["inputs"][0]]
            if op in ("conv2d", "depthwise_conv2d"):
                ky, kx = ptt.pair(l.get("kernel", 1))
                sy, sx = ptt.pair(l.get("stride", 1))
                pad = l.get("pad", 0)
                pad = [pad] * 4 if not isinstance(pad, list) else pad
                if pad[0] != pad[1] or pad[2] != pad[3]:
                    sys.exit(f"layer {name}: asymmetric padding not supported by this peer")
                cout = l.get("cout", c) if op == "conv2d" else c
                seq = [nn.Conv2d(c, cout, (ky, kx), (sy, sx), padding=(pad[0], pad[2]),
                                 groups=1 if op == "conv2d" else c, bias=False), nn.BatchNorm2d(cout)]
                wt = tensors[(name, "weight")]
                with torch.no_grad():
                    seq[0].weight.copy_(wt.permute(0, 3, 1, 2) if op == "conv2d" else wt.permute(2, 0, 1).unsqueeze(1))
                    seq[1].weight.copy_(tensors[(name, "bn_gamma")])
                    seq[1].bias.copy_(tensors[(name, "bn_beta")])
                    seq[1].running_mean.copy_(tensors[(name, "bn_mean")])
                    seq[1].running_var.copy_(tensors[(name, "bn_var")])
                names = [f"mods.{key}.0", f"mods.{key}.1"]
                if l.get("relu", True):
                    seq.append(nn.ReLU())
                    names.append(f"mods.{key}.2")
                self.mods[key] = nn.Sequential(*seq)
                self.fuse.append(names)
                ho = (h + pad[0] + pad[1] - ky) // sy + 1
                wo = (w + pad[2] + pad[3] - kx) // sx + 1
                shapes[l["output"]] = [ho, wo, cout]
            elif op == "linear":
                if h * w != 1:
                    sys.exit(f"layer {name}: linear on a spatial tensor not supported by this peer")
                lin = nn.Linear(c, l["cout"])
                with torch.no_grad():
                    lin.weight.copy_(tensors[(name, "weight")])
                    lin.bias.copy_(tensors[(name, "bias")])
                if l.get("relu", False):
                    self.mods[key] = nn.Sequential(lin, nn.ReLU())
                    self.fuse.append([f"mods.{key}.0", f"mods.{key}.1"])
                else:
                    self.mods[key] = lin
                shapes[l["output"]] = [1, 1, l["cout"]]
            elif op == "add":
                self.mods[key] = torch.ao.nn.quantized.FloatFunctional()
                shapes[l["output"]] = [h, w, c]
            elif op == "global_avg_pool":
                self.mods[key] = nn.AdaptiveAvgPool2d(1)
                shapes[l["output"]] = [1, 1, c]

    def forward(self, x):
        spec = self.spec
        t = {spec["input"]["name"]: self.quant(x)}
        for i, l in enumerate(spec["layers"]):
            key, op = f"l{i}", l["op"]
            a = t[l["inputs"][0]]
            if op == "add":
                f = self.mods[key]
                y = f.add_relu(a, t[l["inputs"][1]]) if l.get("relu", False) else f.add(a, t[l["inputs"][1]])
            elif op == "linear":
                y = self.mods[key](a.reshape(a.shape[0], -1))
            else:
                y = self.mods[key](a)
            t[l["output"]] = y
        return self.dequant(t[spec["layers"][-1]["output"]].reshape(x.shape[0], -1))


def timed_eval(model, x, y, batch):
    with torch.no_grad():
        model(x[:batch])  # warm-up (allocations, oneDNN primitive creation), not timed
        right = 0
        t0 = time.perf_counter()
        c0 = time.process_time()  # CPU time of every thread of the process
        for i in range(0, x.shape[0], batch):
            right += (model(x[i:i + batch]).argmax(1) == y[i:i + batch]).sum().item()
        dt = time.perf_counter() - t0
        cpu = time.process_time() - c0
    return {"images": int(x.shape[0]), "accuracy": right / x.shape[0], "seconds": round(dt, 3),
            "cpu_seconds": round(cpu, 3), "images_per_s": round(x.shape[0] / dt, 1)}


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("network")
    ap.add_argument("--weights", required=True, help="freebits-weights/1 file with act_alpha")
    ap.add_argument("--config", default="w8a8", help="uniform shorthand wXaY")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--channels-last", action="store_true", help="NHWC memory format for the fake-quant model")
    ap.add_argument("--limit", type=int, default=0, help="first N test images (default all)")
    ap.add_argument("--int8", action="store_true", help="also PyTorch's int8 backend (w8a8 only)")
    ap.add_argument("--engine", default="onednn", help="quantized engine for --int8")
    ap.add_argument("--no-fake-quant", action="store_true", help="skip the fake-quant model (with --int8: int8 only)")
    ap.add_argument("--calibration-images", type=int, default=2000)
    args = ap.parse_args()

    m = re.fullmatch(r"w([248])a([248])", args.config)
    if not m:
        sys.exit("--config must be a uniform shorthand such as w8a8, w4a4, w2a2")
    w_bits, a_bits = int(m.group(1)), int(m.group(2))
    torch.set_num_threads(args.threads)
    with open(args.network) as f:
        spec = json.load(f)
    _, tensors = read_fbw(args.weights)
    x_test, y_test = ptt.load_split("t10k")
    if args.limit:
        x_test, y_test = x_test[:args.limit], y_test[:args.limit]
    common = {"tool": f"pytorch {torch.__version__}", "threads": torch.get_num_threads(),
              "network": spec["name"], "config": args.config, "batch": args.batch}

    if not args.no_fake_quant:
        model = FakeQuantNet(spec)
        ptt.load_fbw(model, spec, args.weights)
        model.setup_quant(spec, tensors, w_bits, a_bits)
        model.eval()
        fmt = torch.channels_last if args.channels_last else torch.contiguous_format
        model = model.to(memory_format=fmt)
        print(json.dumps({**common, "method": "fake-quant float32" + (" channels-last" if args.channels_last else ""),
                          **timed_eval(model, x_test.contiguous(memory_format=fmt), y_test, args.batch)}))

    if args.int8:
        if (w_bits, a_bits) != (8, 8):
            sys.exit("--int8: PyTorch's quantized backends run 8-bit only")
        torch.backends.quantized.engine = args.engine
        q = Int8Net(spec, tensors).eval()
        q = torch.ao.quantization.fuse_modules(q, q.fuse)
        q.qconfig = torch.ao.quantization.get_default_qconfig(args.engine)
        torch.ao.quantization.prepare(q, inplace=True)
        x_train, _ = ptt.load_split("train")
        with torch.no_grad():
            for i in range(0, args.calibration_images, 500):
                q(x_train[i:min(i + 500, args.calibration_images)])
        torch.ao.quantization.convert(q, inplace=True)
        print(json.dumps({**common, "method": f"int8 {args.engine} (eager static quantization)",
                          **timed_eval(q, x_test, y_test, args.batch)}))


if __name__ == "__main__":
    main()
