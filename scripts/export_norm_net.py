#!/usr/bin/python3
"""Exports a tiny network with a spatial mean, nn.LayerNorm, nn.InstanceNorm2d(affine=True) and
nn.GroupNorm to ONNX at opsets 13 (PyTorch writes LayerNorm out as ReduceMean, Sub, Pow, Sqrt,
Div, Mul, Add; GroupNorm as InstanceNormalization of a reshape) and 17 (LayerNormalization),
with an input and PyTorch's output, for test/normalization_layers.test.ts:

    /usr/bin/python3 scripts/export_norm_net.py DIR   # DIR/norm13.onnx, norm17.onnx, input.npy, output.npy

Random weights and affine parameters (fresh ones are the identity), seeded. Also two
GroupNormalization nodes written with onnx.helper (this PyTorch never exports the op): opset 18's
per-group scale and bias (groupnorm_group.onnx) and opset 21's per-channel ones
(groupnorm_channel.onnx), with groupnorm.input.npy and NumPy's outputs groupnorm_{group,channel}.output.npy;
and reductions at opsets the node tests lack (reduce{11,18}.onnx, NumPy's reduce{11,18}.output.npy
for the same input): opset 18's axes as an input, noop_with_empty_axes, opset 11's attribute.
"""
import sys

import numpy as np
import torch
import torch.nn as nn
from onnx import TensorProto, helper, numpy_helper, save


class NormNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.gn = nn.GroupNorm(4, 8)
        self.inorm = nn.InstanceNorm2d(8, affine=True)
        self.ln = nn.LayerNorm(8)
        self.fc = nn.Linear(8, 5)
        with torch.no_grad():
            for m in (self.gn, self.inorm, self.ln):
                m.weight.uniform_(0.5, 1.5)
                m.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        y = self.inorm(torch.relu(self.gn(self.conv(x))))
        y = y.mean((2, 3))  # (N, 8)
        return self.fc(self.ln(y))


def group_norm_models(out):
    rng = np.random.default_rng(0)
    n, c, groups, eps = 2, 6, 3, 1e-3
    x = rng.standard_normal((n, c, 3, 5)).astype(np.float32)
    xg = x.reshape(n, groups, -1)
    normed = ((xg - xg.mean(-1, keepdims=True)) / np.sqrt(xg.var(-1, keepdims=True) + eps)).reshape(x.shape)
    np.save(f"{out}/groupnorm.input.npy", x)
    for kind, size in (("group", groups), ("channel", c)):
        scale = rng.uniform(0.5, 1.5, size).astype(np.float32)
        bias = rng.uniform(-0.5, 0.5, size).astype(np.float32)
        per_channel = np.repeat if kind == "group" else (lambda v, _k: v)
        y = normed * per_channel(scale, c // groups)[None, :, None, None] + per_channel(bias, c // groups)[None, :, None, None]
        node = helper.make_node("GroupNormalization", ["x", "scale", "bias"], ["y"], num_groups=groups, epsilon=eps)
        graph = helper.make_graph(
            [node], "groupnorm",
            [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", c, 3, 5])],
            [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", c, 3, 5])],
            [numpy_helper.from_array(scale, "scale"), numpy_helper.from_array(bias, "bias")],
        )
        save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), f"{out}/groupnorm_{kind}.onnx")
        np.save(f"{out}/groupnorm_{kind}.output.npy", y.astype(np.float32))


def reduce_models(out):
    x = np.random.default_rng(1).uniform(0.5, 1.5, (2, 3, 4, 5)).astype(np.float32)
    np.save(f"{out}/reduce.input.npy", x)
    info = lambda name, shape: helper.make_tensor_value_info(name, TensorProto.FLOAT, shape)
    # Opset 18: ReduceMean over axes [1, -1] given as an input, then ReduceMax with no axes and
    # noop_with_empty_axes (the identity), then ReduceL2 over axis 0 as an input, keepdims.
    axes = numpy_helper.from_array(np.array([1, -1], np.int64), "axes")
    axis0 = numpy_helper.from_array(np.array([0], np.int64), "axis0")
    nodes = [
        helper.make_node("ReduceMean", ["x", "axes"], ["m"], keepdims=0),
        helper.make_node("ReduceMax", ["m"], ["i"], noop_with_empty_axes=1),
        helper.make_node("ReduceL2", ["i", "axis0"], ["y"], keepdims=1),
    ]
    graph = helper.make_graph(nodes, "reduce18", [info("x", [2, 3, 4, 5])], [info("y", [1, 4])], [axes, axis0])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 18)]), f"{out}/reduce18.onnx")
    m = x.mean(axis=(1, 3))
    np.save(f"{out}/reduce18.output.npy", np.sqrt((m * m).sum(axis=0, keepdims=True)).astype(np.float32))
    # Opset 11: axes as attributes, a negative one; ReduceProd then ReduceLogSumExp over everything.
    nodes = [
        helper.make_node("ReduceProd", ["x"], ["p"], axes=[-2], keepdims=1),
        helper.make_node("ReduceLogSumExp", ["p"], ["y"], keepdims=0),
    ]
    graph = helper.make_graph(nodes, "reduce11", [info("x", [2, 3, 4, 5])], [info("y", [])])
    save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 11)]), f"{out}/reduce11.onnx")
    p = x.prod(axis=2, keepdims=True).astype(np.float64)
    np.save(f"{out}/reduce11.output.npy", np.array(np.log(np.exp(p).sum())).astype(np.float32))


def main(out):
    torch.manual_seed(0)
    model = NormNet().eval()
    x = torch.randn(2, 3, 7, 6)
    with torch.no_grad():
        y = model(x)
    for opset in (13, 17):
        torch.onnx.export(model, x, f"{out}/norm{opset}.onnx", opset_version=opset, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "N"}, "y": {0: "N"}})
    np.save(f"{out}/input.npy", x.numpy().astype(np.float32))
    np.save(f"{out}/output.npy", y.numpy().astype(np.float32))
    group_norm_models(out)
    reduce_models(out)


if __name__ == "__main__":
    main(sys.argv[1])
