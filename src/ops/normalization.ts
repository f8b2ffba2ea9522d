/**
 * Batch normalization (inference) and concatenation: parameters, their normalized form and
 * shape inference — pure functions shared by the CPU reference and the WebGPU kernels, run
 * before any GPU work.
 */
import { type ActivationConfig, normalizeActivation } from './activation.js';
import type { Activation } from './params.js';

export type { BatchNormParams } from './params.js';
import { channelsOf, defineOp, param } from './op.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, sizeOf } from '../shape.js';


/** PyTorch's and ONNX's default. */
export const DEFAULT_BN_EPSILON = 1e-5;

/** The shapes of batch norm's four per-channel vectors, in the order they are checked. */
export interface BatchNormParamShapes {
  gamma: Shape;
  beta: Shape;
  mean: Shape;
  variance: Shape;
}

/** Batch norm options other than the tensors. */
export interface BatchNormOptions {
  epsilon?: number;
  activation?: Activation;
  name?: string;
}

/** Everything a batch norm kernel needs besides the data: x viewed as (N, C, S). */
export interface BatchNormGeometry {
  /** Output shape: the input's. */
  outShape: number[];
  batch: number;
  channels: number;
  /** Product of the dimensions after C (1 for rank 2). */
  spatial: number;
  epsilon: number;
  act: ActivationConfig;
}

const BN_PARAMS = ['gamma', 'beta', 'mean', 'variance'] as const;

/**
 * Checks batch norm's input and parameters. x is (N, C, …): (N, C), (N, C, L) or (N, C, H, W);
 * each of gamma, beta, mean, variance has shape (C). Variance is not checked (a negative one
 * gives NaN, as everywhere else); epsilon must be finite and >= 0.
 */
export function inferBatchNorm(xShape: Shape, params: BatchNormParamShapes, options: BatchNormOptions = {}): BatchNormGeometry {
  const layer = options.name;
  if (xShape.length < 2) {
    throw new ShapeError('batchNorm', `input must have rank >= 2 (N, C, …), got ${fmtShape(xShape)}`, layer);
  }
  const channels = xShape[1];
  for (const what of BN_PARAMS) {
    const s = params[what];
    if (s.length !== 1) {
      throw new ShapeError('batchNorm', `${what} must have shape [${channels}], got ${fmtShape(s)} (input ${fmtShape(xShape)})`, layer);
    }
    if (s[0] !== channels) {
      throw new ShapeError(
        'batchNorm',
        `${what} has ${s[0]} values, input has ${channels} channels (input ${fmtShape(xShape)})`,
        layer,
      );
    }
  }
  const epsilon = options.epsilon ?? DEFAULT_BN_EPSILON;
  if (!(Number.isFinite(epsilon) && epsilon >= 0)) {
    throw new InvalidArgumentError('batchNorm', `epsilon must be a finite number >= 0, got ${epsilon}`, layer);
  }
  return {
    outShape: [...xShape],
    batch: xShape[0],
    channels,
    spatial: sizeOf(xShape.slice(2)),
    epsilon,
    act: normalizeActivation('batchNorm', options.activation),
  };
}

/** x viewed as (outer, axis, inner) around the concatenation axis. */
export interface ConcatGeometry {
  outShape: number[];
  /** The axis, made non-negative. */
  axis: number;
  /** Product of the dimensions before the axis. */
  outer: number;
  /** Product of the dimensions after the axis. */
  inner: number;
  /** Each input's extent along the axis. */
  sizes: number[];
  /** Where each input starts along the output's axis. */
  offsets: number[];
}

/**
 * Concatenation of `shapes` along `axis` (negative counts from the end): at least one input,
 * all of the same rank, equal on every other axis. Inputs that are empty along the axis are
 * allowed and contribute nothing.
 */
export function inferConcat(shapes: readonly Shape[], axis = 1): ConcatGeometry {
  if (shapes.length === 0) throw new ShapeError('concat', 'needs at least one input, got an empty list');
  const first = shapes[0];
  const rank = first.length;
  const all = shapes.map(fmtShape).join(', ');
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(axis) || a < 0 || a >= rank) {
    throw new ShapeError('concat', `axis ${axis} is out of range for rank ${rank} (inputs ${all})`);
  }
  // Input 0's shape with the axis free: [2,*,5,5].
  const expected = `[${first.map((d, i) => (i === a ? '*' : d)).join(',')}]`;
  const sizes: number[] = [];
  const offsets: number[] = [];
  let total = 0;
  shapes.forEach((s, i) => {
    if (s.length !== rank) {
      throw new ShapeError('concat', `input ${i} has rank ${s.length}, expected rank ${rank} like input 0 (inputs ${all})`);
    }
    if (s.some((d, k) => k !== a && d !== first[k])) {
      throw new ShapeError(
        'concat',
        `input ${i} has shape ${fmtShape(s)}, expected ${expected} (concatenating along axis ${a}, every other dimension must match input 0)`,
      );
    }
    sizes.push(s[a]);
    offsets.push(total);
    total += s[a];
  });
  const outShape = [...first];
  outShape[a] = total;
  return { outShape, axis: a, outer: sizeOf(first.slice(0, a)), inner: sizeOf(first.slice(a + 1)), sizes, offsets };
}

// ---------------------------------------------------------------------------------------------
// Layers

export interface BatchNormLayer {
  type: 'batchNorm';
  epsilon?: number;
  /** Running-average momentum used by training (PyTorch convention, default 0.1). */
  momentum?: number;
  activation?: Activation;
}

export const batchNormOp = defineOp<BatchNormLayer>({
  type: 'batchNorm',
  inputs: 1,
  params(_layer, [x], name) {
    const c = channelsOf('batchNorm', name, x);
    return [
      param('weight', [c], { kind: 'constant', value: 1 }),
      param('bias', [c], { kind: 'constant', value: 0 }),
      param('running_mean', [c], { kind: 'constant', value: 0 }, false, true),
      param('running_var', [c], { kind: 'constant', value: 1 }, false, true),
    ];
  },
  paramInputs: ['weight', 'bias', 'running_mean', 'running_var'],
  forward: (b, { layer, name, inputs: [x], params: [gamma, beta, mean, variance] }) =>
    b.batchNorm(x, { gamma, beta, mean, variance, epsilon: layer.epsilon, activation: layer.activation, name }),
  train(b, { layer, name, inputs: [x], params: [gamma, beta, runningMean, runningVar] }) {
    const r = b.batchNormTrain(x, gamma, beta, runningMean, runningVar, { momentum: layer.momentum, epsilon: layer.epsilon, activation: layer.activation, name });
    return { y: r.y, saved: { mean: r.mean, invStd: r.invStd } };
  },
  backward(b, { inputs: [x], params: [gamma], saved, dy }) {
    const g = b.batchNormBackward(x, dy, gamma, saved.mean, saved.invStd);
    return { inputs: [g.dx], params: [g.dgamma, g.dbeta] };
  },
  flops: (_layer, _inputs, output) => 2 * sizeOf(output),
  fusesActivation: true,
});

/** Concatenation along `axis` (default 1: channels, as in Inception). */
export interface ConcatLayer {
  type: 'concat';
  axis?: number;
}

export const concatOp = defineOp<ConcatLayer>({
  type: 'concat',
  inputs: [1, Infinity],
  forward: (b, { layer, inputs }) => b.concat(inputs, layer.axis ?? 1),
  backward(b, { layer, inputs, dy, needInput }) {
    const { axis, offsets, sizes } = inferConcat(inputs.map((t) => t.shape), layer.axis ?? 1);
    return { inputs: inputs.map((_, i) => (needInput[i] ? b.slice(dy, axis, offsets[i], sizes[i]) : undefined)) };
  },
  flops: () => 0,
});
