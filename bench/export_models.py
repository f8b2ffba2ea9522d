#!/usr/bin/python3
"""Builds the benchmark models in PyTorch with fixed seeds and writes, per model:

  <cache>/<key>.safetensors       the state_dict (float32, torchvision names) for webcnn and tfjs
  <cache>/<key>-b<B>.onnx         the model exported to ONNX at batch B, for onnxruntime-web
  <cache>/<key>-b<B>.input.f32    a seeded input batch (NCHW, little-endian float32)
  <cache>/<key>-b<B>.torch.f32    PyTorch's (CPU, float32) output for that input
  <cache>/<key>.json              what was written: shapes, parameter count, versions

<key> is "<model>-<size>" plus "-h<width>" for AlexNet/VGG's reduced classifier. Nothing is
downloaded: torchvision builds every architecture with random (seeded) weights; the U-Net is
scripts/zoo_reference.py's module (width 16, depth 4, 2 classes: webcnn's zoo defaults). Batch-norm
statistics and affine parameters are randomised too, so that folding them is actually tested.

  /usr/bin/python3 bench/export_models.py --cache bench/.cache --spec resnet18:64:1 lenet5:32:1,64

Each spec is model:size:batches[:classifierHidden]. Needs Debian's python3-torch,
python3-torchvision and python3-onnx.
"""
import argparse
import json
import os
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision

# The U-Net that webcnn's zoo `unet` equals (its PyTorch module lives with the zoo's tests).
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'scripts'))
from zoo_reference import UNet  # noqa: E402

SCALED_TANH_A = 1.7159
SCALED_TANH_S = 2.0 / 3.0


def scaled_tanh(x):
    return SCALED_TANH_A * torch.tanh(SCALED_TANH_S * x)


# LeNet-5 (1998) as webcnn builds it (src/models/lenet5.ts): the same parameter names and layouts.
LENET5_C3_TABLE = (
    [sorted((i + k) % 6 for k in range(3)) for i in range(6)]
    + [sorted((i + k) % 6 for k in range(4)) for i in range(6)]
    + [[0, 1, 3, 4], [1, 2, 4, 5], [0, 2, 3, 5], [0, 1, 2, 3, 4, 5]]
)


class Subsample(nn.Module):
    """LeNet-5's S2/S4: per map, coefficient × (sum of the 2×2 window) + bias, then scaled tanh."""

    def __init__(self, channels):
        super().__init__()
        self.weight = nn.Parameter(torch.empty(channels).uniform_(-0.6, 0.6))
        self.bias = nn.Parameter(torch.empty(channels).uniform_(-0.6, 0.6))

    def forward(self, x):
        s = F.avg_pool2d(x, 2) * 4.0
        return scaled_tanh(s * self.weight.view(1, -1, 1, 1) + self.bias.view(1, -1, 1, 1))


class TableConv(nn.Module):
    """C3: each output map reads only the input maps its row of the table lists. The weight is
    stored compactly as webcnn does, (connections, kH, kW) in table order, and scattered into a
    dense (16, 6, 5, 5) kernel with zeros for absent pairs."""

    def __init__(self, table, cin, k):
        super().__init__()
        self.table = table
        self.cin = cin
        conns = sum(len(r) for r in table)
        bound = 1.0 / ((conns / len(table)) * k * k) ** 0.5
        self.weight = nn.Parameter(torch.empty(conns, k, k).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(len(table)).uniform_(-bound, bound))
        index = []
        for o, row in enumerate(table):
            for i in row:
                index.append(o * cin + i)
        self.register_buffer('index', torch.tensor(index), persistent=False)

        # Set before ONNX export: ONNX has no connection table, so ort runs the dense kernel.
        self.frozen = None

    def dense_weight(self):
        k = self.weight.shape[-1]
        dense = torch.zeros(len(self.table) * self.cin, k, k, dtype=self.weight.dtype)
        return dense.index_copy(0, self.index, self.weight).view(len(self.table), self.cin, k, k)

    def forward(self, x):
        return F.conv2d(x, self.frozen if self.frozen is not None else self.dense_weight(), self.bias)


class Rbf(nn.Module):
    """Euclidean RBF output: squared distance from F6's 84 values to each class's centre."""

    def __init__(self, units, features):
        super().__init__()
        self.weight = nn.Parameter(torch.sign(torch.randn(units, features)), requires_grad=False)

    def forward(self, x):
        d = x.unsqueeze(1) - self.weight.unsqueeze(0)
        return (d * d).sum(-1)


class LeNet5(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(1, 6, 5)
        self.s2 = Subsample(6)
        self.c3 = TableConv(LENET5_C3_TABLE, 6, 5)
        self.s4 = Subsample(16)
        self.c5 = nn.Conv2d(16, 120, 5)
        self.f6 = nn.Linear(120, 84)
        self.output = Rbf(10, 84)

    def forward(self, x):
        x = self.s2(scaled_tanh(self.c1(x)))
        x = self.s4(scaled_tanh(self.c3(x)))
        x = torch.flatten(scaled_tanh(self.c5(x)), 1)
        return self.output(scaled_tanh(self.f6(x)))


class LeNet(nn.Module):
    """webcnn's modern LeNet (src/models/lenet.ts): ReLU and max pooling."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 6, 5, padding=2)
        self.conv2 = nn.Conv2d(6, 16, 5)
        self.fc1 = nn.Linear(16 * 5 * 5, 120)
        self.fc2 = nn.Linear(120, 84)
        self.fc3 = nn.Linear(84, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = torch.flatten(x, 1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class AdaptiveAvgPoolMatmul(nn.Module):
    """AdaptiveAvgPool2d written as two matmuls with PyTorch's bin matrices. The same result;
    torch 1.13's ONNX exporter refuses adaptive pooling whose output size does not divide the
    input (AlexNet's 6×6 and VGG's 7×7 heads at small inputs)."""

    def __init__(self, out_hw):
        super().__init__()
        self.out_hw = out_hw

    @staticmethod
    def bins(n_in, n_out):
        m = torch.zeros(n_out, n_in)
        for i in range(n_out):
            s = (i * n_in) // n_out
            e = -((-(i + 1) * n_in) // n_out)
            m[i, s:e] = 1.0 / (e - s)
        return m

    def forward(self, x):
        h, w = int(x.shape[-2]), int(x.shape[-1])
        oh, ow = self.out_hw
        if (h, w) == (oh, ow):
            return x
        # Columns then rows, each a product with a constant on the right (plain MatMul in ONNX).
        y = F.linear(x, self.bins(int(w), ow))                    # (N, C, H, ow)
        y = F.linear(y.transpose(2, 3), self.bins(int(h), oh))    # (N, C, ow, oh)
        return y.transpose(2, 3)


def randomise_batchnorm(model, gen):
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            with torch.no_grad():
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)


def build(name, hidden):
    tv = torchvision.models
    if name == 'lenet5':
        return LeNet5(), 1
    if name == 'lenet':
        return LeNet(), 1
    if name == 'alexnet':
        m = tv.alexnet()
        m.classifier[1] = nn.Linear(256 * 6 * 6, hidden)
        m.classifier[4] = nn.Linear(hidden, hidden)
        m.classifier[6] = nn.Linear(hidden, 1000)
        m.avgpool = AdaptiveAvgPoolMatmul((6, 6))
        return m, 3
    if name == 'vgg16':
        m = tv.vgg16()
        m.classifier[0] = nn.Linear(512 * 7 * 7, hidden)
        m.classifier[3] = nn.Linear(hidden, hidden)
        m.classifier[6] = nn.Linear(hidden, 1000)
        m.avgpool = AdaptiveAvgPoolMatmul((7, 7))
        return m, 3
    if name == 'googlenet':
        return tv.googlenet(aux_logits=False, init_weights=True), 3
    if name in ('resnet18', 'resnet50', 'mobilenet_v3_large', 'efficientnet_b0'):
        return getattr(tv, name)(), 3
    if name == 'unet':
        return UNet(), 3
    raise SystemExit(f'export_models: unknown model {name!r}')


def write_safetensors(path, state):
    header = {}
    blobs = []
    offset = 0
    for k, v in state.items():
        data = v.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes()
        header[k] = {'dtype': 'F32', 'shape': list(v.shape), 'data_offsets': [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    header['__metadata__'] = {'format': 'pt', 'source': 'bench/export_models.py'}
    h = json.dumps(header, separators=(',', ':')).encode()
    h += b' ' * ((8 - len(h) % 8) % 8)
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(h)))
        f.write(h)
        for b in blobs:
            f.write(b)
    os.replace(tmp, path)


def write_f32(path, t):
    with open(path, 'wb') as f:
        f.write(t.detach().to(torch.float32).contiguous().numpy().astype('<f4').tobytes())


def export(cache, name, size, batches, hidden, seed):
    key = f'{name}-{size}' + (f'-h{hidden}' if name in ('alexnet', 'vgg16') else '')
    manifest_path = os.path.join(cache, f'{key}.json')
    want = sorted(set(batches))
    if os.path.exists(manifest_path):
        with open(manifest_path) as f:
            old = json.load(f)
        if old.get('seed') == seed and all(str(b) in old.get('batches', {}) for b in want):
            print(f'export_models: {key} cached', flush=True)
            return
    torch.manual_seed(seed)
    model, channels = build(name, hidden)
    gen = torch.Generator().manual_seed(seed + 1)
    randomise_batchnorm(model, gen)
    model.eval()
    state = {k: v for k, v in model.state_dict().items() if not k.endswith('num_batches_tracked')}
    write_safetensors(os.path.join(cache, f'{key}.safetensors'), state)
    entry = {}
    for b in want:
        x = torch.rand(b, channels, size, size, generator=gen) * 2 - 1
        with torch.no_grad():
            y = model(x)
        stem = os.path.join(cache, f'{key}-b{b}')
        write_f32(stem + '.input.f32', x)
        write_f32(stem + '.torch.f32', y)
        for m in model.modules():
            if isinstance(m, TableConv):
                m.frozen = m.dense_weight().detach()
        torch.onnx.export(
            model, x, stem + '.onnx.tmp', input_names=['input'], output_names=['output'],
            opset_version=13, do_constant_folding=True,
        )
        os.replace(stem + '.onnx.tmp', stem + '.onnx')
        entry[str(b)] = {'input': list(x.shape), 'output': list(y.shape), 'maxAbsOutput': float(y.abs().max())}
        print(f'export_models: {key} batch {b}: input {list(x.shape)} → output {list(y.shape)}', flush=True)
    manifest = {
        'model': name, 'key': key, 'size': size, 'channels': channels, 'classifierHidden': hidden, 'seed': seed,
        'params': int(sum(v.numel() for k, v in state.items() if 'running_' not in k)),
        'batches': entry, 'torch': torch.__version__, 'torchvision': torchvision.__version__,
    }
    with open(manifest_path, 'w') as f:
        json.dump(manifest, f, indent=1)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('--cache', required=True)
    ap.add_argument('--seed', type=int, default=7)
    ap.add_argument('--spec', nargs='+', required=True, help='model:size:batch[,batch…][:classifierHidden]')
    args = ap.parse_args()
    os.makedirs(args.cache, exist_ok=True)
    torch.set_num_threads(1)
    for spec in args.spec:
        parts = spec.split(':')
        if len(parts) not in (3, 4):
            raise SystemExit(f'export_models: bad spec {spec!r}; expected model:size:batches[:hidden]')
        hidden = int(parts[3]) if len(parts) == 4 else 4096
        export(args.cache, parts[0], int(parts[1]), [int(b) for b in parts[2].split(',')], hidden, args.seed)


if __name__ == '__main__':
    sys.exit(main())
