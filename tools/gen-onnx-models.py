#!/usr/bin/python3
"""Generates the ONNX test data of tests/import (run with Debian's PyTorch 1.13):

    /usr/bin/python3 tools/gen-onnx-models.py [OUTDIR]   (default tests/data/onnx)

Small models of the four kinds a microcontroller user brings (a ResNet-style
classifier, MobileNetV1 0.25 at 96x96x3 with 2 classes, a depthwise-separable
keyword-spotting CNN on 49x10x1 MFCC-like signed features, a fully-connected
autoencoder), a pooling model and a model whose equal initializers PyTorch
shares through Identity nodes, with random weights (and, but for the last,
random batch-norm statistics), exported with torch.onnx.export. For each, PyTorch's float outputs
on a few fixed inputs and PyTorch's MAC and parameter counts go to
models.json; inputs and outputs are little-endian float32 files, the inputs
in freebits' HWC order (a 1-D input as is). The tests need no PyTorch.

Counts: MACs = per Conv2d, output elements x (input channels / groups) x
kernel area; per Linear, in x out features (measured with forward hooks).
Parameters = per Conv2d/Linear, weight elements + one bias per output
channel: the deployed count, after batch norm is folded into the layer
before it (what freebits counts), not PyTorch's training-time count, which
also lists batch norm's gamma and beta.

Also writes malformed/*.onnx: files the importer must refuse with one line
and exit status 2 (truncated, not protobuf, unsupported ops and attributes,
dynamic shapes, a missing initializer, float64 weights, ...).
"""
import json
import os
import random
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

from fb_resnet import Block, conv_bn  # tools/, the script's own directory

torch.set_num_threads(2)
OUT = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..", "tests", "data", "onnx")


def bn_randomize(model, gen):
    """Random running statistics and affine parameters, so folding is tested."""
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            c = m.num_features
            m.running_mean.copy_(torch.randn(c, generator=gen) * 0.2)
            m.running_var.copy_(torch.rand(c, generator=gen) * 1.5 + 0.5)
            m.weight.data.copy_(torch.rand(c, generator=gen) * 1.0 + 0.5)
            m.bias.data.copy_(torch.randn(c, generator=gen) * 0.2)


class ResNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = conv_bn(3, 8, 3, 1)
        self.block1 = Block(8, 8, 1)
        self.block2 = Block(8, 16, 2)
        self.block3 = Block(16, 32, 2)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        x = self.block3(self.block2(self.block1(self.stem(x))))
        return self.fc(torch.flatten(self.pool(x), 1))


class MobileNetV1(nn.Module):
    """MobileNetV1 at width 0.25 (channels 8..256), 96x96x3 input, 2 classes."""

    def __init__(self):
        super().__init__()
        cfg = [(16, 1), (32, 2), (32, 1), (64, 2), (64, 1), (128, 2)] + [(128, 1)] * 5 + [(256, 2), (256, 1)]
        layers = [conv_bn(3, 8, 3, 2)]
        c = 8
        for cout, s in cfg:
            layers += [conv_bn(c, c, 3, s, groups=c), conv_bn(c, cout, 1, 1)]
            c = cout
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(256, 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.pool(self.features(x)), 1))


class DsCnn(nn.Module):
    """Keyword spotting DS-CNN (MLPerf Tiny style) on 49x10x1 MFCC features:
    a 10x4 stride-2 conv, four depthwise-separable blocks, an average pool
    over the whole map, 12 classes, a final softmax (removed on import)."""

    def __init__(self):
        super().__init__()
        c = 32
        layers = [conv_bn(1, c, (10, 4), 2, pad=(5, 1)), nn.Dropout(0.2)]
        for _ in range(4):
            layers += [conv_bn(c, c, 3, 1, groups=c), conv_bn(c, c, 1, 1)]
        self.features = nn.Sequential(*layers)
        self.pool = nn.AvgPool2d((25, 5))
        self.fc = nn.Linear(c, 12)

    def forward(self, x):
        x = self.pool(self.features(x))
        return F.softmax(self.fc(torch.flatten(x, 1)), dim=1)


class AutoEncoder(nn.Module):
    """Fully-connected autoencoder (MLPerf Tiny anomaly detection style,
    narrower): Linear + BatchNorm1d + ReLU layers 640-64-32-8-32-64, then a
    linear 640-value reconstruction. PyTorch keeps BatchNorm1d after Gemm."""

    def __init__(self):
        super().__init__()
        dims = [640, 64, 32, 8, 32, 64]
        layers = []
        for a, b in zip(dims[:-1], dims[1:]):
            layers += [nn.Linear(a, b), nn.BatchNorm1d(b), nn.ReLU()]
        layers.append(nn.Linear(64, 640))
        self.net = nn.Sequential(*layers)

    def forward(self, x):
        return self.net(x)


class Pools(nn.Module):
    """Windowed pools and a flatten of a 4x4 map into a linear layer (NCHW
    flatten order), ReLU6 (Clip 0..6) and an explicit Pad before a conv."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(3, 8, 3, 1, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1, 0)
        self.conv3 = nn.Conv2d(16, 16, 1, 1, 0)
        self.fc = nn.Linear(16 * 4 * 4, 5)
        with torch.no_grad():
            self.conv2.weight.mul_(30.0)  # so that ReLU6's bound clips some outputs

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 3, 2, 1)                # 16 -> 8
        x = F.relu6(self.conv2(F.pad(x, (1, 1, 1, 1))))                  # 8 -> 8
        x = F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)           # 8 -> 8
        x = F.avg_pool2d(F.relu(self.conv3(x)), 2, 2)                    # 8 -> 4
        return self.fc(torch.flatten(x, 1))


class Shared(nn.Module):
    """Two conv + batch norm layers with default statistics: their folded
    biases are equal (zeros), and PyTorch writes the second as an Identity
    of the first initializer."""

    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(conv_bn(3, 4, 3, 1), conv_bn(4, 4, 3, 1))
        self.fc = nn.Linear(4, 2)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.body(x), 1), 1))


def count(model, x):
    macs = [0]
    params = [0]

    def hook(m, inp, out):
        if isinstance(m, nn.Conv2d):
            macs[0] += out[0].numel() * (m.in_channels // m.groups) * m.kernel_size[0] * m.kernel_size[1]
            params[0] += m.weight.numel() + m.out_channels
        elif isinstance(m, nn.Linear):
            macs[0] += m.in_features * m.out_features
            params[0] += m.weight.numel() + m.out_features

    hs = [m.register_forward_hook(hook) for m in model.modules()]
    with torch.no_grad():
        model(x[:1])
    for h in hs:
        h.remove()
    return macs[0], params[0]


def export(model, x, path, opset, **kw):
    torch.onnx.export(model, x[:1], path, opset_version=opset, input_names=["input"],
                      output_names=["output"], do_constant_folding=True, **kw)


def to_le_f32(t):
    return t.detach().contiguous().numpy().astype("<f4").tobytes()


def main():
    os.makedirs(os.path.join(OUT, "malformed"), exist_ok=True)
    torch.manual_seed(14)
    gen = torch.Generator().manual_seed(14)
    pixels = lambda n, c, h, w: torch.randint(0, 256, (n, c, h, w), generator=gen).float() / 255.0
    specs = [
        # name, model, inputs, opset, input description for `import`
        ("resnet", ResNet(), pixels(3, 3, 32, 32), 13, {}),
        ("mbv1", MobileNetV1(), pixels(2, 3, 96, 96), 11, {}),
        ("kws", DsCnn(), torch.randint(-128, 128, (3, 1, 49, 10), generator=gen).float() * 0.25, 17,
         {"signed": True, "scale": 0.25, "zero_point": 0}),
        ("autoencoder", AutoEncoder(), torch.randint(-128, 128, (3, 640), generator=gen).float() / 16.0, 13,
         {"signed": True, "scale": 0.0625, "zero_point": 0}),
        ("pools", Pools(), pixels(3, 3, 16, 16), 12, {}),
    ]
    meta = []
    for name, model, x, opset, input_desc in specs:
        bn_randomize(model, gen)
        meta.append(record(name, model, x, opset, input_desc))
    malformed(os.path.join(OUT, "malformed"), os.path.join(OUT, "pools.onnx"))
    # Made last, with its own seeds, so the files above stay as they were.
    torch.manual_seed(15)
    gen = torch.Generator().manual_seed(15)
    x = torch.randint(0, 256, (2, 3, 8, 8), generator=gen).float() / 255.0
    meta.append(record("shared", Shared(), x, 13, {}))
    with open(os.path.join(OUT, "models.json"), "w") as f:
        json.dump({"generator": "tools/gen-onnx-models.py", "torch": torch.__version__, "models": meta}, f, indent=1)
        f.write("\n")


def record(name, model, x, opset, input_desc):
    """Exports @model, writes its inputs and PyTorch's outputs, returns its models.json entry."""
    model.eval()
    path = os.path.join(OUT, name + ".onnx")
    export(model, x, path, opset)
    with torch.no_grad():
        y = model(x)
        if name == "pools":
            pre = model.conv2(F.pad(F.max_pool2d(F.relu(model.conv1(x)), 3, 2, 1), (1, 1, 1, 1)))
            print(f"pools: {(pre > 6).float().mean().item():.1%} of ReLU6 inputs above 6 (max {pre.max().item():.2f})")
        if name == "kws":
            y = torch.log(y)  # softmax is removed on import: compare logits up to a constant
    macs, params = count(model, x)
    xin = x.permute(0, 2, 3, 1) if x.dim() == 4 else x
    with open(os.path.join(OUT, name + "-inputs.bin"), "wb") as f:
        f.write(to_le_f32(xin))
    with open(os.path.join(OUT, name + "-outputs.bin"), "wb") as f:
        f.write(to_le_f32(y))
    print(f"{name}: {macs} MACs, {params} parameters, {os.path.getsize(path)} bytes")
    return {"name": name, "model": name + ".onnx", "opset": opset, "n": x.shape[0],
            "input_shape": list(xin.shape[1:]), "outputs": y.shape[1],
            "softmax_removed": name == "kws", "input": input_desc,
            "macs": macs, "params": params}


class Seq(nn.Module):
    def __init__(self, *mods, flat_in=32):
        super().__init__()
        self.body = nn.Sequential(*mods)
        self.fc = nn.Linear(flat_in, 3)

    def forward(self, x):
        return self.fc(torch.flatten(F.adaptive_avg_pool2d(self.body(x), 1), 1))


class Lambda(nn.Module):
    def __init__(self, f):
        super().__init__()
        self.f = f

    def forward(self, x):
        return self.f(x)


class TwoInputs(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(8, 2)

    def forward(self, a, b):
        return self.fc(a + b)


def malformed(d, good):
    """Each file names what is wrong with it; the test expects one line and exit 2."""
    rnd = random.Random(14)
    data = open(good, "rb").read()
    files = {
        "empty.onnx": b"",
        "garbage.onnx": bytes(rnd.randrange(256) for _ in range(300)),
        "json.onnx": b'{"format": "freebits-network/1"}\n',
        "truncated-half.onnx": data[: len(data) // 2],
        "truncated-tail.onnx": data[:-7],
    }
    for fname, blob in files.items():
        with open(os.path.join(d, fname), "wb") as f:
            f.write(blob)
    x = torch.rand(1, 4, 8, 8)
    conv = lambda *a, **k: nn.Conv2d(*a, **k)
    cases = [
        ("grouped-conv.onnx", Seq(conv(4, 32, 3, 1, 1, groups=2)), x, {}),
        ("depth-multiplier.onnx", Seq(conv(4, 8, 3, 1, 1, groups=4), flat_in=8), x, {}),
        ("dilated-conv.onnx", Seq(conv(4, 32, 3, 1, 2, dilation=2)), x, {}),
        ("sigmoid.onnx", Seq(conv(4, 32, 3), nn.Sigmoid()), x, {}),
        ("conv-transpose.onnx", Seq(nn.ConvTranspose2d(4, 32, 2, 2)), x, {}),
        ("concat.onnx", Seq(Lambda(lambda t: torch.cat([t, t], 1)), conv(8, 32, 1)), x, {}),
        ("mul.onnx", Seq(conv(4, 32, 1), Lambda(lambda t: t * t)), x, {}),
        ("ceil-mode-pool.onnx", Seq(conv(4, 32, 1), nn.MaxPool2d(3, 2, ceil_mode=True)), x, {}),
        ("bn-on-input.onnx", Seq(nn.BatchNorm2d(4), conv(4, 32, 1)), x, {}),
        ("relu-on-input.onnx", Seq(nn.ReLU(), conv(4, 32, 1)), x, {}),
        ("softmax-middle.onnx", Seq(conv(4, 32, 1), nn.Softmax(dim=1)), x, {}),
        ("dynamic-hw.onnx", Seq(conv(4, 32, 3)), x, {"dynamic_axes": {"input": {2: "h", 3: "w"}}}),
        ("float64.onnx", Seq(conv(4, 32, 3)).double(), x.double(), {}),
        ("no-linear.onnx", nn.Sequential(conv(4, 32, 3), nn.ReLU(), nn.AdaptiveAvgPool2d(1)), x, {}),
    ]
    for fname, model, inp, kw in cases:
        model.eval()
        bn_randomize(model, torch.Generator().manual_seed(1))
        export(model, inp, os.path.join(d, fname), 13, **kw)
    # Two graph inputs.
    torch.onnx.export(TwoInputs().eval(), (torch.rand(1, 8), torch.rand(1, 8)), os.path.join(d, "two-inputs.onnx"),
                      opset_version=13, input_names=["a", "b"], output_names=["output"])
    # A node reads an initializer that is not there: rename the initializer
    # (the last occurrence of the name: initializers follow nodes in the file).
    model = Seq(conv(4, 32, 3)).eval()
    path = os.path.join(d, "missing-initializer.onnx")
    export(model, x, path, 13)
    blob = open(path, "rb").read()
    i = blob.rfind(b"fc.weight")
    assert i > 0
    with open(path, "wb") as f:
        f.write(blob[:i] + b"fc.wEIGHT" + blob[i + 9:])
    print("malformed:", len(os.listdir(d)), "files")


if __name__ == "__main__":
    main()
