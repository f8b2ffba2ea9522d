/**
 * conv2dTranspose (Keras Conv2DTranspose, PyTorch ConvTranspose2d, ONNX ConvTranspose): the
 * primitive, its shape inference (pure, shared by the CPU reference and the WebGPU kernel), and
 * the trainable layer.
 *
 * A transposed convolution is the input gradient of a convolution: with x (N, C, H, W) and
 * weights w (C, Cout/groups, kH, kW), out = conv2d's dx for a conv2d whose input is
 * (N, Cout, Ho, Wo), whose weights are w (its Cout is our C) and whose dy is x. `asConv` is that
 * convolution's geometry, so the WebGPU kernel runs conv2d backward's dx paths on it, and the
 * gradients are conv2d's: dx of a transposed convolution is the forward conv2d of dy with the
 * same weights, dw is conv2d's dw with dy as its input and x as its dy.
 *
 * Output size per axis: Ho = (H − 1)·sH − padTop − padBottom + (kH − 1)·dH + 1 + outputPaddingH.
 * Padding crops the full output; output padding adds rows and columns at the bottom and right
 * (the positions no input reaches hold the bias).
 */
import { type ActivationConfig, normalizeActivation } from './activation.js';
import type { Activation, Conv2dParams, Padding2d } from './params.js';
import type { Conv2dConfig } from './conv2d.js';
import { type Pads, positivePair, resolvePadding } from './window.js';
import { channelsOf, defineOp, fanInInit, param } from './op.js';
import { definePrimitive } from './primitive.js';
import type { TrainingBackend } from '../backends/training.js';
import type { Tensor } from '../tensor.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, assertRank, sizeOf } from '../shape.js';

const OP = 'conv2dTranspose';

/** The primitive's attributes: the geometry resolved to explicit pads and output padding. */
export interface Conv2dTransposeAttrs {
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  /** Cropped from the full output on each side. */
  readonly pads: Pads;
  /** Rows added at the bottom and columns at the right. */
  readonly outputPadding: readonly [number, number];
  readonly groups: number;
  /** Fused into the output, after the bias. */
  readonly activation?: Activation;
  /** Layer name, used in error messages. */
  readonly name?: string;
}

/** Everything a conv2dTranspose kernel needs, validated and resolved. */
export interface Conv2dTransposeConfig {
  readonly batch: number;
  /** C: the input's channels, the weights' first axis. */
  readonly inChannels: number;
  readonly inH: number;
  readonly inW: number;
  /** Cout = groups · w's second axis. */
  readonly outChannels: number;
  readonly kernelH: number;
  readonly kernelW: number;
  readonly stride: readonly [number, number];
  readonly dilation: readonly [number, number];
  readonly pads: Pads;
  readonly outputPadding: readonly [number, number];
  readonly groups: number;
  readonly outH: number;
  readonly outW: number;
  /** (N, Cout, Ho, Wo) */
  readonly outShape: [number, number, number, number];
  readonly activation: ActivationConfig;
  readonly hasBias: boolean;
  /**
   * The convolution whose input gradient this is: input (N, Cout, Ho, Wo), weights w, output
   * (N, C, H, W). Its bottom/right pads are ours minus the output padding (negative when the
   * output padding is larger: only its top/left pads place the taps).
   */
  readonly asConv: Conv2dConfig;
}

function nonNegativePair(what: string, v: readonly [number, number], layer?: string): void {
  if (!v.every((d) => Number.isInteger(d) && d >= 0)) throw new InvalidArgumentError(OP, `${what} must be non-negative integers, got ${JSON.stringify(v)}`, layer);
}

/**
 * Validates conv2dTranspose's operands and attributes and resolves the geometry. x is
 * (N, C, H, W), w (C, Cout/groups, kH, kW) (PyTorch's ConvTranspose2d layout), bias (Cout).
 */
export function inferConv2dTranspose(xShape: Shape, wShape: Shape, biasShape: Shape | undefined, attrs: Conv2dTransposeAttrs): Conv2dTransposeConfig {
  const layer = attrs.name;
  const shapes = () => `input ${fmtShape(xShape)}, weights ${fmtShape(wShape)}`;
  assertRank(OP, 'input', xShape, 4, layer);
  if (wShape.length !== 4) throw new ShapeError(OP, `weights must have rank 4 (C, Cout/groups, kH, kW), got ${fmtShape(wShape)}`, layer);
  const [batch, inChannels, inH, inW] = xShape;
  const [wIn, outPerGroup, kernelH, kernelW] = wShape;
  const groups = attrs.groups;
  if (!Number.isInteger(groups) || groups < 1) throw new InvalidArgumentError(OP, `groups must be a positive integer, got ${JSON.stringify(groups)}`, layer);
  if (wIn !== inChannels) throw new ShapeError(OP, `input has ${inChannels} channels, weights expect ${wIn} (${shapes()})`, layer);
  if (inChannels % groups !== 0) throw new ShapeError(OP, `groups ${groups} must divide the input channels ${inChannels} (${shapes()})`, layer);
  if (kernelH < 1 || kernelW < 1 || outPerGroup < 1) throw new ShapeError(OP, `weights must have at least one output channel and a 1×1 kernel (${shapes()})`, layer);
  const stride = positivePair(OP, 'stride', attrs.stride, 1, layer);
  const dilation = positivePair(OP, 'dilation', attrs.dilation, 1, layer);
  const { pads, outputPadding } = attrs;
  nonNegativePair('padding', [pads.top, pads.left], layer);
  nonNegativePair('padding', [pads.bottom, pads.right], layer);
  nonNegativePair('outputPadding', outputPadding, layer);
  const size = (i: 0 | 1, before: number, after: number) =>
    ([inH, inW][i] - 1) * stride[i] - before - after + ([kernelH, kernelW][i] - 1) * dilation[i] + 1 + outputPadding[i];
  const outH = size(0, pads.top, pads.bottom);
  const outW = size(1, pads.left, pads.right);
  if (outH < 1 || outW < 1) {
    throw new ShapeError(OP, `the padding ${JSON.stringify(pads)} crops the whole output (${outH}×${outW}) (${shapes()})`, layer);
  }
  const outChannels = outPerGroup * groups;
  if (biasShape !== undefined && (biasShape.length !== 1 || biasShape[0] !== outChannels)) {
    throw new ShapeError(OP, `bias must have shape [${outChannels}] (one per output channel), got ${fmtShape(biasShape)} (${shapes()})`, layer);
  }
  const outShape: [number, number, number, number] = [batch, outChannels, outH, outW];
  const asConv: Conv2dConfig = {
    batch,
    inChannels: outChannels,
    inH: outH,
    inW: outW,
    outChannels: inChannels,
    kernelH,
    kernelW,
    stride,
    dilation,
    pads: { top: pads.top, left: pads.left, bottom: pads.bottom - outputPadding[0], right: pads.right - outputPadding[1] },
    groups,
    inPerGroup: outPerGroup,
    outPerGroup: inChannels / groups,
    outH: inH,
    outW: inW,
    outShape: [batch, inChannels, inH, inW],
    activation: normalizeActivation(OP, undefined),
    hasBias: false,
  };
  return {
    batch, inChannels, inH, inW, outChannels, kernelH, kernelW, stride, dilation, pads, outputPadding, groups, outH, outW, outShape,
    activation: normalizeActivation(OP, attrs.activation),
    hasBias: biasShape !== undefined,
    asConv,
  };
}

/** conv2dTranspose: inputs x, w and optionally bias. */
export const CONV2D_TRANSPOSE = definePrimitive<Conv2dTransposeAttrs>({
  name: 'conv2dTranspose',
  infer([x, w, bias], attrs) {
    if (!x || !w) throw new ShapeError(OP, 'takes an input and weights (and optionally a bias)', attrs.name);
    return inferConv2dTranspose(x, w, bias, attrs).outShape;
  },
});

/**
 * The forward conv2d (on dy cropped to `crop` rows × columns) that is the adjoint of a
 * transposed convolution: conv2d(dy, w) is its input gradient and conv2d's dw of it its weight
 * gradient. Its bottom/right pads are the transposed convolution's minus the output padding;
 * where that is negative, dy is cropped instead (the rows beyond reach no input).
 */
export function adjointConv(cfg: Conv2dTransposeConfig, name?: string): { params: Conv2dParams; crop: [number, number] } {
  const { bottom, right } = cfg.asConv.pads;
  return {
    params: {
      stride: cfg.stride, dilation: cfg.dilation, groups: cfg.groups,
      padding: [cfg.pads.top, cfg.pads.left, Math.max(0, bottom), Math.max(0, right)],
      ...(name !== undefined ? { name } : {}),
    },
    crop: [cfg.outH + Math.min(0, bottom), cfg.outW + Math.min(0, right)],
  };
}

// ---------------------------------------------------------------------------------------------
// The conv2dTranspose layer

/**
 * A transposed 2-D convolution (PyTorch's ConvTranspose2d, Keras' Conv2DTranspose): weights
 * (C, filters/groups, kH, kW), PyTorch's layout. `padding` crops the output ('same' makes
 * it input·stride, as Keras); `outputPadding` adds rows/columns at the bottom/right.
 */
export interface Conv2dTransposeLayer {
  type: 'conv2dTranspose';
  filters: number;
  kernelSize: number | readonly [number, number];
  strides?: number | readonly [number, number];
  padding?: Padding2d;
  outputPadding?: number | readonly [number, number];
  dilation?: number | readonly [number, number];
  groups?: number;
  /** Default true. */
  useBias?: boolean;
  activation?: Activation;
}

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

/**
 * The layer's attributes. 'same' gives Ho = H·sH: the window's overhang
 * (kH − 1)·dH + 1 − sH is cropped, the extra row at the bottom (TF's, and ONNX's SAME_UPPER);
 * when the window is shorter than the stride, the missing rows are output padding.
 */
export function conv2dTransposeAttrs(layer: Conv2dTransposeLayer, name?: string): Conv2dTransposeAttrs {
  const stride = positivePair(OP, 'strides', layer.strides, 1, name);
  const dilation = positivePair(OP, 'dilation', layer.dilation, 1, name);
  const kernel = positivePair(OP, 'kernelSize', layer.kernelSize, 1, name);
  let outputPadding = pair(layer.outputPadding ?? 0);
  nonNegativePair('outputPadding', outputPadding, name);
  let pads: Pads;
  if (layer.padding === 'same') {
    if (outputPadding[0] !== 0 || outputPadding[1] !== 0) {
      throw new InvalidArgumentError(OP, `padding 'same' fixes the output at input·stride; it cannot be combined with outputPadding ${JSON.stringify(layer.outputPadding)}`, name);
    }
    const total = [0, 1].map((i) => (kernel[i] - 1) * dilation[i] + 1 - stride[i]);
    const before = total.map((t) => Math.max(0, Math.floor(t / 2)));
    pads = { top: before[0], left: before[1], bottom: Math.max(0, total[0] - before[0]), right: Math.max(0, total[1] - before[1]) };
    outputPadding = [Math.max(0, -total[0]), Math.max(0, -total[1])];
  } else {
    // Explicit pads and 'valid' read as conv2d's (the input size only matters to its 'same').
    pads = resolvePadding(OP, layer.padding, [0, 0], kernel, stride, dilation, name);
  }
  return {
    stride, dilation, pads, outputPadding, groups: layer.groups ?? 1,
    ...(layer.activation !== undefined ? { activation: layer.activation } : {}),
    ...(name !== undefined ? { name } : {}),
  };
}

/** Gradients of a transposed convolution (dy at its pre-activation output). */
function conv2dTransposeGrads(b: TrainingBackend, x: Tensor, w: Tensor, dy: Tensor, attrs: Conv2dTransposeAttrs, want: { input: boolean; bias: boolean }) {
  const cfg = inferConv2dTranspose(x.shape, w.shape, undefined, attrs);
  const { params, crop } = adjointConv(cfg, attrs.name);
  let dyc = dy; // (N, Cout, Ho', Wo'), Ho' ≤ Ho
  if (crop[0] < cfg.outH) dyc = b.slice(dyc, 2, 0, crop[0]);
  if (crop[1] < cfg.outW) dyc = b.slice(dyc, 3, 0, crop[1]);
  const dx = want.input ? b.conv2d(dyc, w, undefined, params) : undefined; // (N, C, H, W)
  const dw = b.conv2dBackward(dyc, w, x, params, { input: false, weight: true, bias: false }).dw; // (C, Cout/groups, kH, kW)
  const db = want.bias ? b.reshape(b.sumTo(dy, [1, cfg.outChannels, 1, 1]), [cfg.outChannels]) : undefined; // (Cout)
  return { dx, dw, db };
}

export const conv2dTransposeOp = defineOp<Conv2dTransposeLayer>({
  type: 'conv2dTranspose',
  inputs: 1,
  params(layer, [x], name) {
    const c = channelsOf(OP, name, x);
    const [kh, kw] = positivePair(OP, 'kernelSize', layer.kernelSize, 1, name);
    if (!Number.isInteger(layer.filters) || layer.filters <= 0) throw new InvalidArgumentError(OP, `filters must be a positive integer, got ${layer.filters}`, name);
    const g = layer.groups ?? 1;
    if (!Number.isInteger(g) || g <= 0 || c % g !== 0 || layer.filters % g !== 0) {
      throw new ShapeError(OP, `groups ${g} must divide both the ${c} input channels and the ${layer.filters} filters`, name);
    }
    // PyTorch's default: uniform ±1/√fanIn with fanIn = w.size(1)·kH·kW = (filters/groups)·kH·kW.
    const init = fanInInit('pytorch', (layer.filters / g) * kh * kw);
    const out = [param('weight', [c, layer.filters / g, kh, kw], init)];
    if (layer.useBias ?? true) out.push(param('bias', [layer.filters], init));
    return out;
  },
  paramInputs: ['weight', 'bias'],
  forward: (b, { layer, name, inputs: [x], params: [w, bias] }) =>
    b.prim(CONV2D_TRANSPOSE, bias ? [x, w, bias] : [x, w], conv2dTransposeAttrs(layer, name)),
  backward(b, { layer, name, inputs: [x], params: [w, bias], dy, needInput }) {
    const attrs = { ...conv2dTransposeAttrs(layer, name), activation: undefined };
    const g = conv2dTransposeGrads(b, x, w, dy, attrs, { input: needInput[0], bias: bias !== undefined });
    return { inputs: [g.dx], params: [g.dw, g.db] };
  },
  flops: (_layer, [x], _output, params) => 2 * sizeOf(x) * sizeOf(params[0].shape.slice(1)),
  fusesActivation: true,
});
