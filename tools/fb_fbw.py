"""Reader of freebits-weights/1 (.fbw) files, shared by tools/peer-torch-*.py.

A .fbw file is a JSON header, a NUL, then the little-endian float32 blob at the
next 64-byte boundary; each header tensor names its layer, param, shape and
byte offset in the blob.
"""

import json

import numpy as np
import torch


def read_fbw(path):
    """(header, {(layer, param): tensor}) of a freebits-weights/1 file."""
    with open(path, "rb") as f:
        data = f.read()
    nul = data.index(b"\0")
    header = json.loads(data[:nul])
    blob = (nul + 1 + 63) // 64 * 64
    tensors = {}
    for t in header["tensors"]:
        n = int(np.prod(t["shape"]))
        a = np.frombuffer(data, dtype="<f4", count=n, offset=blob + t["offset"]).reshape(t["shape"])
        tensors[(t["layer"], t["param"])] = torch.from_numpy(a.copy())
    return header, tensors
