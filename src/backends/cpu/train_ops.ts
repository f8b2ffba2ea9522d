/**
 * Training-mode batch norm, dropout, gradient plumbing (sumTo, slice, accumulate) and the
 * optimizers: the CPU reference, and the pure shape inference and parameter normalization
 * that the WebGPU kernels (../webgpu/kernels/train_ops.ts) share, run before any GPU work.
 * Float64 arithmetic, float32 storage. Semantics: ../training.ts.
 */
import type { HostTensor } from './cpu_tensor.js';
import type { BatchNormTrainParams, SgdParams, AdamParams } from '../training.js';
import { InvalidArgumentError, ShapeError } from '../../errors.js';
import { type Shape, fmtShape, sizeOf, shapesEqual, stridesOf, assertValidShape } from '../../shape.js';
import { type ActivationConfig, normalizeActivation, applyActivation } from '../../ops/activation.js';
import { DEFAULT_BN_EPSILON } from '../../ops/normalization.js';

// ---------------------------------------------------------------------------------------------
// Shape inference and parameter normalization (shared with the WebGPU kernels)

/** PyTorch's default running-average momentum. */
export const DEFAULT_BN_MOMENTUM = 0.1;

/** x viewed as (N, C, S) with S the product of the dimensions after C; M = N·S values per channel. */
export interface BatchNormTrainGeometry {
  outShape: number[];
  batch: number;
  channels: number;
  spatial: number;
  /** M = N·S, the number of values each channel's statistics are taken over. */
  count: number;
  epsilon: number;
  momentum: number;
  act: ActivationConfig;
}

function checkPerChannel(op: string, xShape: Shape, shapes: Readonly<Record<string, Shape>>, layer?: string): void {
  const channels = xShape[1];
  for (const [what, s] of Object.entries(shapes)) {
    if (s.length !== 1 || s[0] !== channels) {
      throw new ShapeError(op, `${what} must have shape [${channels}] (one value per channel), got ${fmtShape(s)} (input ${fmtShape(xShape)})`, layer);
    }
  }
}

function checkRankAtLeast2(op: string, xShape: Shape, layer?: string): void {
  if (xShape.length < 2) throw new ShapeError(op, `input must have rank >= 2 (N, C, …), got ${fmtShape(xShape)}`, layer);
}

/**
 * Batch norm in training mode: x is (N, C, …), gamma/beta/runningMean/runningVar are (C).
 * Needs at least 2 values per channel (the unbiased variance divides by M − 1), as PyTorch.
 * momentum in [0, 1], epsilon finite and >= 0.
 */
export function inferBatchNormTrain(
  xShape: Shape,
  shapes: { gamma: Shape; beta: Shape; runningMean: Shape; runningVar: Shape },
  params: BatchNormTrainParams = {},
): BatchNormTrainGeometry {
  const op = 'batchNormTrain';
  const layer = params.name;
  checkRankAtLeast2(op, xShape, layer);
  checkPerChannel(op, xShape, shapes, layer);
  const spatial = sizeOf(xShape.slice(2));
  const count = xShape[0] * spatial;
  if (count < 2) {
    throw new ShapeError(op, `needs more than 1 value per channel in training mode, got ${count} (input ${fmtShape(xShape)})`, layer);
  }
  const epsilon = params.epsilon ?? DEFAULT_BN_EPSILON;
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) {
    throw new InvalidArgumentError(op, `epsilon must be a finite number >= 0, got ${epsilon}`, layer);
  }
  const momentum = params.momentum ?? DEFAULT_BN_MOMENTUM;
  if (!(momentum >= 0 && momentum <= 1)) {
    throw new InvalidArgumentError(op, `momentum must be in [0, 1], got ${momentum}`, layer);
  }
  return {
    outShape: [...xShape],
    batch: xShape[0],
    channels: xShape[1],
    spatial,
    count,
    epsilon,
    momentum,
    act: normalizeActivation(op, params.activation),
  };
}

/** Batch norm's backward: dy has x's shape, gamma/mean/invStd are (C). */
export function inferBatchNormBackward(
  xShape: Shape,
  dyShape: Shape,
  shapes: { gamma: Shape; mean: Shape; invStd: Shape },
): { batch: number; channels: number; spatial: number; count: number } {
  const op = 'batchNormBackward';
  checkRankAtLeast2(op, xShape, undefined);
  if (!shapesEqual(xShape, dyShape)) {
    throw new ShapeError(op, `dy must have the input's shape ${fmtShape(xShape)}, got ${fmtShape(dyShape)}`);
  }
  checkPerChannel(op, xShape, shapes);
  const spatial = sizeOf(xShape.slice(2));
  return { batch: xShape[0], channels: xShape[1], spatial, count: xShape[0] * spatial };
}

/** Dropout in training mode: what the CPU and GPU kernels need besides the data. */
export interface DropoutConfig {
  /** Drop an element when the top 24 bits of its hash are below this (round(rate·2²⁴)). */
  threshold: number;
  /** 1/(1 − rate) rounded to float32, the kept elements' mask value. */
  scale: number;
}

export function inferDropoutTrain(xShape: Shape, rate: number, seedShape: Shape): DropoutConfig {
  if (!(rate >= 0 && rate < 1)) throw new InvalidArgumentError('dropoutTrain', `rate must be in [0, 1), got ${rate}`);
  if (!shapesEqual(seedShape, [1])) {
    throw new ShapeError('dropoutTrain', `seed must have shape [1], got ${fmtShape(seedShape)} (input ${fmtShape(xShape)})`);
  }
  return { threshold: Math.round(rate * 2 ** 24), scale: Math.fround(1 / (1 - rate)) };
}

const P2 = 0x85ebca77;
const P3 = 0xc2b2ae3d;
const P4 = 0x27d4eb2f;
const P5 = 0x165667b1;

function rotl17(h: number): number {
  return ((h << 17) | (h >>> 15)) >>> 0;
}

/**
 * xxHash32 of the two 32-bit words (seed, index): the counter-based random number behind
 * dropout's mask. shaders/dropout.wgsl computes the same function in u32 arithmetic, so the
 * CPU and GPU masks agree bit for bit.
 */
export function dropoutHash(seed: number, index: number): number {
  let h = (P5 + 8) >>> 0;
  h = (h + Math.imul(seed, P3)) >>> 0;
  h = Math.imul(rotl17(h), P4) >>> 0;
  h = (h + Math.imul(index, P3)) >>> 0;
  h = Math.imul(rotl17(h), P4) >>> 0;
  h = (h ^ (h >>> 15)) >>> 0;
  h = Math.imul(h, P2) >>> 0;
  h = (h ^ (h >>> 13)) >>> 0;
  h = Math.imul(h, P3) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** The seed tensor's value as the u32 the GPU sees (WGSL's u32(f32): truncate, saturate). */
export function seedToU32(v: number): number {
  if (!(v > 0)) return 0;
  return Math.min(Math.trunc(v), 0xffffffff);
}

/** sumTo's geometry: x's strides and the output/reduced decompositions, all aligned to x's rank. */
export interface SumToGeometry {
  outShape: number[];
  /** x's rank (the target shape is right-aligned and padded with 1s to it). */
  rank: number;
  /** The target shape padded to x's rank: x's dimension where kept, 1 where reduced. */
  keptShape: number[];
  /** x's dimension where reduced, 1 where kept. */
  reducedShape: number[];
  /** Row-major strides of x. */
  xStrides: number[];
  /** Number of x values summed into each output value. */
  reduced: number;
}

/**
 * sumTo(x, shape): `shape` must broadcast to x's shape (NumPy rules, right-aligned): at most
 * x's rank, and each dimension equal to x's or 1. x is summed over the dimensions where
 * `shape` has 1 (and x does not) or is missing.
 */
export function inferSumTo(xShape: Shape, shape: Shape): SumToGeometry {
  assertValidShape('sumTo', 'target', shape);
  const rank = xShape.length;
  const pad = rank - shape.length;
  const bad = pad < 0 || shape.some((d, i) => d !== 1 && d !== xShape[pad + i]);
  if (bad) {
    throw new ShapeError('sumTo', `target shape ${fmtShape(shape)} does not broadcast to the input's shape ${fmtShape(xShape)}`);
  }
  const keptShape = xShape.map((d, i) => (i < pad || shape[i - pad] === 1 ? 1 : d));
  const reducedShape = xShape.map((d, i) => (keptShape[i] === 1 ? d : 1));
  return {
    outShape: [...shape],
    rank,
    keptShape,
    reducedShape,
    xStrides: stridesOf(xShape),
    reduced: sizeOf(reducedShape),
  };
}

/** slice's geometry: x viewed as (outer, axisLen, inner). */
export interface SliceGeometry {
  outShape: number[];
  axis: number;
  outer: number;
  axisLen: number;
  inner: number;
  start: number;
  size: number;
}

/** `size` entries of `axis` (negative counts from the end) starting at `start`, all within x. */
export function inferSlice(xShape: Shape, axis: number, start: number, size: number): SliceGeometry {
  const rank = xShape.length;
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ShapeError('slice', `axis ${axis} is out of range for rank ${rank} (input ${fmtShape(xShape)})`);
  }
  if (!Number.isInteger(start) || !Number.isInteger(size) || start < 0 || size < 0 || start + size > xShape[a]) {
    throw new ShapeError(
      'slice',
      `start ${start} and size ${size} must be integers >= 0 with start + size <= ${xShape[a]}, the input's axis ${a} (input ${fmtShape(xShape)})`,
    );
  }
  const outShape = [...xShape];
  outShape[a] = size;
  return {
    outShape,
    axis: a,
    outer: sizeOf(xShape.slice(0, a)),
    axisLen: xShape[a],
    inner: sizeOf(xShape.slice(a + 1)),
    start,
    size,
  };
}

/** Throws unless `x` has the shape of `ref`. */
export function checkSameShape(op: string, refWhat: string, ref: Shape, what: string, x: Shape): void {
  if (!shapesEqual(ref, x)) {
    throw new ShapeError(op, `${what} must have the ${refWhat}'s shape ${fmtShape(ref)}, got ${fmtShape(x)}`);
  }
}

/**
 * Throws unless the tensors an in-place op writes share no storage with its other tensors:
 * `tensors` are [role, storage identity] (the CPU's Float32Array, the GPU's buffer) and the
 * first `written` of them are written. (WebGPU cannot bind one buffer both read-only and
 * writable in a dispatch, and an aliased update would read values it already changed.)
 */
export function checkNoAlias(op: string, tensors: readonly (readonly [string, unknown])[], written: number): void {
  for (let i = 0; i < written; i++) {
    for (let j = i + 1; j < tensors.length; j++) {
      if (tensors[i][1] === tensors[j][1]) {
        throw new InvalidArgumentError(op, `${tensors[i][0]} is updated in place and must not share storage with ${tensors[j][0]}`);
      }
    }
  }
}

function checkHyper(op: string, hyper: Shape, n: number, what: string): void {
  if (!shapesEqual(hyper, [n])) throw new ShapeError(op, `hyper must have shape [${n}] (${what}), got ${fmtShape(hyper)}`);
}

function checkNonNegative(op: string, what: string, v: number): void {
  if (!(Number.isFinite(v) && v >= 0)) throw new InvalidArgumentError(op, `${what} must be a finite number >= 0, got ${v}`);
}

/** SGD's options with defaults filled in. */
export interface SgdConfig {
  momentum: number;
  nesterov: boolean;
  weightDecay: number;
}

/** Checks an SGD step's tensors and options (velocity is needed exactly when momentum > 0). */
export function inferSgd(param: Shape, grad: Shape, velocity: Shape | undefined, hyper: Shape, params: SgdParams = {}): SgdConfig {
  const op = 'sgdStep';
  const momentum = params.momentum ?? 0;
  const nesterov = params.nesterov ?? false;
  const weightDecay = params.weightDecay ?? 0;
  checkNonNegative(op, 'momentum', momentum);
  checkNonNegative(op, 'weightDecay', weightDecay);
  if (nesterov && momentum === 0) throw new InvalidArgumentError(op, 'nesterov needs momentum > 0');
  checkSameShape(op, 'param', param, 'grad', grad);
  if (momentum > 0) {
    if (!velocity) throw new InvalidArgumentError(op, `momentum ${momentum} needs a velocity tensor of the param's shape ${fmtShape(param)}`);
    checkSameShape(op, 'param', param, 'velocity', velocity);
  }
  checkHyper(op, hyper, 1, 'the learning rate');
  return { momentum, nesterov, weightDecay };
}

/** Adam's options with defaults filled in. */
export interface AdamConfig {
  beta1: number;
  beta2: number;
  epsilon: number;
  weightDecay: number;
}

/** Checks an Adam step's tensors and options: betas in [0, 1), epsilon and weightDecay >= 0. */
export function inferAdam(param: Shape, grad: Shape, m: Shape, v: Shape, hyper: Shape, params: AdamParams = {}): AdamConfig {
  const op = 'adamStep';
  const beta1 = params.beta1 ?? 0.9;
  const beta2 = params.beta2 ?? 0.999;
  const epsilon = params.epsilon ?? 1e-8;
  const weightDecay = params.weightDecay ?? 0;
  for (const [what, b] of [['beta1', beta1], ['beta2', beta2]] as const) {
    if (!(b >= 0 && b < 1)) throw new InvalidArgumentError(op, `${what} must be in [0, 1), got ${b}`);
  }
  checkNonNegative(op, 'epsilon', epsilon);
  checkNonNegative(op, 'weightDecay', weightDecay);
  checkSameShape(op, 'param', param, 'grad', grad);
  checkSameShape(op, 'param', param, 'm', m);
  checkSameShape(op, 'param', param, 'v', v);
  checkHyper(op, hyper, 2, 'the learning rate and the bias correction √(1−β2ᵗ)/(1−β1ᵗ)');
  return { beta1, beta2, epsilon, weightDecay };
}

// ---------------------------------------------------------------------------------------------
// CPU reference

/**
 * Per channel: μ = mean, σ² = biased variance over (N, S) (two passes); y = act(γ(x − μ)/√(σ² + ε) + β).
 * In place: runningMean ← (1 − m)·runningMean + m·μ, runningVar ← (1 − m)·runningVar + m·σ²·M/(M − 1).
 */
export function batchNormTrainCpu(
  x: HostTensor,
  gamma: HostTensor,
  beta: HostTensor,
  runningMean: HostTensor,
  runningVar: HostTensor,
  params: BatchNormTrainParams,
): { y: HostTensor; mean: HostTensor; invStd: HostTensor } {
  const g = inferBatchNormTrain(x.shape, { gamma: gamma.shape, beta: beta.shape, runningMean: runningMean.shape, runningVar: runningVar.shape }, params);
  checkNoAlias('batchNormTrain', [['runningMean', runningMean.data], ['runningVar', runningVar.data], ['input', x.data], ['gamma', gamma.data], ['beta', beta.data]], 2);
  const { batch, channels: C, spatial: S, count: M, momentum: mo } = g;
  const y = new Float32Array(x.data.length); // (N, C, S)
  const mean = new Float32Array(C); // (C)
  const invStd = new Float32Array(C); // (C)
  for (let c = 0; c < C; c++) {
    let sum = 0;
    for (let n = 0; n < batch; n++) for (let s = 0; s < S; s++) sum += x.data[(n * C + c) * S + s];
    const mu = sum / M;
    let sq = 0;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const d = x.data[(n * C + c) * S + s] - mu;
        sq += d * d;
      }
    }
    const variance = sq / M;
    const is = 1 / Math.sqrt(variance + g.epsilon);
    mean[c] = mu;
    invStd[c] = is;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        y[i] = applyActivation(gamma.data[c] * (x.data[i] - mu) * is + beta.data[c], g.act);
      }
    }
    runningMean.data[c] = (1 - mo) * runningMean.data[c] + mo * mu;
    runningVar.data[c] = (1 - mo) * runningVar.data[c] + mo * ((variance * M) / (M - 1));
  }
  return { y: { data: y, shape: g.outShape }, mean: { data: mean, shape: [C] }, invStd: { data: invStd, shape: [C] } };
}

/**
 * x̂ = (x − μ)·invStd; dβ = Σ dy; dγ = Σ dy·x̂; dx = γ·invStd/M·(M·dy − dβ − x̂·dγ), sums over (N, S).
 * The statistics μ and invStd are treated as functions of x (training mode).
 */
export function batchNormBackwardCpu(
  x: HostTensor,
  dy: HostTensor,
  gamma: HostTensor,
  mean: HostTensor,
  invStd: HostTensor,
): { dx: HostTensor; dgamma: HostTensor; dbeta: HostTensor } {
  const g = inferBatchNormBackward(x.shape, dy.shape, { gamma: gamma.shape, mean: mean.shape, invStd: invStd.shape });
  const { batch, channels: C, spatial: S, count: M } = g;
  const dx = new Float32Array(x.data.length); // (N, C, S)
  const dgamma = new Float32Array(C); // (C)
  const dbeta = new Float32Array(C); // (C)
  for (let c = 0; c < C; c++) {
    const mu = mean.data[c];
    const is = invStd.data[c];
    let db = 0;
    let dg = 0;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        db += dy.data[i];
        dg += dy.data[i] * (x.data[i] - mu) * is;
      }
    }
    dbeta[c] = db;
    dgamma[c] = dg;
    const k = (gamma.data[c] * is) / M;
    for (let n = 0; n < batch; n++) {
      for (let s = 0; s < S; s++) {
        const i = (n * C + c) * S + s;
        dx[i] = k * (M * dy.data[i] - db - (x.data[i] - mu) * is * dg);
      }
    }
  }
  return { dx: { data: dx, shape: [...x.shape] }, dgamma: { data: dgamma, shape: [C] }, dbeta: { data: dbeta, shape: [C] } };
}

/** mask[i] = 0 if the top 24 bits of dropoutHash(seed, i) < round(rate·2²⁴), else 1/(1 − rate); y = x·mask. */
export function dropoutTrainCpu(x: HostTensor, rate: number, seed: HostTensor): { y: HostTensor; mask: HostTensor } {
  const cfg = inferDropoutTrain(x.shape, rate, seed.shape);
  const s = seedToU32(seed.data[0]);
  const y = new Float32Array(x.data.length);
  const mask = new Float32Array(x.data.length);
  for (let i = 0; i < mask.length; i++) {
    mask[i] = dropoutHash(s, i) >>> 8 < cfg.threshold ? 0 : cfg.scale;
    y[i] = x.data[i] * mask[i];
  }
  return { y: { data: y, shape: [...x.shape] }, mask: { data: mask, shape: [...x.shape] } };
}

/** Each output value is the sum of the x values that broadcast from it. */
export function sumToCpu(x: HostTensor, shape: Shape): HostTensor {
  const g = inferSumTo(x.shape, shape);
  const out = new Float32Array(sizeOf(g.outShape));
  const keptStrides = stridesOf(g.keptShape);
  const sums = new Float64Array(out.length);
  for (let i = 0; i < x.data.length; i++) {
    // x's multi-index, restricted to the kept dimensions, is the output's.
    let o = 0;
    let rem = i;
    for (let d = 0; d < g.rank; d++) {
      const coord = Math.floor(rem / g.xStrides[d]);
      rem -= coord * g.xStrides[d];
      if (g.keptShape[d] !== 1) o += coord * keptStrides[d];
    }
    sums[o] += x.data[i];
  }
  out.set(sums);
  return { data: out, shape: g.outShape };
}

export function sliceCpu(x: HostTensor, axis: number, start: number, size: number): HostTensor {
  const g = inferSlice(x.shape, axis, start, size);
  const out = new Float32Array(sizeOf(g.outShape)); // (outer, size, inner)
  for (let o = 0; o < g.outer; o++) {
    for (let k = 0; k < g.size; k++) {
      for (let r = 0; r < g.inner; r++) {
        out[(o * g.size + k) * g.inner + r] = x.data[(o * g.axisLen + g.start + k) * g.inner + r];
      }
    }
  }
  return { data: out, shape: g.outShape };
}

export function accumulateCpu(acc: HostTensor, x: HostTensor): void {
  checkSameShape('accumulate', 'accumulator', acc.shape, 'input', x.shape);
  checkNoAlias('accumulate', [['the accumulator', acc.data], ['the input', x.data]], 1);
  for (let i = 0; i < acc.data.length; i++) acc.data[i] += x.data[i];
}

/**
 * PyTorch's SGD (dampening 0): g = grad + wd·θ; with momentum v ← μ·v + g and
 * update = nesterov ? g + μ·v : v, else update = g; θ ← θ − lr·update, lr = hyper[0].
 * The velocity is zero-initialised by its owner, so the first step gives v = g, as PyTorch's
 * first step (which copies g into the new buffer).
 */
export function sgdStepCpu(param: HostTensor, grad: HostTensor, velocity: HostTensor | undefined, hyper: HostTensor, params: SgdParams): void {
  const cfg = inferSgd(param.shape, grad.shape, velocity?.shape, hyper.shape, params);
  const state: [string, unknown][] = cfg.momentum > 0 && velocity ? [['velocity', velocity.data]] : [];
  checkNoAlias('sgdStep', [['param', param.data], ...state, ['grad', grad.data], ['hyper', hyper.data]], 1 + state.length);
  const lr = hyper.data[0];
  for (let i = 0; i < param.data.length; i++) {
    const theta = param.data[i];
    const g = grad.data[i] + cfg.weightDecay * theta;
    let update = g;
    if (cfg.momentum > 0 && velocity) {
      const v = cfg.momentum * velocity.data[i] + g;
      velocity.data[i] = v;
      update = cfg.nesterov ? g + cfg.momentum * v : v;
    }
    param.data[i] = theta - lr * update;
  }
}

/**
 * Adam (AdamW when weightDecay > 0): θ ← θ − lr·wd·θ; m ← β1·m + (1 − β1)·g;
 * v ← β2·v + (1 − β2)·g²; θ ← θ − lr·c·m/(√v + ε) with [lr, c] = hyper, c = √(1 − β2ᵗ)/(1 − β1ᵗ).
 * This is Kingma & Ba's "efficient" form: PyTorch adds ε to √v/√(1 − β2ᵗ) instead of √v,
 * which differs only by ε·(1 − √(1 − β2ᵗ)) in the denominator.
 */
export function adamStepCpu(param: HostTensor, grad: HostTensor, m: HostTensor, v: HostTensor, hyper: HostTensor, params: AdamParams): void {
  const cfg = inferAdam(param.shape, grad.shape, m.shape, v.shape, hyper.shape, params);
  checkNoAlias('adamStep', [['param', param.data], ['m', m.data], ['v', v.data], ['grad', grad.data], ['hyper', hyper.data]], 3);
  const lr = hyper.data[0];
  const c = hyper.data[1];
  for (let i = 0; i < param.data.length; i++) {
    const g = grad.data[i];
    const theta = param.data[i] - lr * cfg.weightDecay * param.data[i];
    const mi = cfg.beta1 * m.data[i] + (1 - cfg.beta1) * g;
    const vi = cfg.beta2 * v.data[i] + (1 - cfg.beta2) * g * g;
    m.data[i] = mi;
    v.data[i] = vi;
    param.data[i] = theta - (lr * c * mi) / (Math.sqrt(vi) + cfg.epsilon);
  }
}
