/**
 * MobileNetV2: Sandler, Howard, Zhu, Zhmoginov, Chen, "MobileNetV2: Inverted residuals and
 * linear bottlenecks", CVPR 2018 — in torchvision's layout (`torchvision.models.mobilenet_v2`,
 * width 1.0):
 *
 *   features.0: conv 3×3/2 (32) → bn → ReLU6
 *   features.1 … 17: inverted residual blocks (t, c, n, s of Table 2)
 *   features.18: conv 1×1 (1280) → bn → ReLU6
 *   global average pool → classifier.0 dropout 0.2 → classifier.1 dense
 *
 * Inverted residual (expansion t): `conv.0` 1×1 expand to t·C_in → bn → ReLU6 (absent when
 * t = 1); 3×3 depthwise (the block's stride) → bn → ReLU6; 1×1 linear projection → bn; plus
 * the input when the stride is 1 and the channels are unchanged. Batch norm eps 1e-5.
 *
 * Node names are torchvision's module paths (`features.2.conv.1.0`, `features.2.conv.2`,
 * `features.2.conv.3`); each residual sum is `features.N.add`. 3,504,872 parameters.
 */
import { type SymbolicTensor, input, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';
import { convNormAct } from './mobilenet_blocks.js';

/** Table 2 of the paper: expansion t, output channels c, repeats n, first stride s. */
const SETTINGS: readonly (readonly [number, number, number, number])[] = [
  [1, 16, 1, 1],
  [6, 24, 2, 2],
  [6, 32, 3, 2],
  [6, 64, 4, 2],
  [6, 96, 3, 1],
  [6, 160, 3, 2],
  [6, 320, 1, 1],
];

const EPS = 1e-5;

export interface MobileNetV2Config {
  inputSize: number;
  numClasses: number;
}

function invertedResidual(x: SymbolicTensor, name: string, inChannels: number, outChannels: number, stride: number, expand: number): SymbolicTensor {
  const hidden = Math.round(inChannels * expand);
  let h = x;
  let i = 0; // the module index in torchvision's `conv` Sequential
  if (expand !== 1) h = convNormAct(h, `${name}.conv.${i++}`, { filters: hidden, kernelSize: 1, epsilon: EPS, activation: 'relu6' });
  h = convNormAct(h, `${name}.conv.${i++}`, { filters: hidden, kernelSize: 3, stride, groups: hidden, epsilon: EPS, activation: 'relu6' });
  h = apply(layers.conv2d({ filters: outChannels, kernelSize: 1, useBias: false }), h, `${name}.conv.${i++}`);
  h = apply(layers.batchNorm({ epsilon: EPS }), h, `${name}.conv.${i++}`);
  return stride === 1 && inChannels === outChannels ? apply(layers.add(), [x, h], `${name}.add`) : h;
}

export function buildMobileNetV2(cfg: MobileNetV2Config): { input: SymbolicTensor; output: SymbolicTensor } {
  const x = input([3, cfg.inputSize, cfg.inputSize], 'input');
  let h = convNormAct(x, 'features.0', { filters: 32, kernelSize: 3, stride: 2, epsilon: EPS, activation: 'relu6' });
  let channels = 32;
  let index = 1;
  for (const [t, c, n, s] of SETTINGS) {
    for (let i = 0; i < n; i++) {
      h = invertedResidual(h, `features.${index++}`, channels, c, i === 0 ? s : 1, t);
      channels = c;
    }
  }
  h = convNormAct(h, `features.${index}`, { filters: 1280, kernelSize: 1, epsilon: EPS, activation: 'relu6' });
  h = apply(layers.globalAvgPool(), h, 'avgpool');
  h = apply(layers.flatten(), h, 'flatten');
  h = apply(layers.dropout(0.2), h, 'classifier.0');
  const out = apply(layers.dense({ units: cfg.numClasses }), h, 'classifier.1');
  return { input: x, output: out };
}
