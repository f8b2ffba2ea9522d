/**
 * MobileNetV3-Large and -Small: Howard et al., "Searching for MobileNetV3", ICCV 2019 — in
 * torchvision's layout (`torchvision.models.mobilenet_v3_large/small`, width 1.0):
 *
 *   features.0: conv 3×3/2 (16) → bn → hardswish
 *   features.1 … N: inverted residual blocks (Tables 1 and 2 of the paper)
 *   features.N+1: conv 1×1 (6 × the last block's channels) → bn → hardswish
 *   avgpool → classifier.0 dense (1280 / 1024) → classifier.1 hardswish → classifier.2
 *   dropout 0.2 → classifier.3 dense
 *
 * Inverted residual, all of it in `block`: `block.0` 1×1 expand → bn → act (absent when the
 * expansion keeps the channels); k×k depthwise (the block's stride) → bn → act; optionally
 * squeeze-and-excitation (squeeze to makeDivisible(expanded / 4) channels, hardsigmoid
 * gating); 1×1 projection → bn; plus the input when the stride is 1 and the channels are
 * unchanged. act is ReLU or hardswish per block. Batch norm eps 0.001.
 *
 * Node names are torchvision's module paths (`features.4.block.2.fc1`, `features.4.block.3.1`);
 * each residual sum is `features.N.add`. 5,483,032 (large) / 2,542,856 (small) parameters.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';
import { convNormAct, makeDivisible, squeezeExcitation } from './mobilenet_blocks.js';

export type MobileNetV3Variant = 'large' | 'small';

/** One bneck row: input channels, kernel, expanded channels, output channels, SE, hardswish (else ReLU), stride. */
type Bneck = readonly [number, number, number, number, boolean, boolean, number];

// torchvision's `_mobilenet_v3_conf` (Table 1 / Table 2 of the paper), with the last channel.
const CONFIGS: Record<MobileNetV3Variant, { blocks: readonly Bneck[]; lastChannel: number }> = {
  large: {
    blocks: [
      [16, 3, 16, 16, false, false, 1],
      [16, 3, 64, 24, false, false, 2],
      [24, 3, 72, 24, false, false, 1],
      [24, 5, 72, 40, true, false, 2],
      [40, 5, 120, 40, true, false, 1],
      [40, 5, 120, 40, true, false, 1],
      [40, 3, 240, 80, false, true, 2],
      [80, 3, 200, 80, false, true, 1],
      [80, 3, 184, 80, false, true, 1],
      [80, 3, 184, 80, false, true, 1],
      [80, 3, 480, 112, true, true, 1],
      [112, 3, 672, 112, true, true, 1],
      [112, 5, 672, 160, true, true, 2],
      [160, 5, 960, 160, true, true, 1],
      [160, 5, 960, 160, true, true, 1],
    ],
    lastChannel: 1280,
  },
  small: {
    blocks: [
      [16, 3, 16, 16, true, false, 2],
      [16, 3, 72, 24, false, false, 2],
      [24, 3, 88, 24, false, false, 1],
      [24, 5, 96, 40, true, true, 2],
      [40, 5, 240, 40, true, true, 1],
      [40, 5, 240, 40, true, true, 1],
      [40, 5, 120, 48, true, true, 1],
      [48, 5, 144, 48, true, true, 1],
      [48, 5, 288, 96, true, true, 2],
      [96, 5, 576, 96, true, true, 1],
      [96, 5, 576, 96, true, true, 1],
    ],
    lastChannel: 1024,
  },
};

const EPS = 0.001;

export interface MobileNetV3Config {
  variant: MobileNetV3Variant;
  inputSize: number;
  numClasses: number;
}

function invertedResidual(x: SymbolicTensor, name: string, [inC, kernel, expanded, outC, se, hs, stride]: Bneck): SymbolicTensor {
  const activation = hs ? 'hardSwish' : 'relu';
  let h = x;
  let i = 0; // the module index in torchvision's `block` Sequential
  if (expanded !== inC) h = convNormAct(h, `${name}.block.${i++}`, { filters: expanded, kernelSize: 1, epsilon: EPS, activation });
  h = convNormAct(h, `${name}.block.${i++}`, { filters: expanded, kernelSize: kernel, stride, groups: expanded, epsilon: EPS, activation });
  if (se) h = squeezeExcitation(h, `${name}.block.${i++}`, expanded, makeDivisible(expanded / 4));
  h = convNormAct(h, `${name}.block.${i++}`, { filters: outC, kernelSize: 1, epsilon: EPS });
  return stride === 1 && inC === outC ? apply(layers.add(), [h, x], `${name}.add`) : h;
}

export function buildMobileNetV3(cfg: MobileNetV3Config): { input: SymbolicTensor; output: SymbolicTensor } {
  const { blocks, lastChannel } = CONFIGS[cfg.variant];
  const x = input([3, cfg.inputSize, cfg.inputSize], 'input');
  let h = convNormAct(x, 'features.0', { filters: blocks[0][0], kernelSize: 3, stride: 2, epsilon: EPS, activation: 'hardSwish' });
  blocks.forEach((b, i) => {
    h = invertedResidual(h, `features.${i + 1}`, b);
  });
  const lastConv = 6 * blocks[blocks.length - 1][3];
  h = convNormAct(h, `features.${blocks.length + 1}`, { filters: lastConv, kernelSize: 1, epsilon: EPS, activation: 'hardSwish' });
  h = apply(layers.globalAvgPool(), h, 'avgpool');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dense({ units: lastChannel }), h, 'classifier.0');
  h = apply(layers.activation('hardSwish'), h, 'classifier.1');
  h = apply(layers.dropout(0.2), h, 'classifier.2');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'classifier.3');
  return { input: x, output: out };
}
