/**
 * The building blocks MobileNetV2 and V3 share, as torchvision writes them
 * (`torchvision.ops.misc`): Conv2dNormActivation, SqueezeExcitation and `_make_divisible`.
 */
import { type SymbolicTensor, apply } from '../graph/functional.js';
import { layers } from '../graph/factories.js';
import type { Activation } from '../ops/activation.js';

/**
 * torchvision's `_make_divisible`: `v` rounded to the nearest multiple of `divisor` (at least
 * `divisor`), one step up when rounding down would lose more than 10%.
 */
export function makeDivisible(v: number, divisor = 8): number {
  const rounded = Math.max(divisor, Math.floor((v + divisor / 2) / divisor) * divisor);
  return rounded < 0.9 * v ? rounded + divisor : rounded;
}

export interface ConvNormActOptions {
  filters: number;
  kernelSize: number;
  stride?: number;
  /** Depthwise when equal to the input channels. */
  groups?: number;
  /** Batch norm's epsilon (1e-5 in V2, 0.001 in V3). */
  epsilon: number;
  /** None for the linear projection of an inverted residual block. */
  activation?: Activation;
}

/**
 * Conv2dNormActivation: `<name>.0` conv (no bias, "same" padding) → `<name>.1` batch norm →
 * `<name>.2` activation, the indices of torchvision's Sequential.
 */
export function convNormAct(x: SymbolicTensor, name: string, o: ConvNormActOptions): SymbolicTensor {
  const padding = (o.kernelSize - 1) >> 1;
  const conv = layers.conv2d({ filters: o.filters, kernelSize: o.kernelSize, stride: o.stride ?? 1, padding, groups: o.groups ?? 1, useBias: false });
  const h = apply(layers.batchNorm({ epsilon: o.epsilon }), apply(conv, x, `${name}.0`), `${name}.1`);
  return o.activation === undefined ? h : apply(layers.activation(o.activation), h, `${name}.2`);
}

/**
 * SqueezeExcitation with hardsigmoid gating (MobileNetV3's): `<name>.avgpool` → `<name>.fc1`
 * (1×1 conv with bias, `squeeze` channels) → `<name>.activation` (ReLU) → `<name>.fc2` (1×1
 * conv back to the input's channels) → `<name>.scale_activation` (hardsigmoid, PyTorch's
 * x/6 + ½) → `<name>.mul`, the per-channel scale times the input (broadcast over H×W).
 */
export function squeezeExcitation(x: SymbolicTensor, name: string, channels: number, squeeze: number): SymbolicTensor {
  let s = apply(layers.globalAvgPool(), x, `${name}.avgpool`);
  s = apply(layers.conv2d({ filters: squeeze, kernelSize: 1 }), s, `${name}.fc1`);
  s = apply(layers.relu(), s, `${name}.activation`);
  s = apply(layers.conv2d({ filters: channels, kernelSize: 1 }), s, `${name}.fc2`);
  s = apply(layers.activation('hardSigmoid'), s, `${name}.scale_activation`);
  return apply(layers.mul(), [x, s], `${name}.mul`);
}
