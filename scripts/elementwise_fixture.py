#!/usr/bin/python3
"""Exports a small PyTorch net of the elementwise ops (GELU, GELU tanh, SiLU, Hardswish, ELU, SELU,
Softplus, Mish, PReLU, x/y, x-y, torch.pow, torch.max(x, y), torch.min, torch.where, erf, log_softmax)
to ONNX at opset 17 with random weights, with an input and PyTorch's output, as the fixture
test/fixtures/onnx/elementwise.{onnx,input.npy,output.npy} of test/binary.test.ts, and
logsoftmax11.{onnx,input.npy,output.npy}: LogSoftmax at opset 11 (its 2-D coercion), by hand.

    /usr/bin/python3 scripts/elementwise_fixture.py

Needs Debian's python3-torch and python3-onnx. Seeded, so a rerun writes the same files.
"""
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class Elementwise(nn.Module):
    def __init__(self):
        super().__init__()
        self.c1 = nn.Conv2d(4, 6, 3, padding=1)
        self.c2 = nn.Conv2d(4, 6, 1)
        self.prelu = nn.PReLU(6)
        with torch.no_grad():
            self.prelu.weight.uniform_(-0.5, 0.5)
        self.fc = nn.Linear(6, 5)

    def forward(self, x):
        a = self.c1(x)
        b = self.c2(x)
        y = F.gelu(a) + F.gelu(b, approximate='tanh') + F.silu(b) + F.hardswish(a)
        y = y + F.elu(b) + F.selu(a) + F.softplus(a) + F.mish(b) + torch.erf(a)
        y = self.prelu(y)
        y = y + a / (torch.sigmoid(b) + 0.5) + (a - b)
        y = y + torch.pow(torch.sigmoid(a) + 0.5, b) + torch.max(a, b) - torch.min(a, b * 2)
        y = y + torch.where(a > b, a, b * 0.5) + torch.pow(a, 2) + torch.sqrt(torch.abs(b) + 1)
        y = F.adaptive_avg_pool2d(y, 1).flatten(1)
        return F.log_softmax(self.fc(y), dim=1)


def logsoftmax_opset11(out):
    """LogSoftmax at opset 11, axis 1 of a (2, 3, 4) input: ONNX before 13 normalises the input
    viewed as 2-D, (2, 12) here, not along axis 1 alone (as opset 13 would)."""
    from onnx import TensorProto, helper
    x = np.random.RandomState(11).randn(2, 3, 4).astype(np.float32)
    rows = x.reshape(2, 12)
    m = rows.max(axis=1, keepdims=True)
    y = (rows - m - np.log(np.exp(rows - m).sum(axis=1, keepdims=True))).reshape(2, 3, 4)
    node = helper.make_node('LogSoftmax', ['x'], ['y'], axis=1)
    graph = helper.make_graph([node], 'logsoftmax11', [helper.make_tensor_value_info('x', TensorProto.FLOAT, [2, 3, 4])],
                              [helper.make_tensor_value_info('y', TensorProto.FLOAT, [2, 3, 4])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid('', 11)])
    with open(os.path.join(out, 'logsoftmax11.onnx'), 'wb') as f:
        f.write(model.SerializeToString())
    np.save(os.path.join(out, 'logsoftmax11.input.npy'), x)
    np.save(os.path.join(out, 'logsoftmax11.output.npy'), y.astype(np.float32))


def main():
    torch.manual_seed(16)
    out = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'onnx')
    model = Elementwise().eval()
    x = torch.randn(2, 4, 5, 5)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, os.path.join(out, 'elementwise.onnx'), opset_version=17, input_names=['x'], output_names=['y'],
                      dynamic_axes={'x': {0: 'N'}, 'y': {0: 'N'}})
    np.save(os.path.join(out, 'elementwise.input.npy'), x.numpy().astype(np.float32))
    np.save(os.path.join(out, 'elementwise.output.npy'), y.numpy().astype(np.float32))
    logsoftmax_opset11(out)


if __name__ == '__main__':
    main()
