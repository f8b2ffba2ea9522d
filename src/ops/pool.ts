/**
 * Pooling (windowed, global and adaptive), LeNet-5's trainable subsampling and local response
 * normalization: parameters, normalized forms and shape inference shared by the CPU reference
 * and the WebGPU kernels. Every function here is pure and runs before any GPU work.
 */
import { type ActivationConfig, normalizeActivation } from './activation.js';
import type { Activation, Padding2d, Pool2dParams, AdaptivePoolParams, SubsampleParams, LrnParams } from './params.js';

export type { Pool2dParams, AdaptivePoolParams, SubsampleParams, LrnParams } from './params.js';
import { type Pads, positivePair, resolvePadding, windowOutputSize } from './window.js';
import { channelsOf, defineOp, fanInInit, param } from './op.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, assertRank, fmtShape, sizeOf } from '../shape.js';





/** Sliding-window geometry of a pooling-like op over an (N, C, H, W) input. */
export interface WindowGeometry {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output height and width. */
  ho: number;
  wo: number;
  kernel: [number, number];
  stride: [number, number];
  pads: Pads;
  /** (N, C, Ho, Wo). */
  outShape: number[];
}

export interface Pool2dConfig extends WindowGeometry {
  type: 'max' | 'avg';
  countIncludePad: boolean;
  /** Spacing of the window's cells: window (oy, ox) reads rows oy·sh − top + ky·dh, columns likewise. */
  dilation: [number, number];
}

export interface AdaptivePoolConfig {
  n: number;
  c: number;
  h: number;
  w: number;
  /** Output height and width. */
  ho: number;
  wo: number;
  /** (N, C, Ho, Wo). */
  outShape: number[];
}

export interface SubsampleConfig extends WindowGeometry {
  activation: ActivationConfig;
}

export interface LrnConfig {
  size: number;
  alpha: number;
  beta: number;
  k: number;
  /** The window of channel c is c - before .. c + after, clipped to [0, C). */
  before: number;
  after: number;
  n: number;
  c: number;
  /** H·W (1 for an (N, C) input). */
  plane: number;
}

function fmtPads(p: Pads): string {
  return `[${p.top},${p.left},${p.bottom},${p.right}]`;
}

/** Output sizes of a window sliding over the input, with the error message naming everything. */
function geometry(
  op: string,
  x: Shape,
  kernel: [number, number],
  stride: [number, number],
  pads: Pads,
  ceilMode: boolean,
  layer?: string,
  dilation: [number, number] = [1, 1],
): WindowGeometry {
  const [n, c, h, w] = x;
  const describe = () => `input ${fmtShape(x)}, kernel ${fmtShape(kernel)}, stride ${fmtShape(stride)}, padding ${fmtPads(pads)}${dilation[0] * dilation[1] > 1 ? `, dilation ${fmtShape(dilation)}` : ''}`;
  const ho = windowOutputSize(op, h, kernel[0], stride[0], dilation[0], pads.top, pads.bottom, ceilMode, describe, layer);
  const wo = windowOutputSize(op, w, kernel[1], stride[1], dilation[1], pads.left, pads.right, ceilMode, describe, layer);
  return { n, c, h, w, ho, wo, kernel, stride, pads, outShape: [n, c, ho, wo] };
}

/**
 * Normalizes pool2d parameters and infers the output shape.
 *
 * Padding must be smaller than the window per side (ONNX's rule; PyTorch allows half of it).
 * Together with PyTorch's ceil-mode rule (the last window starts inside the input or the
 * top/left padding) this guarantees that every window covers at least one real input cell:
 * it starts before the input's end and ends after its start. So a max is always a real value
 * and the count of real cells (the avg divisor) is never 0.
 */
export function inferPool2d(x: Shape, params: Pool2dParams): Pool2dConfig {
  const op = 'pool2d';
  const layer = params.name;
  assertRank(op, 'input', x, 4, layer);
  if (params.type !== 'max' && params.type !== 'avg') {
    throw new InvalidArgumentError(op, `type must be 'max' or 'avg', got ${JSON.stringify(params.type)}`, layer);
  }
  const kernel = positivePair(op, 'kernelSize', params.kernelSize, 0, layer);
  const stride: [number, number] = params.stride === undefined ? [kernel[0], kernel[1]] : positivePair(op, 'stride', params.stride, 1, layer);
  const dilation = positivePair(op, 'dilation', params.dilation, 1, layer);
  const pads = resolvePadding(op, params.padding, [x[2], x[3]], kernel, stride, dilation, layer);
  if (pads.top >= kernel[0] || pads.bottom >= kernel[0] || pads.left >= kernel[1] || pads.right >= kernel[1]) {
    throw new InvalidArgumentError(
      op,
      `padding must be smaller than the kernel, got padding ${fmtPads(pads)} for kernel ${fmtShape(kernel)} (input ${fmtShape(x)})`,
      layer,
    );
  }
  const g = geometry(op, x, kernel, stride, pads, params.ceilMode ?? false, layer, dilation);
  // A dilated window may step over every real cell: refused, so every window still has one.
  const coversInput = (outs: number, s: number, before: number, k: number, d: number, size: number) => {
    for (let o = 0; o < outs; o++) {
      const start = o * s - before;
      let hit = false;
      for (let j = 0; j < k && !hit; j++) hit = start + j * d >= 0 && start + j * d < size;
      if (!hit) return o;
    }
    return -1;
  };
  if (dilation[0] > 1 || dilation[1] > 1) {
    const oy = coversInput(g.ho, stride[0], pads.top, kernel[0], dilation[0], g.h);
    const ox = coversInput(g.wo, stride[1], pads.left, kernel[1], dilation[1], g.w);
    if (oy >= 0 || ox >= 0) {
      throw new ShapeError(op, `with dilation ${fmtShape(dilation)} the window at ${oy >= 0 ? `row ${oy}` : `column ${ox}`} covers only padding (input ${fmtShape(x)}, kernel ${fmtShape(kernel)}, padding ${fmtPads(pads)})`, layer);
    }
  }
  return { ...g, type: params.type, countIncludePad: params.countIncludePad ?? false, dilation };
}

/** Global pooling: (N, C, H, W) → (N, C, 1, 1). The plane must not be empty. */
export function inferGlobalPool(x: Shape, type: 'max' | 'avg'): { n: number; c: number; plane: number; outShape: number[] } {
  const op = 'globalPool';
  assertRank(op, 'input', x, 4);
  if (type !== 'max' && type !== 'avg') {
    throw new InvalidArgumentError(op, `type must be 'max' or 'avg', got ${JSON.stringify(type)}`);
  }
  const [n, c, h, w] = x;
  if (h * w === 0) throw new ShapeError(op, `cannot pool an empty plane (input ${fmtShape(x)})`);
  return { n, c, plane: h * w, outShape: [n, c, 1, 1] };
}

/**
 * Adaptive average pooling: (N, C, H, W) → (N, C, oh, ow). Output row i averages input rows
 * floor(i·H/oh) .. ceil((i+1)·H/oh) - 1 (see `adaptiveBin`), columns likewise. Bins of
 * neighbouring outputs may overlap, and when oh > H rows are replicated (1×1 → 6×6 copies the
 * value). Every bin holds at least one cell as long as the plane is not empty.
 */
export function inferAdaptiveAvgPool(x: Shape, params: AdaptivePoolParams): AdaptivePoolConfig {
  const op = 'adaptiveAvgPool';
  const layer = params.name;
  assertRank(op, 'input', x, 4, layer);
  const s = params.outputSize;
  const size: number[] = typeof s === 'number' ? [s, s] : Array.isArray(s) && s.length === 2 ? [s[0], s[1]] : [];
  if (size.length !== 2 || !size.every((d) => Number.isInteger(d) && d > 0)) {
    throw new InvalidArgumentError(op, `outputSize must be a positive integer or [oh, ow] of positive integers, got ${JSON.stringify(s)} (input ${fmtShape(x)})`, layer);
  }
  const [n, c, h, w] = x;
  if (h === 0 || w === 0) throw new ShapeError(op, `cannot pool an empty plane (input ${fmtShape(x)}, outputSize ${fmtShape(size)})`, layer);
  const [ho, wo] = size;
  return { n, c, h, w, ho, wo, outShape: [n, c, ho, wo] };
}

/** Input cells [start, end) averaged by output cell i of `out` along an axis of length `len`. */
export function adaptiveBin(i: number, len: number, out: number): [number, number] {
  return [Math.floor((i * len) / out), Math.ceil(((i + 1) * len) / out)];
}

/** LeNet-5's subsampling: windows without padding; coeff and bias hold one value per channel. */
export function inferSubsample(x: Shape, coeff: Shape, bias: Shape, params: SubsampleParams): SubsampleConfig {
  const op = 'subsample';
  const layer = params.name;
  assertRank(op, 'input', x, 4, layer);
  const k = positivePair(op, 'kernelSize', params.kernelSize, 2, layer);
  const stride = positivePair(op, 'stride', params.stride, k[0], layer);
  const c = x[1];
  for (const [what, s] of [['coeff', coeff], ['bias', bias]] as const) {
    if (s.length !== 1 || s[0] !== c) {
      throw new ShapeError(op, `${what} must have shape [${c}] (one value per input channel), got ${fmtShape(s)} (input ${fmtShape(x)})`, layer);
    }
  }
  const activation = normalizeActivation(op, params.activation);
  const g = geometry(op, x, k, stride, { top: 0, left: 0, bottom: 0, right: 0 }, false, layer);
  return { ...g, activation };
}

/**
 * Local response normalization across channels (PyTorch/ONNX):
 * y = x / (k + alpha/size · Σ_{c' in window} x[c']²)^beta, window c - floor((size-1)/2) ..
 * c + ceil((size-1)/2) clipped to [0, C). Input (N, C, H, W) or (N, C, …).
 * k must be positive and alpha non-negative, so the base of the power is always positive.
 * For an even size this is ONNX's window (c .. c+1 for size 2); PyTorch's LocalResponseNorm
 * pads the other way (c-1 .. c). Odd sizes, AlexNet's 5 included, agree.
 */
export function inferLrn(x: Shape, params: LrnParams): LrnConfig {
  const op = 'lrn';
  const layer = params.name;
  if (x.length < 2) throw new ShapeError(op, `input must have rank >= 2 (N, C, …), got ${fmtShape(x)}`, layer);
  const size = params.size ?? 5;
  const alpha = params.alpha ?? 1e-4;
  const beta = params.beta ?? 0.75;
  const k = params.k ?? 2;
  if (!Number.isInteger(size) || size <= 0) throw new InvalidArgumentError(op, `size must be a positive integer, got ${size}`, layer);
  if (!(Number.isFinite(alpha) && alpha >= 0)) throw new InvalidArgumentError(op, `alpha must be finite and >= 0, got ${alpha}`, layer);
  if (!Number.isFinite(beta)) throw new InvalidArgumentError(op, `beta must be finite, got ${beta}`, layer);
  if (!(Number.isFinite(k) && k > 0)) throw new InvalidArgumentError(op, `k must be finite and > 0, got ${k}`, layer);
  return {
    size, alpha, beta, k,
    before: Math.floor((size - 1) / 2),
    after: Math.ceil((size - 1) / 2),
    n: x[0],
    c: x[1],
    plane: sizeOf(x.slice(2)),
  };
}

// ---------------------------------------------------------------------------------------------
// Layers

const pair = (v: number | readonly [number, number]): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface Pool2dLayer {
  type: 'pool2d';
  pool: 'max' | 'avg';
  kernelSize: number | readonly [number, number];
  stride?: number | readonly [number, number];
  padding?: Padding2d;
  ceilMode?: boolean;
  countIncludePad?: boolean;
  /** Spacing of the window's cells (default 1); inference only. */
  dilation?: number | readonly [number, number];
}

function poolParams(layer: Pool2dLayer, name: string): Pool2dParams {
  return { type: layer.pool, kernelSize: layer.kernelSize, stride: layer.stride, padding: layer.padding, ceilMode: layer.ceilMode, countIncludePad: layer.countIncludePad, dilation: layer.dilation, name };
}

export const pool2dOp = defineOp<Pool2dLayer>({
  type: 'pool2d',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => b.pool2d(x, poolParams(layer, name)),
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => ({ inputs: [needInput[0] ? b.pool2dBackward(x, dy, poolParams(layer, name)) : undefined] }),
  flops: (layer, _inputs, output) => {
    const [kh, kw] = pair(layer.kernelSize);
    return sizeOf(output) * kh * kw;
  },
});

export interface GlobalPoolLayer {
  type: 'globalPool';
  pool: 'max' | 'avg';
}

export const globalPoolOp = defineOp<GlobalPoolLayer>({
  type: 'globalPool',
  inputs: 1,
  forward: (b, { layer, inputs: [x] }) => b.globalPool(x, layer.pool),
  backward: (b, { layer, inputs: [x], dy, needInput }) => ({ inputs: [needInput[0] ? b.globalPoolBackward(x, dy, layer.pool) : undefined] }),
  flops: (_layer, [x]) => sizeOf(x),
});

/** PyTorch's AdaptiveAvgPool2d: torchvision's AlexNet (6×6) and VGG (7×7) heads. */
export interface AdaptiveAvgPoolLayer {
  type: 'adaptiveAvgPool';
  outputSize: number | readonly [number, number];
}

export const adaptiveAvgPoolOp = defineOp<AdaptiveAvgPoolLayer>({
  type: 'adaptiveAvgPool',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => b.adaptiveAvgPool(x, { outputSize: layer.outputSize, name }),
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => ({
    inputs: [needInput[0] ? b.adaptiveAvgPoolBackward(x, dy, { outputSize: layer.outputSize, name }) : undefined],
  }),
  flops: (_layer, [x]) => sizeOf(x),
});

/** LeNet-5's trainable subsampling: each window's sum × coeff[c] + bias[c], then the activation. */
export interface SubsampleLayer {
  type: 'subsample';
  kernelSize?: number;
  activation?: Activation;
}

export const subsampleOp = defineOp<SubsampleLayer>({
  type: 'subsample',
  inputs: 1,
  params(layer, [x], name) {
    const c = channelsOf('subsample', name, x);
    const k = layer.kernelSize ?? 2;
    const init = fanInInit('lecun98', k * k);
    return [param('weight', [c], init), param('bias', [c], init)];
  },
  forward: (b, { layer, name, inputs: [x], params: [coeff, bias] }) => b.subsample(x, coeff, bias, { kernelSize: layer.kernelSize, activation: layer.activation, name }),
  backward(b, { layer, name, inputs: [x], params: [coeff], dy }) {
    const g = b.subsampleBackward(x, coeff, dy, { kernelSize: layer.kernelSize, name });
    return { inputs: [g.dx], params: [g.dcoeff, g.dbias] };
  },
  flops: (layer, _inputs, output) => {
    const k = layer.kernelSize ?? 2;
    return sizeOf(output) * (k * k + 2);
  },
  fusesActivation: true,
});

/** Local response normalization across channels (AlexNet). */
export interface LrnLayer {
  type: 'lrn';
  size?: number;
  alpha?: number;
  beta?: number;
  k?: number;
}

const lrnParams = (layer: LrnLayer, name: string): LrnParams => ({ size: layer.size, alpha: layer.alpha, beta: layer.beta, k: layer.k, name });

export const lrnOp = defineOp<LrnLayer>({
  type: 'lrn',
  inputs: 1,
  forward: (b, { layer, name, inputs: [x] }) => b.lrn(x, lrnParams(layer, name)),
  backward: (b, { layer, name, inputs: [x], dy, needInput }) => ({ inputs: [needInput[0] ? b.lrnBackward(x, dy, lrnParams(layer, name)) : undefined] }),
  flops: (layer, _inputs, output) => sizeOf(output) * (2 * (layer.size ?? 5) + 4),
});
