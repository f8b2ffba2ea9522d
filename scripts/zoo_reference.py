#!/usr/bin/python3
"""PyTorch's side of test/zoo_pytorch.test.ts: torchvision models and a reference U-Net with
seeded random weights, their state_dicts and their outputs on one random input, for webcnn's zoo
to match.

    /usr/bin/python3 scripts/zoo_reference.py OUT_DIR SIZE NAME [NAME ...]

For each NAME (a torchvision.models constructor, 1000 classes; or `unet`, the U-Net below with
webcnn's defaults, or `unet_wW_dD_cC` with width W, depth D and C classes), writes
  OUT_DIR/NAME.safetensors     the state_dict as F32 (what webcnn's loadWeights reads); batch
                               norm's integer `num_batches_tracked` counters are left out (they
                               only matter to training with momentum=None) and listed in the
                               metadata `dropped`, with `num_params`, PyTorch's parameters() count
  OUT_DIR/NAME.io.safetensors  `input` (1, 3, SIZE, SIZE) uniform in [-1, 1) and `output`, the
                               model's output in eval mode
Batch norms get random affine parameters and running statistics (fresh ones are the identity,
which would leave their epsilon and their folding into convolutions untested); every other
weight is torchvision's own seeded initialisation. Needs Debian's python3-torch and
python3-torchvision (no safetensors package: the format is written here, it is small).
"""
import json
import re
import struct
import sys

import torch
import torchvision
from torch import nn


def write_safetensors(path, tensors, metadata):
    header = {"__metadata__": metadata}
    offset = 0
    blobs = []
    for name, t in tensors.items():
        data = t.detach().to(torch.float32).contiguous().numpy().astype("<f4").tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    raw = json.dumps(header).encode("utf-8")
    raw += b" " * (-len(raw) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(raw)))
        f.write(raw)
        for b in blobs:
            f.write(b)


def randomize_batch_norms(model):
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.2, 0.2)
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)


class DoubleConv(nn.Module):
    """(3x3 conv, no bias -> batch norm -> ReLU) x 2, padded."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.double_conv = nn.Sequential(
            nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
            nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        )

    def forward(self, x):
        return self.double_conv(x)


class Down(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.maxpool_conv = nn.Sequential(nn.MaxPool2d(2), DoubleConv(in_channels, out_channels))

    def forward(self, x):
        return self.maxpool_conv(x)


class Up(nn.Module):
    """2x2 up-convolution halving the channels, concat with the skip (skip first), double conv."""

    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.up = nn.ConvTranspose2d(in_channels, in_channels // 2, kernel_size=2, stride=2)
        self.conv = DoubleConv(in_channels, out_channels)

    def forward(self, x, skip):
        return self.conv(torch.cat([skip, self.up(x)], dim=1))


class OutConv(nn.Module):
    def __init__(self, in_channels, out_channels):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)

    def forward(self, x):
        return self.conv(x)


class UNet(nn.Module):
    """Ronneberger et al. 2015 with padded convolutions and batch norm, in the module layout of
    milesial/Pytorch-UNet (inc, down1..D, up1..D, outc), for any width and depth: what webcnn's
    zoo `unet` must equal."""

    def __init__(self, in_channels=3, num_classes=2, width=16, depth=4):
        super().__init__()
        self.depth = depth
        self.inc = DoubleConv(in_channels, width)
        for level in range(1, depth + 1):
            setattr(self, f"down{level}", Down(width << (level - 1), width << level))
        for level in range(1, depth + 1):
            setattr(self, f"up{level}", Up(width << (depth - level + 1), width << (depth - level)))
        self.outc = OutConv(width, num_classes)

    def forward(self, x):
        skips = []
        x = self.inc(x)
        for level in range(1, self.depth + 1):
            skips.append(x)
            x = getattr(self, f"down{level}")(x)
        for level in range(1, self.depth + 1):
            x = getattr(self, f"up{level}")(x, skips.pop())
        return self.outc(x)


def build(name):
    if name == "unet":
        return UNet()
    m = re.fullmatch(r"unet_w(\d+)_d(\d+)_c(\d+)", name)
    if m:
        return UNet(width=int(m[1]), depth=int(m[2]), num_classes=int(m[3]))
    return getattr(torchvision.models, name)()


def main():
    out_dir, size, names = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    for i, name in enumerate(names):
        torch.manual_seed(1000 + i)
        model = build(name)
        randomize_batch_norms(model)
        model.eval()
        state = model.state_dict()
        kept = {k: v for k, v in state.items() if not k.endswith("num_batches_tracked")}
        dropped = [k for k in state if k not in kept]
        num_params = sum(p.numel() for p in model.parameters())
        write_safetensors(f"{out_dir}/{name}.safetensors", kept, {"dropped": json.dumps(dropped), "num_params": str(num_params)})
        x = torch.rand(1, 3, size, size) * 2 - 1
        with torch.no_grad():
            y = model(x)
        write_safetensors(f"{out_dir}/{name}.io.safetensors", {"input": x, "output": y}, {})


if __name__ == "__main__":
    main()
