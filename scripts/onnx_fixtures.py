#!/usr/bin/python3
"""Exports small PyTorch models to ONNX with random weights, plus an input and PyTorch's output
for each, as the fixtures of test/onnx_models.test.ts.

    /usr/bin/python3 scripts/onnx_fixtures.py                 # test/fixtures/onnx/ (small, committed)
    /usr/bin/python3 scripts/onnx_fixtures.py --torchvision DIR  # resnet18, googlenet, squeezenet1_0,
                                                              # mobilenet_v2 (too big to commit)

Each model NAME gives NAME.onnx, NAME.input.npy (float32, NCHW) and NAME.output.npy (float32,
PyTorch's output in eval mode). Needs Debian's python3-torch, python3-torchvision, python3-onnx.
Seeded, so a rerun writes the same models.
"""
import argparse
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def bn(c):
    """Batch norm with non-trivial running statistics (a fresh one is the identity)."""
    m = nn.BatchNorm2d(c)
    with torch.no_grad():
        m.running_mean.uniform_(-0.5, 0.5)
        m.running_var.uniform_(0.5, 1.5)
        m.weight.uniform_(0.5, 1.5)
        m.bias.uniform_(-0.5, 0.5)
    return m


class Residual(nn.Module):
    """Two ResNet basic blocks: identity shortcut, then a strided one with a 1x1 projection."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 8, 3, padding=1, bias=False)
        self.bn0 = bn(8)
        self.c1, self.b1 = nn.Conv2d(8, 8, 3, padding=1, bias=False), bn(8)
        self.c2, self.b2 = nn.Conv2d(8, 8, 3, padding=1, bias=False), bn(8)
        self.c3, self.b3 = nn.Conv2d(8, 16, 3, stride=2, padding=1, bias=False), bn(16)
        self.c4, self.b4 = nn.Conv2d(16, 16, 3, padding=1, bias=False), bn(16)
        self.proj, self.bp = nn.Conv2d(8, 16, 1, stride=2, bias=False), bn(16)
        self.fc = nn.Linear(16, 10)

    def forward(self, x):
        x = F.relu(self.bn0(self.stem(x)))
        y = F.relu(self.b1(self.c1(x)))
        x = F.relu(self.b2(self.c2(y)) + x)
        y = F.relu(self.b3(self.c3(x)))
        x = F.relu(self.b4(self.c4(y)) + self.bp(self.proj(x)))
        x = F.adaptive_avg_pool2d(x, 1)
        # PyTorch exports this as Shape -> Gather -> Unsqueeze -> Concat -> Reshape.
        x = x.reshape(x.size(0), -1)
        return self.fc(x)


class Inception(nn.Module):
    """A GoogLeNet Inception module: 1x1, 1x1->3x3, 1x1->5x5 and pool->1x1 branches, concatenated."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(3, 12, 3, padding=1)
        self.b1 = nn.Conv2d(12, 6, 1)
        self.b2a, self.b2b = nn.Conv2d(12, 4, 1), nn.Conv2d(4, 8, 3, padding=1)
        self.b3a, self.b3b = nn.Conv2d(12, 2, 1), nn.Conv2d(2, 4, 5, padding=2)
        self.b4 = nn.Conv2d(12, 4, 1)
        self.pool = nn.MaxPool2d(3, stride=2, ceil_mode=True)

    def forward(self, x):
        x = F.relu(self.stem(x))
        branches = [
            F.relu(self.b1(x)),
            F.relu(self.b2b(F.relu(self.b2a(x)))),
            F.relu(self.b3b(F.relu(self.b3a(x)))),
            F.relu(self.b4(F.max_pool2d(x, 3, stride=1, padding=1))),
        ]
        return self.pool(torch.cat(branches, 1))


class Depthwise(nn.Module):
    """MobileNetV2-style: expand 1x1, depthwise 3x3 (stride 2), ReLU6, project 1x1, residual-free."""

    def __init__(self):
        super().__init__()
        self.expand, self.be = nn.Conv2d(3, 12, 1, bias=False), bn(12)
        self.dw, self.bd = nn.Conv2d(12, 12, 3, stride=2, padding=1, groups=12, bias=False), bn(12)
        self.dw2 = nn.Conv2d(12, 12, 5, padding=2, groups=12)
        self.project, self.bp = nn.Conv2d(12, 8, 1, bias=False), bn(8)

    def forward(self, x):
        x = F.relu6(self.be(self.expand(x)))
        x = F.relu6(self.bd(self.dw(x)))
        x = F.leaky_relu(self.dw2(x), 0.1)
        return self.bp(self.project(x))


class BatchNorm(nn.Module):
    """Batch norm after a conv (folded), after a ReLU (standalone), and on features (BatchNorm1d)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.bn1 = bn(6)
        self.bn2 = bn(6)
        self.fc = nn.Linear(6 * 6 * 6, 12)
        self.bn3 = nn.BatchNorm1d(12)
        with torch.no_grad():
            self.bn3.running_mean.uniform_(-0.5, 0.5)
            self.bn3.running_var.uniform_(0.5, 1.5)

    def forward(self, x):
        x = self.bn1(self.conv(x))
        x = self.bn2(torch.sigmoid(x))
        x = F.avg_pool2d(x, 2)
        x = torch.flatten(x, 1)
        return torch.tanh(self.bn3(self.fc(x)))


class LrnOp(torch.autograd.Function):
    """F.local_response_norm exported as one ONNX LRN node (PyTorch's exporter otherwise
    decomposes it into Pow, Pad, AveragePool and an If)."""

    @staticmethod
    def forward(ctx, x, size, alpha, beta, k):
        return F.local_response_norm(x, size, alpha, beta, k)

    @staticmethod
    def symbolic(g, x, size, alpha, beta, k):
        return g.op('LRN', x, size_i=size, alpha_f=alpha, beta_f=beta, bias_f=k)


class Lrn(nn.Module):
    """AlexNet's early layers: conv, ReLU, LRN, overlapping max pooling; then padded average pooling."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 5, stride=2, padding=2)
        self.conv2 = nn.Conv2d(8, 8, 3, padding=1)

    def forward(self, x):
        x = LrnOp.apply(F.relu(self.conv(x)), 5, 1e-3, 0.75, 2.0)
        x = F.max_pool2d(x, 3, stride=2, ceil_mode=True)
        x = F.relu(self.conv2(x))
        return F.avg_pool2d(x, 3, stride=2, padding=1, count_include_pad=False)


class Grouped(nn.Module):
    """Grouped and dilated convolutions, explicit zero padding, a classifier with dropout and softmax."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(4, 8, 3, padding=1, groups=2)
        self.conv2 = nn.Conv2d(8, 12, 3, dilation=2, groups=4, stride=2)
        self.drop = nn.Dropout(0.5)
        self.fc1 = nn.Linear(12, 16)
        self.fc2 = nn.Linear(16, 5)

    def forward(self, x):
        x = F.relu(self.conv1(x))
        x = F.pad(x, (1, 2, 0, 1))
        x = F.relu(self.conv2(x))
        x = F.adaptive_max_pool2d(x, 1).flatten(1)
        x = self.drop(F.relu(self.fc1(x)))
        return F.softmax(self.fc2(x), dim=1)


# name: (module, input shape, opset, dynamic batch, raw). A raw export keeps the batch norms
# (PyTorch folds them into the convs otherwise) and skips the exporter's constant folding, so
# the importer's own folding of both is what gets tested.
class MobileBlock(nn.Module):
    """A MobileNetV3 block: 1x1 expansion with hardswish, depthwise 3x3, squeeze-and-excitation
    gated by hardsigmoid (a Mul of two computed values with broadcasting), 1x1 projection and a
    residual add; then hardswish before a classifier."""

    def __init__(self):
        super().__init__()
        self.expand, self.be = nn.Conv2d(8, 24, 1, bias=False), bn(24)
        self.dw, self.bd = nn.Conv2d(24, 24, 3, padding=1, groups=24, bias=False), bn(24)
        self.se1, self.se2 = nn.Conv2d(24, 8, 1), nn.Conv2d(8, 24, 1)
        self.project, self.bp = nn.Conv2d(24, 8, 1, bias=False), bn(8)
        self.fc = nn.Linear(8, 5)

    def forward(self, x):
        y = F.hardswish(self.be(self.expand(x)))
        y = F.hardswish(self.bd(self.dw(y)))
        s = F.adaptive_avg_pool2d(y, 1)
        s = F.hardsigmoid(self.se2(F.relu(self.se1(s))))
        y = self.bp(self.project(y * s)) + x
        y = F.hardswish(F.adaptive_avg_pool2d(y, 1)).flatten(1)
        return self.fc(y)


class Shuffle(nn.Module):
    """ShuffleNet's channel shuffle (view to 5-D, transpose two axes, view back) between grouped
    convolutions, then a permute to NHWC before the classifier, as detection heads permute their
    outputs."""

    def __init__(self):
        super().__init__()
        self.c1, self.b1 = nn.Conv2d(6, 12, 1, groups=3, bias=False), bn(12)
        self.c2 = nn.Conv2d(12, 12, 3, padding=1, groups=12)
        self.head = nn.Linear(5 * 7 * 12, 4)

    def forward(self, x):
        x = F.relu(self.b1(self.c1(x)))
        n, c, h, w = x.shape
        x = x.view(n, 3, c // 3, h, w).transpose(1, 2).reshape(n, c, h, w)
        x = self.c2(x).permute(0, 2, 3, 1).reshape(n, -1)
        return self.head(x)


class Slices(nn.Module):
    """Data movement of computed values: a stepped slice, split, chunk, repeat, expand, flip,
    index_select and a scalar index, and matmuls with broadcast batch dimensions."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(4, 8, 1)
        self.w = nn.Parameter(torch.randn(6, 3))

    def forward(self, x):
        x = self.conv(x)  # (N, 8, 7, 6)
        a = x[:, 1::2, :-1]
        b, c = torch.split(x, [3, 5], dim=1)
        d, e = torch.chunk(x, 2, dim=1)
        t = b[:, :, 2:5].repeat(1, 2, 1, 1)
        ex = x[:, :1, :1].expand_as(x[:, :2])  # (.expand(-1, …) exports Equal and Where on the shape)
        f = torch.flip(c, [2, 3])
        g = x.index_select(3, torch.tensor([0, 5, 2, 5])) + x[:, :, :, 3:4]
        s = x[:, 2]  # a scalar index drops the axis: (N, 7, 6)
        m = torch.matmul(x, self.w)  # (N, 8, 7, 3)
        q = torch.matmul(x[:, :3], x[:, 5:6].transpose(-1, -2))  # (N, 3, 7, 7), broadcast over axis 1
        parts = [a, c, d * e, t, ex, f, g, s, m, q]
        return torch.cat([p.flatten(1) for p in parts], 1)


class YoloHead(nn.Module):
    """A YOLO-style detection head: conv -> view(N, 3, K, H, W) -> permute(0, 1, 3, 4, 2) ->
    slices of the last axis, sigmoid."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(8, 3 * 7, 1)

    def forward(self, x):
        n, _, h, w = x.shape
        p = self.conv(x).view(n, 3, 7, h, w).permute(0, 1, 3, 4, 2)
        xy = torch.sigmoid(p[..., 0:2]) * 2
        rest = torch.sigmoid(p[..., 4:])
        return torch.cat([xy, p[..., 2:4], rest], -1)


SMALL = {
    'residual': (Residual, (2, 3, 12, 12), 13, True, True),
    'inception': (Inception, (2, 3, 11, 11), 11, False, False),
    'depthwise': (Depthwise, (2, 3, 14, 14), 17, False, True),
    'batchnorm': (BatchNorm, (3, 3, 14, 14), 13, False, False),
    'lrn': (Lrn, (2, 3, 19, 19), 12, False, False),
    'grouped': (Grouped, (2, 4, 13, 13), 17, True, False),
    'mobile_block': (MobileBlock, (2, 8, 9, 9), 14, True, False),
    'shuffle': (Shuffle, (2, 6, 5, 7), 13, True, False),
    'slices': (Slices, (2, 4, 7, 6), 13, True, False),
    'yolo_head': (YoloHead, (2, 8, 5, 6), 11, True, False),
}


def split18(out_dir):
    """Split at opset 18 (newer than the exporter's): num_outputs = 3 of an axis of 7 gives
    parts of 3, 3 and 1; and Split and Slice at opset 9, with attributes. Written with
    onnx.helper; the test computes the expected parts."""
    import onnx
    from onnx import TensorProto, helper
    node = helper.make_node('Split', ['x'], ['a', 'b', 'c'], axis=-1, num_outputs=3)
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in 'abc']
    graph = helper.make_graph([node], 'split18', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 2, 7])], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 18)], producer_name='scripts/onnx_fixtures.py')
    path = os.path.join(out_dir, 'split18.onnx')
    onnx.save(model, path)
    print(f'{path}: {os.path.getsize(path):,} bytes, opset 18')
    # Opset 9: Split's sizes and Slice's starts, ends and axes are attributes.
    nodes = [
        helper.make_node('Split', ['x'], ['a', 'b'], axis=2, split=[2, 5]),
        helper.make_node('Slice', ['b'], ['c'], starts=[1], ends=[-1], axes=[-1]),
    ]
    outs = [helper.make_tensor_value_info(n, TensorProto.FLOAT, None) for n in 'ac']
    graph = helper.make_graph(nodes, 'attrs9', [helper.make_tensor_value_info('x', TensorProto.FLOAT, ['N', 2, 7])], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 9)], producer_name='scripts/onnx_fixtures.py')
    path = os.path.join(out_dir, 'split_slice9.onnx')
    onnx.save(model, path)
    print(f'{path}: {os.path.getsize(path):,} bytes, opset 9')


def export(model, shape, opset, dynamic, out_dir, name, raw=False):
    model.eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        y = model(x)
    path = os.path.join(out_dir, name + '.onnx')
    torch.onnx.export(
        model, x, path, opset_version=opset, input_names=['input'], output_names=['output'],
        dynamic_axes={'input': {0: 'batch'}, 'output': {0: 'batch'}} if dynamic else None,
        do_constant_folding=not raw,
        training=torch.onnx.TrainingMode.PRESERVE if raw else torch.onnx.TrainingMode.EVAL,
    )
    np.save(os.path.join(out_dir, name + '.input.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(out_dir, name + '.output.npy'), y.numpy().astype(np.float32))
    print(f'{path}: input {tuple(x.shape)} -> output {tuple(y.shape)}, {os.path.getsize(path):,} bytes, opset {opset}')


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--out', default=os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx'))
    ap.add_argument('--torchvision', metavar='DIR', help='write the torchvision models to DIR instead')
    ap.add_argument('--size', type=int, default=64, help='input height and width of the torchvision models (default 64)')
    ap.add_argument('--only', nargs='*', metavar='NAME', help='write only these small models')
    args = ap.parse_args()
    torch.manual_seed(0)
    if args.torchvision:
        import torchvision.models as tv
        os.makedirs(args.torchvision, exist_ok=True)
        models = {
            'resnet18': lambda: tv.resnet18(),
            'googlenet': lambda: tv.googlenet(aux_logits=False, init_weights=True),
            'squeezenet1_0': lambda: tv.squeezenet1_0(),
            'mobilenet_v2': lambda: tv.mobilenet_v2(),
        }
        for name, make in models.items():
            m = make()
            # Random but non-trivial batch-norm statistics, as a trained network has.
            for mod in m.modules():
                if isinstance(mod, nn.BatchNorm2d):
                    with torch.no_grad():
                        mod.running_mean.uniform_(-0.2, 0.2)
                        mod.running_var.uniform_(0.5, 1.5)
            export(m, (1, 3, args.size, args.size), 13, False, args.torchvision, name)
        return
    os.makedirs(args.out, exist_ok=True)
    if not args.only or 'split18' in args.only:
        split18(args.out)
    for name, (cls, shape, opset, dynamic, raw) in SMALL.items():
        if args.only and name not in args.only:
            continue
        export(cls(), shape, opset, dynamic, args.out, name, raw)


if __name__ == '__main__':
    sys.exit(main())
