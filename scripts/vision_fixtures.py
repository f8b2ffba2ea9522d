#!/usr/bin/python3
"""Builds one small model per vision family (torchvision's own classes where it has them),
exports each to ONNX with seeded random weights and writes, into OUT:

  NAME.onnx          the model (fixed batch, opset per family)
  NAME.input.npy     a seeded float32 input, NCHW
  NAME.output.npy    PyTorch's float32 output in eval mode (NAME.output_K.npy when there are several)
  NAME.json          {"name", "family", "opset", "input": {"name", "shape"}, "outputs": [{"name", "file", "shape"}], "params"}
  manifest.json      the list of NAME.json contents, in table order

    /usr/bin/python3 scripts/vision_fixtures.py OUT                    # every family
    /usr/bin/python3 scripts/vision_fixtures.py OUT --only resnet,unet  # some
    /usr/bin/python3 scripts/vision_fixtures.py --list                 # the names

The models are tiny on purpose (narrow layers, few blocks, 32-75 px inputs; AlexNet and VGG
take 224 px because their 6×6 and 7×7 adaptive pools only export when the map divides): they
test which ops a family's export uses, not accuracy. Widths without a torchvision knob are
divided by `narrow()`. Batch norms get non-trivial running statistics and affine parameters,
layer/instance norms and ConvNeXt's layer scale random values, so that none of them is the
identity. Everything is seeded, so a rerun writes the same files. test/vision_families.test.ts
runs this at test time (test/helpers/vision_fixtures.ts caches the output by this file's hash).
Needs Debian's python3-torch, python3-torchvision and python3-onnx.
"""
import argparse
import json
import os
import sys
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torchvision.models as tv
from torchvision.models import convnext, efficientnet, mobilenetv3, regnet
from torchvision.models.segmentation import deeplabv3, fcn, lraspp

warnings.filterwarnings('ignore')


# ---------------------------------------------------------------- narrowing and weights

def narrow(model, k):
    """Divides every channel count divisible by k by k, in place: convolutions (group counts
    too), batch norms and linear layers are rebuilt with fresh weights. Counts that k does not
    divide (the image's 3 channels, the classes) stay, and since the same count always maps to
    the same one, residual adds and concatenations stay consistent."""
    f = lambda c: c // k if c % k == 0 else c

    def rebuild(m):
        if isinstance(m, nn.Conv2d):
            cin, cout = f(m.in_channels), f(m.out_channels)
            if m.groups == 1:
                groups = 1
            elif m.groups == m.in_channels:
                groups = cin  # depthwise stays depthwise
            elif m.groups % k == 0:
                groups = m.groups // k
            else:
                groups = m.groups
            return nn.Conv2d(cin, cout, m.kernel_size, m.stride, m.padding, m.dilation, groups, m.bias is not None, m.padding_mode)
        if isinstance(m, nn.BatchNorm2d):
            return nn.BatchNorm2d(f(m.num_features), m.eps, m.momentum)
        if isinstance(m, nn.Linear):
            return nn.Linear(f(m.in_features), f(m.out_features), m.bias is not None)
        return None

    for name, child in list(model.named_children()):
        new = rebuild(child)
        if new is None:
            narrow(child, k)
        else:
            setattr(model, name, new)
    return model


def randomise_norms(model, gen):
    """Batch-norm statistics and affine parameters, layer- and instance-norm affine parameters
    and ConvNeXt's layer scale, random: a fresh norm is (nearly) the identity and would hide a
    wrong one."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.BatchNorm2d, nn.BatchNorm1d)):
                c = m.num_features
                m.weight.copy_(torch.rand(c, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_mean.copy_(torch.randn(c, generator=gen) * 0.1)
                m.running_var.copy_(torch.rand(c, generator=gen) + 0.5)
            elif isinstance(m, (nn.LayerNorm, nn.InstanceNorm2d)) and getattr(m, 'weight', None) is not None:
                m.weight.copy_(torch.rand(m.weight.shape, generator=gen) + 0.5)
                m.bias.copy_(torch.randn(m.bias.shape, generator=gen) * 0.1)
            elif isinstance(m, convnext.CNBlock):
                m.layer_scale.copy_(torch.rand(m.layer_scale.shape, generator=gen) * 0.5 + 0.25)


# ---------------------------------------------------------------- models torchvision lacks

def conv_bn_silu(cin, cout, k=3, s=1):
    return nn.Sequential(nn.Conv2d(cin, cout, k, s, k // 2, bias=False), nn.BatchNorm2d(cout), nn.SiLU())


class YoloHead(nn.Module):
    """A YOLOv5-style detector on a three-conv backbone: per scale, a 1×1 conv predicts
    anchors × (x, y, w, h, objectness, classes); the head views it as (N, A, C, H, W), permutes to
    (N, A, H, W, C), applies the sigmoid, decodes xy and wh from slices of the last axis with the
    grid and anchors, and concatenates all scales into (N, boxes, C). The second output is the
    first scale's permuted raw predictions."""

    def __init__(self, size, classes=3, anchors=((4, 5), (8, 10), (12, 9))):
        super().__init__()
        self.no = classes + 5
        self.na = len(anchors)
        self.backbone = nn.ModuleList([conv_bn_silu(3, 8, 3, 2), conv_bn_silu(8, 16, 3, 2), conv_bn_silu(16, 16, 3, 2), conv_bn_silu(16, 32, 3, 2)])
        self.strides = (8, 16)
        self.heads = nn.ModuleList([nn.Conv2d(16, self.na * self.no, 1), nn.Conv2d(32, self.na * self.no, 1)])
        for i, s in enumerate(self.strides):
            n = size // s
            yv, xv = torch.meshgrid(torch.arange(n), torch.arange(n), indexing='ij')
            self.register_buffer(f'grid{i}', torch.stack((xv, yv), 2).view(1, 1, n, n, 2).float() - 0.5, persistent=False)
            self.register_buffer(f'anchor{i}', (torch.tensor(anchors, dtype=torch.float32) * (i + 1)).view(1, self.na, 1, 1, 2), persistent=False)

    def forward(self, x):
        feats = []
        for i, layer in enumerate(self.backbone):
            x = layer(x)
            if i >= 2:
                feats.append(x)
        z = []
        raw0 = None
        for i, (f, head, stride) in enumerate(zip(feats, self.heads, self.strides)):
            p = head(f)
            bs, _, ny, nx = p.shape
            p = p.view(bs, self.na, self.no, ny, nx).permute(0, 1, 3, 4, 2).contiguous()
            if raw0 is None:
                raw0 = p
            y = p.sigmoid()
            xy = (y[..., 0:2] * 2 + getattr(self, f'grid{i}')) * stride
            wh = (y[..., 2:4] * 2) ** 2 * getattr(self, f'anchor{i}')
            z.append(torch.cat((xy, wh, y[..., 4:]), -1).view(bs, -1, self.no))
        return torch.cat(z, 1), raw0


class UNet(nn.Module):
    """A two-level U-Net: double 3×3 convs, max-pool down, ConvTranspose2d(2, 2) up, skip
    concatenation. At an input size the pooling halves unevenly, the first up-conv's output is
    one short of its skip and is padded (F.pad, as most U-Nets do), the second's skip is
    centre-cropped (as the original U-Net does)."""

    def __init__(self, cin=3, classes=2, w=8):
        super().__init__()

        def double(a, b):
            return nn.Sequential(nn.Conv2d(a, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True), nn.Conv2d(b, b, 3, padding=1, bias=False), nn.BatchNorm2d(b), nn.ReLU(inplace=True))

        self.inc = double(cin, w)
        self.down1 = double(w, 2 * w)
        self.down2 = double(2 * w, 4 * w)
        self.up1 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2)
        self.conv1 = double(4 * w, 2 * w)
        self.up2 = nn.ConvTranspose2d(2 * w, w, 2, stride=2, padding=1)
        self.conv2 = double(2 * w, w)
        self.out = nn.Conv2d(w, classes, 1)

    def forward(self, x):
        x1 = self.inc(x)                        # (N, w, H, W)
        x2 = self.down1(F.max_pool2d(x1, 2))    # (N, 2w, H/2, W/2)
        x3 = self.down2(F.max_pool2d(x2, 2))    # (N, 4w, H/4, W/4)
        u = self.up1(x3)
        dy, dx = x2.shape[2] - u.shape[2], x2.shape[3] - u.shape[3]
        u = F.pad(u, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
        u = self.conv1(torch.cat([x2, u], 1))
        u = self.up2(u)
        cy, cx = (x1.shape[2] - u.shape[2]) // 2, (x1.shape[3] - u.shape[3]) // 2
        skip = x1[:, :, cy:cy + u.shape[2], cx:cx + u.shape[3]]
        return self.out(self.conv2(torch.cat([skip, u], 1)))


class StyleTransfer(nn.Module):
    """Johnson et al.'s fast style transfer network (as in PyTorch's examples), narrowed:
    reflection-padded convolutions with instance norm, two strided downsamplings, residual
    blocks, nearest-neighbour upsampling by 2 before a convolution, and a 9×9 output conv."""

    def __init__(self, w=8, blocks=2):
        super().__init__()

        def conv(a, b, k, s=1):
            return nn.Sequential(nn.ReflectionPad2d(k // 2), nn.Conv2d(a, b, k, s))

        def norm(c):
            return nn.InstanceNorm2d(c, affine=True)

        self.down = nn.Sequential(conv(3, w, 9), norm(w), nn.ReLU(), conv(w, 2 * w, 3, 2), norm(2 * w), nn.ReLU(), conv(2 * w, 4 * w, 3, 2), norm(4 * w), nn.ReLU())
        self.res = nn.ModuleList([nn.Sequential(conv(4 * w, 4 * w, 3), norm(4 * w), nn.ReLU(), conv(4 * w, 4 * w, 3), norm(4 * w)) for _ in range(blocks)])
        self.up1 = nn.Sequential(conv(4 * w, 2 * w, 3), norm(2 * w), nn.ReLU())
        self.up2 = nn.Sequential(conv(2 * w, w, 3), norm(w), nn.ReLU())
        self.out = conv(w, 3, 9)

    def forward(self, x):
        x = self.down(x)
        for block in self.res:
            x = x + block(x)
        x = self.up1(F.interpolate(x, scale_factor=2, mode='nearest'))
        x = self.up2(nn.functional.interpolate(x, scale_factor=2, mode='nearest'))
        return self.out(x)


class ESPCN(nn.Module):
    """Super-resolution by sub-pixel convolution (Shi et al. 2016, PyTorch's example): three
    convolutions on the luminance, the last with r² channels, rearranged by PixelShuffle(r)."""

    def __init__(self, r=3):
        super().__init__()
        self.c1 = nn.Conv2d(1, 16, 5, padding=2)
        self.c2 = nn.Conv2d(16, 8, 3, padding=1)
        self.c3 = nn.Conv2d(8, r * r, 3, padding=1)
        self.shuffle = nn.PixelShuffle(r)

    def forward(self, x):
        x = torch.tanh(self.c1(x))
        x = torch.tanh(self.c2(x))
        return self.shuffle(self.c3(x))


class Segmentation(nn.Module):
    """torchvision's segmentation models return a dict; ONNX export wants tensors."""

    def __init__(self, model, keys=('out',)):
        super().__init__()
        self.model = model
        self.keys = keys

    def forward(self, x):
        d = self.model(x)
        return tuple(d[k] for k in self.keys) if len(self.keys) > 1 else d[self.keys[0]]


# ---------------------------------------------------------------- the families

def mobilenet_v3(arch, **kw):
    settings, last = mobilenetv3._mobilenet_v3_conf(arch, **kw)
    return mobilenetv3.MobileNetV3(settings, last, num_classes=10)


def resnet(block, layers, k, **kw):
    return narrow(tv.ResNet(block, layers, num_classes=10, **kw), k)


def efficientnet_v2():
    # EfficientNetV2-S's structure (fused MBConv stages, then MBConv with squeeze-excitation), narrow and shallow.
    setting = [
        efficientnet.FusedMBConvConfig(1, 3, 1, 8, 8, 1),
        efficientnet.FusedMBConvConfig(4, 3, 2, 8, 16, 2),
        efficientnet.MBConvConfig(4, 3, 2, 16, 24, 1),
        efficientnet.MBConvConfig(6, 3, 2, 24, 32, 2),
    ]
    return efficientnet.EfficientNet(setting, 0.2, num_classes=10, norm_layer=lambda c: nn.BatchNorm2d(c, eps=1e-3), last_channel=64)


def regnet_model(se):
    params = regnet.BlockParams.from_init_params(depth=4, w_0=16, w_a=8.0, w_m=2.0, group_width=8, se_ratio=se)
    return regnet.RegNet(params, num_classes=10, stem_width=8)


def convnext_model():
    cfg = [convnext.CNBlockConfig(8, 16, 1), convnext.CNBlockConfig(16, 32, 2), convnext.CNBlockConfig(32, None, 1)]
    return convnext.ConvNeXt(cfg, num_classes=10)


def segmentation_mobilenet(head):
    backbone = mobilenet_v3('mobilenet_v3_large', width_mult=0.25, dilated=True)
    if head == 'lraspp':
        return Segmentation(narrow(lraspp._lraspp_mobilenetv3(backbone, 4), 8))
    return Segmentation(narrow(deeplabv3._deeplabv3_mobilenetv3(backbone, 4, False), 8))


def segmentation_resnet(head):
    backbone = tv.ResNet(tv.resnet.Bottleneck, [1, 1, 1, 1], replace_stride_with_dilation=[False, True, True])
    if head == 'fcn':
        return Segmentation(narrow(fcn._fcn_resnet(backbone, 5, True), 16), ('out', 'aux'))
    return Segmentation(narrow(deeplabv3._deeplabv3_resnet(backbone, 5, False), 16))


def vgg():
    cfg = [64, 'M', 128, 'M', 256, 256, 'M', 512, 'M', 512, 'M']
    return narrow(tv.VGG(tv.vgg.make_layers(cfg, batch_norm=True), num_classes=10), 32)


# name → (builder, input shape (C, H, W), opset, family, what it covers)
FAMILIES = {
    # Families that need ops webcnn did not have when this was written (see test/vision_families.test.ts).
    'mobilenet_v3_small': (lambda: narrow(mobilenet_v3('mobilenet_v3_small'), 8), (3, 64, 64), 13, 'MobileNetV3 small', 'hardswish, SE gated by hardsigmoid; 1/8 width'),
    'mobilenet_v3_large': (lambda: narrow(mobilenet_v3('mobilenet_v3_large'), 8), (3, 64, 64), 13, 'MobileNetV3 large', '1/8 width'),
    'lraspp_mobilenet_v3': (lambda: segmentation_mobilenet('lraspp'), (3, 64, 64), 13, 'LR-ASPP (MobileNetV3-large backbone)', 'dilated backbone, bilinear Resize, sigmoid gate'),
    'deeplabv3_mobilenet_v3': (lambda: segmentation_mobilenet('deeplab'), (3, 64, 64), 13, 'DeepLabV3 (MobileNetV3-large backbone)', 'ASPP, image pooling branch, bilinear Resize'),
    'shufflenet_v2': (lambda: tv.ShuffleNetV2([2, 1, 1], [8, 16, 32, 64, 64], num_classes=10), (3, 64, 64), 13, 'ShuffleNetV2', 'channel split (Split/Slice), channel shuffle'),
    'convnext': (convnext_model, (3, 32, 32), 17, 'ConvNeXt', 'LayerNormalization, GELU (Erf), permutes, 4-D Linear, layer scale'),
    'convnext_opset13': (convnext_model, (3, 32, 32), 13, 'ConvNeXt', 'layer norm decomposed (ReduceMean, Sub, Pow, Sqrt, Div)'),
    'yolo_head': (lambda: YoloHead(64), (3, 64, 64), 13, 'YOLO-style detection head', 'view to 5-D, permute, sigmoid, slices of the last axis, two outputs'),
    'mnasnet': (lambda: narrow(tv.MNASNet(0.5, num_classes=10), 8), (3, 32, 32), 13, 'MNASNet', 'MNASNet 0.5, 1/8 width'),
    'fcn_resnet': (lambda: segmentation_resnet('fcn'), (3, 32, 32), 13, 'FCN (ResNet backbone)', 'dilated bottlenecks, aux head (two outputs), bilinear Resize'),
    'deeplabv3_resnet': (lambda: segmentation_resnet('deeplab'), (3, 32, 32), 13, 'DeepLabV3 (ResNet backbone)', 'ASPP with dilations 12/24/36, image pooling branch'),
    'unet': (UNet, (3, 30, 30), 13, 'U-Net', 'ConvTranspose up-convs, skip concat, pad and crop'),
    'style_transfer': (StyleTransfer, (3, 32, 32), 13, 'Fast style transfer', 'reflection Pad, InstanceNormalization, nearest Resize'),
    'espcn': (ESPCN, (1, 24, 24), 11, 'Super-resolution (ESPCN)', 'PixelShuffle (DepthToSpace, CRD)'),
    # Families webcnn ran when this was written.
    'alexnet': (lambda: narrow(tv.AlexNet(num_classes=10), 32), (3, 224, 224), 11, 'AlexNet', '1/32 width; 224 px so that the 6×6 adaptive pool exports'),
    'vgg': (vgg, (3, 224, 224), 11, 'VGG', 'VGG-11 with batch norm, 1/32 width; 224 px for the 7×7 pool'),
    'resnet': (lambda: resnet(tv.resnet.BasicBlock, [2, 1, 1, 1], 8), (3, 32, 32), 13, 'ResNet', 'basic blocks [2,1,1,1], 1/8 width'),
    'resnext': (lambda: resnet(tv.resnet.Bottleneck, [1, 1, 1, 1], 8, groups=32, width_per_group=4), (3, 32, 32), 13, 'ResNeXt', '32x4d bottlenecks, 1/8 width (4 groups)'),
    'wide_resnet': (lambda: resnet(tv.resnet.Bottleneck, [1, 1, 1, 1], 16, width_per_group=128), (3, 32, 32), 13, 'Wide ResNet', 'wide bottlenecks, 1/16 width'),
    'densenet': (lambda: tv.DenseNet(8, (2, 2, 2, 2), 16, 2, num_classes=10), (3, 32, 32), 13, 'DenseNet', 'growth 8, blocks (2,2,2,2)'),
    'squeezenet': (lambda: narrow(tv.SqueezeNet('1_1', num_classes=10), 8), (3, 64, 64), 11, 'SqueezeNet', '1.1, 1/8 width'),
    'inception_v3': (lambda: narrow(tv.Inception3(num_classes=10, aux_logits=False, transform_input=False, init_weights=True), 16), (3, 75, 75), 13, 'Inception-v3', '1/16 width, 75 px (its smallest)'),
    'googlenet': (lambda: narrow(tv.GoogLeNet(num_classes=10, aux_logits=False, transform_input=False, init_weights=True), 16), (3, 48, 48), 13, 'GoogLeNet', '1/16 width'),
    'mobilenet_v2': (lambda: narrow(tv.MobileNetV2(num_classes=10), 8), (3, 32, 32), 13, 'MobileNetV2', '1/8 width'),
    'efficientnet_b0': (lambda: narrow(efficientnet.EfficientNet(efficientnet._efficientnet_conf('efficientnet_b0', width_mult=1.0, depth_mult=0.5)[0], 0.2, num_classes=10), 8), (3, 32, 32), 13, 'EfficientNet-B0', 'depth multiplier 0.5, 1/8 width; SiLU, SE'),
    'efficientnet_v2': (efficientnet_v2, (3, 32, 32), 13, 'EfficientNetV2', 'fused MBConv then MBConv, narrow'),
    'regnet_x': (lambda: regnet_model(None), (3, 32, 32), 13, 'RegNetX', 'grouped bottlenecks, depth 4'),
    'regnet_y': (lambda: regnet_model(0.25), (3, 32, 32), 13, 'RegNetY', 'with squeeze-excitation'),
}

BATCH = 2


def export(name, out):
    build, chw, opset, family, _ = FAMILIES[name]
    seed = sum(name.encode())
    torch.manual_seed(seed)
    model = build()
    randomise_norms(model, torch.Generator().manual_seed(seed))
    model.eval()
    x = torch.randn((BATCH,) + chw, generator=torch.Generator().manual_seed(seed + 1))
    with torch.no_grad():
        y = model(x)
    ys = list(y) if isinstance(y, tuple) else [y]
    out_names = ['output'] if len(ys) == 1 else [f'output_{k}' for k in range(len(ys))]
    path = os.path.join(out, f'{name}.onnx')
    torch.onnx.export(model, x, path, opset_version=opset, input_names=['input'], output_names=out_names, do_constant_folding=True)
    np.save(os.path.join(out, f'{name}.input.npy'), x.numpy().astype(np.float32))
    outputs = []
    for n, t in zip(out_names, ys):
        np.save(os.path.join(out, f'{n.replace("output", name + ".output")}.npy'), t.numpy().astype(np.float32))
        outputs.append({'name': n, 'file': f'{n.replace("output", name + ".output")}.npy', 'shape': list(t.shape)})
    info = {
        'name': name, 'family': family, 'opset': opset, 'input': {'name': 'input', 'shape': list(x.shape)},
        'outputs': outputs, 'params': sum(p.numel() for p in model.parameters()), 'bytes': os.path.getsize(path),
    }
    with open(os.path.join(out, f'{name}.json'), 'w') as fh:
        json.dump(info, fh, indent=1)
    return info


def main():
    ap = argparse.ArgumentParser(description=__doc__.split('\n\n')[0])
    ap.add_argument('out', nargs='?', help='directory to write into')
    ap.add_argument('--only', help='comma-separated family names (default: all)')
    ap.add_argument('--list', action='store_true', help='print the family names and exit')
    args = ap.parse_args()
    if args.list:
        print('\n'.join(FAMILIES))
        return
    if not args.out:
        ap.error('the output directory is required')
    names = args.only.split(',') if args.only else list(FAMILIES)
    unknown = [n for n in names if n not in FAMILIES]
    if unknown:
        ap.error(f'unknown families {unknown}; known: {", ".join(FAMILIES)}')
    os.makedirs(args.out, exist_ok=True)
    torch.set_num_threads(1)
    infos = []
    for n in names:
        info = export(n, args.out)
        infos.append(info)
        print(f'{n}: opset {info["opset"]}, input {info["input"]["shape"]}, outputs {[o["shape"] for o in info["outputs"]]}, {info["params"]} params, {info["bytes"]} bytes', file=sys.stderr)
    with open(os.path.join(args.out, 'manifest.json'), 'w') as fh:
        json.dump(infos, fh, indent=1)


if __name__ == '__main__':
    main()
