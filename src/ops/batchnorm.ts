/**
 * Batch normalization in training mode, forward and backward: shape inference and parameter
 * normalization, pure functions shared by the CPU reference (src/backends/cpu/batchnorm.ts) and
 * the WebGPU kernels (src/backends/webgpu/kernels/batchnorm.ts), run before any GPU work.
 * Semantics: src/backends/training.ts. (Inference-mode batch norm: src/ops/normalization.ts.)
 */
import type { BatchNormTrainParams } from '../backends/training.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf, shapesEqual } from '../shape.js';
import { type ActivationConfig, normalizeActivation } from './activation.js';
import { DEFAULT_BN_EPSILON } from './normalization.js';
import { checkNoAlias } from './tensor_ops.js';

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

/** A training-mode batch norm operand: its shape and its storage (a CPU tensor's array, a GPU tensor's buffer). */
export interface BatchNormOperand {
  readonly shape: Shape;
  readonly storage: unknown;
}

/**
 * `inferBatchNormTrain` on the operands, then the check that the running statistics, updated in
 * place, share no storage with each other or with the input, gamma or beta.
 */
export function checkBatchNormTrain(
  t: { x: BatchNormOperand; gamma: BatchNormOperand; beta: BatchNormOperand; runningMean: BatchNormOperand; runningVar: BatchNormOperand },
  params: BatchNormTrainParams = {},
): BatchNormTrainGeometry {
  const g = inferBatchNormTrain(t.x.shape, { gamma: t.gamma.shape, beta: t.beta.shape, runningMean: t.runningMean.shape, runningVar: t.runningVar.shape }, params);
  const roles = [['runningMean', t.runningMean], ['runningVar', t.runningVar], ['input', t.x], ['gamma', t.gamma], ['beta', t.beta]] as const;
  checkNoAlias('batchNormTrain', roles.map(([role, operand]) => [role, operand.storage] as const), 2);
  return g;
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
