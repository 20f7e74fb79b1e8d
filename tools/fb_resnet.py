"""The ResNet-8 building blocks shared by tools/gen-onnx-models.py and
tools/walkthrough-resnet.py (both import it from their own directory)."""

import torch.nn as nn
import torch.nn.functional as F


def conv_bn(cin, cout, k, s, groups=1, relu=True, pad=None):
    layers = [nn.Conv2d(cin, cout, k, s, k // 2 if pad is None else pad, groups=groups, bias=False),
              nn.BatchNorm2d(cout)]
    if relu:
        layers.append(nn.ReLU())
    return nn.Sequential(*layers)


class Block(nn.Module):
    """ResNet basic block as in the MLPerf Tiny ResNet-8: the second conv has
    batch norm but no ReLU before the add, the shortcut (when the shape
    changes) is a 1x1 stride-2 conv without batch norm or ReLU."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = conv_bn(cin, cout, 3, stride)
        self.conv2 = conv_bn(cout, cout, 3, 1, relu=False)
        self.shortcut = nn.Conv2d(cin, cout, 1, stride) if stride != 1 or cin != cout else None

    def forward(self, x):
        y = self.conv2(self.conv1(x))
        return F.relu(y + (self.shortcut(x) if self.shortcut is not None else x))
