/**
 * U-Net: Ronneberger, Fischer, Brox, "U-Net: Convolutional networks for biomedical image
 * segmentation", MICCAI 2015 — the contracting path, the expanding path with skip
 * connections, and a per-pixel classifier, in the module layout of the widely used PyTorch
 * implementation (milesial/Pytorch-UNet), generalised to any depth and width:
 *
 *   inc: double conv (width)
 *   down1 … downD: 2×2 max pool → double conv (doubling the channels)
 *   up1 … upD: 2×2 up-convolution (ConvTranspose2d stride 2, halving the channels) → concat
 *     with the contracting path's map of the same size (skip first) → double conv
 *   outc: 1×1 convolution to the classes
 *
 * Double conv = 3×3 conv (no bias) → batch norm → ReLU, twice. The convolutions are padded
 * (the implementations' choice; the paper's are unpadded and crop the skips), so the output is
 * the input's size: the input size must be a multiple of 2^depth. Output (N, classes, H, W):
 * one logit per class and pixel.
 *
 * Node names are that implementation's module paths (`down2.maxpool_conv.1.double_conv.3`,
 * `up1.up`, `up1.conv.double_conv.0`, `outc.conv`); each skip concatenation is `upK.concat`.
 * scripts/zoo_reference.py holds the PyTorch module the tests compare against.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';

export interface UNetConfig {
  inputSize: number;
  inputChannels: number;
  numClasses: number;
  /** Channels of the first double conv (64 in the paper); each level down doubles them. */
  width: number;
  /** Max pools on the way down (4 in the paper). */
  depth: number;
}

/** `<name>.double_conv.0` … `.5`: (3×3 conv → batch norm → ReLU) × 2. */
function doubleConv(x: SymbolicTensor, name: string, filters: number): SymbolicTensor {
  let h = x;
  for (let i = 0; i < 6; i += 3) {
    h = apply(layers.conv2d({ filters, kernelSize: 3, padding: 1, useBias: false }), h, `${name}.double_conv.${i}`);
    h = apply(layers.batchNorm({ epsilon: 1e-5 }), h, `${name}.double_conv.${i + 1}`);
    h = apply(layers.relu(), h, `${name}.double_conv.${i + 2}`);
  }
  return h;
}

export function buildUNet(cfg: UNetConfig): { input: SymbolicTensor; output: SymbolicTensor } {
  const x = input([cfg.inputChannels, cfg.inputSize, cfg.inputSize], 'input');
  let h = doubleConv(x, 'inc', cfg.width);
  const skips: SymbolicTensor[] = [];
  for (let level = 1; level <= cfg.depth; level++) {
    skips.push(h);
    h = apply(layers.maxPool2d({ kernelSize: 2, stride: 2 }), h, `down${level}.maxpool_conv.0`);
    h = doubleConv(h, `down${level}.maxpool_conv.1`, cfg.width << level);
  }
  for (let level = 1; level <= cfg.depth; level++) {
    const filters = cfg.width << (cfg.depth - level);
    h = apply(layers.conv2dTranspose({ filters, kernelSize: 2, strides: 2 }), h, `up${level}.up`);
    h = apply(layers.concat(), [skips.pop()!, h], `up${level}.concat`);
    h = doubleConv(h, `up${level}.conv`, filters);
  }
  const out = apply(layers.conv2d({ filters: cfg.numClasses, kernelSize: 1 }), h, 'outc.conv');
  return { input: x, output: out };
}
