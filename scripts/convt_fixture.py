#!/usr/bin/python3
"""Exports a small decoder of PyTorch ConvTranspose2d layers to ONNX with random weights, plus an
input and PyTorch's output, as the fixture of test/conv_transpose.test.ts:

    /usr/bin/python3 scripts/convt_fixture.py      # test/fixtures/onnx/convt.{onnx,input.npy,output.npy}

Covers stride 2 with output_padding 1, groups 2, dilation 2, a depthwise one with unequal
strides, and activations after them. Seeded, so a rerun writes the same model. Uses `export` of
scripts/onnx_fixtures.py (Debian's python3-torch, python3-onnx).
"""
import os
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.dont_write_bytecode = True  # no scripts/__pycache__ from importing the sibling script
from onnx_fixtures import export  # noqa: E402


class Decoder(nn.Module):
    def __init__(self):
        super().__init__()
        self.c = nn.Conv2d(4, 8, 3, padding=1)
        self.up1 = nn.ConvTranspose2d(8, 6, 3, stride=2, padding=1, output_padding=1, groups=2)
        self.up2 = nn.ConvTranspose2d(6, 4, 3, stride=2, padding=2, output_padding=1, dilation=2)
        self.up3 = nn.ConvTranspose2d(4, 4, (2, 3), stride=(1, 3), groups=4, bias=False)

    def forward(self, x):
        x = F.relu(self.c(x))
        x = F.relu(self.up1(x))
        x = torch.tanh(self.up2(x))
        return self.up3(x)


def main():
    torch.manual_seed(7)
    out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')
    export(Decoder(), (2, 4, 3, 4), 13, True, out, 'convt')


if __name__ == '__main__':
    sys.exit(main())
