#!/usr/bin/env python3
"""Writes the bundled topologies in data/networks/ (freebits-network/1).

A development tool: the JSON files are committed; nothing at build, test or
run time calls this script. Run it from the source root after changing a
topology, then check the counts with `freebits-cli info`.
"""
import json
import os


def conv(name, inp, cout, k=3, s=1, relu=True):
    p = k // 2
    return {"name": name, "op": "conv2d", "inputs": [inp], "output": name,
            "kernel": [k, k], "stride": [s, s], "pad": [p, p, p, p], "cout": cout, "relu": relu}


def dw(name, inp, s=1):
    return {"name": name, "op": "depthwise_conv2d", "inputs": [inp], "output": name,
            "kernel": [3, 3], "stride": [s, s], "pad": [1, 1, 1, 1], "relu": True}


def pool(name, inp):
    return {"name": name, "op": "global_avg_pool", "inputs": [inp], "output": name}


def linear(name, inp, cout, relu=False):
    return {"name": name, "op": "linear", "inputs": [inp], "output": name, "cout": cout, "relu": relu}


def add(name, a, b):
    return {"name": name, "op": "add", "inputs": [a, b], "output": name, "relu": False}


def mobilenet_v1(width, res, classes=1000, name=None):
    ch = lambda c: int(c * width)
    cfg = [(64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2),
           (512, 1), (512, 1), (512, 1), (512, 1), (512, 1), (1024, 2), (1024, 1)]
    layers = [conv("conv1", "input", ch(32), 3, 2)]
    prev = "conv1"
    for i, (c, s) in enumerate(cfg, start=2):
        layers.append(dw(f"dw{i}", prev, s))
        layers.append(conv(f"pw{i}", f"dw{i}", ch(c), 1, 1))
        prev = f"pw{i}"
    layers.append(pool("pool", prev))
    layers.append(linear("fc", "pool", classes))
    return {
        "format": "freebits-network/1",
        "name": name,
        "description": f"MobileNetV1 {width}-{res} (Howard et al. 2017), ImageNet classifier; "
                       "topology only, for size/BOPs/latency studies. Batch norm is folded "
                       "into each conv (bias + requantization).",
        "input": {"name": "input", "shape": [res, res, 3]},
        "layers": layers,
    }


def mobilenet_v2(res=224, classes=1000):
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2),
                (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    layers = [conv("conv1", "input", 32, 3, 2)]
    prev, cin, block = "conv1", 32, 0
    for t, c, n, s in settings:
        for i in range(n):
            block += 1
            stride = s if i == 0 else 1
            b = f"b{block}"
            x = prev
            if t != 1:
                layers.append(conv(f"{b}_expand", x, cin * t, 1, 1))
                x = f"{b}_expand"
            layers.append(dw(f"{b}_dw", x, stride))
            # freebits adds a ReLU to the projection so every activation is unsigned.
            layers.append(conv(f"{b}_project", f"{b}_dw", c, 1, 1, relu=True))
            out = f"{b}_project"
            if stride == 1 and cin == c:
                layers.append(add(f"{b}_add", prev, out))
                out = f"{b}_add"
            prev, cin = out, c
    layers.append(conv("conv_last", prev, 1280, 1, 1))
    layers.append(pool("pool", "conv_last"))
    layers.append(linear("fc", "pool", classes))
    return {
        "format": "freebits-network/1",
        "name": "mobilenet-v2-1.0-224",
        "description": "MobileNetV2 1.0-224 (Sandler et al. 2018), ImageNet classifier; topology only. "
                       "17 inverted-residual blocks (expansion 6) with residual adds. Unlike the "
                       "original, the projection output of each block has a ReLU so that every "
                       "activation is unsigned (freebits' convention); MACs and parameters are unchanged.",
        "input": {"name": "input", "shape": [res, res, 3]},
        "layers": layers,
    }


def fmnist_mbv1():
    # A small MobileNetV1 for 28x28x1 Fashion-MNIST: 14 weighted layers, ~4.2 M MACs,
    # every searchable tensor's channel count a multiple of 4 (2-bit packing fits).
    layers = [conv("conv1", "input", 16, 3, 1)]
    prev = "conv1"
    for i, (c, s) in enumerate([(32, 1), (64, 2), (64, 1), (128, 2), (128, 1), (128, 1)], start=2):
        layers.append(dw(f"dw{i}", prev, s))
        layers.append(conv(f"pw{i}", f"dw{i}", c, 1, 1))
        prev = f"pw{i}"
    layers.append(pool("pool", prev))
    layers.append(linear("fc", "pool", 10))
    return {
        "format": "freebits-network/1",
        "name": "fmnist-mbv1",
        "description": "MobileNetV1-style CNN for Fashion-MNIST (28x28 grayscale, 10 classes): "
                       "a 3x3 conv and six depthwise-separable blocks (16-128 channels), "
                       "global average pool, linear classifier.",
        "input": {"name": "input", "shape": [28, 28, 1]},
        "layers": layers,
    }


def write(net, path):
    with open(path, "w") as f:
        json.dump(net, f, indent=2)
        f.write("\n")


if __name__ == "__main__":
    out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "data", "networks")
    write(mobilenet_v1(1.0, 224, name="mobilenet-v1-1.0-224"), os.path.join(out, "mobilenet-v1-1.0-224.json"))
    write(mobilenet_v1(0.25, 128, name="mobilenet-v1-0.25-128"), os.path.join(out, "mobilenet-v1-0.25-128.json"))
    write(mobilenet_v2(), os.path.join(out, "mobilenet-v2-1.0-224.json"))
    write(fmnist_mbv1(), os.path.join(out, "fmnist-mbv1.json"))
