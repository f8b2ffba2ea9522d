/**
 * CPU reference: the backward of activations, dense and LeNet-5's RBF layer, and the losses
 * (softmax cross-entropy, mean squared error, LeCun's Euclidean RBF loss). Naive loops, float64
 * accumulation, float32 storage.
 *
 * The shape inference of these ops is here too, exported, and the WebGPU kernels
 * (src/backends/webgpu/kernels/matmul_backward.ts) run the same functions before any GPU work.
 * Only the CPU checks label values (`checkClassLabels`): the GPU cannot without a readback.
 */
import type { HostTensor } from './cpu_tensor.js';
import { type Activation, type ActivationConfig, normalizeActivation, SCALED_TANH_A, SCALED_TANH_S } from '../../ops/activation.js';
import type { GradRequest } from '../training.js';
import { InvalidArgumentError, ShapeError } from '../../errors.js';
import { type Shape, fmtShape, shapesEqual, sizeOf } from '../../shape.js';

// ---------------------------------------------------------------------------------------------
// Shape inference (shared with the WebGPU kernels)

/** Which gradients a GradRequest asks for: each one unless set to false. */
export function resolveGradRequest(want: GradRequest): { input: boolean; weight: boolean; bias: boolean } {
  return { input: want.input !== false, weight: want.weight !== false, bias: want.bias !== false };
}

export interface DenseBackwardGeometry {
  /** Batch, input features, output features. */
  readonly n: number;
  readonly inF: number;
  readonly outF: number;
}

/** denseBackward: x (N, in), w (out, in), dy (N, out). */
export function inferDenseBackward(x: Shape, w: Shape, dy: Shape): DenseBackwardGeometry {
  const op = 'denseBackward';
  if (x.length !== 2) throw new ShapeError(op, `input must have rank 2 (batch, features), got ${fmtShape(x)}`);
  if (w.length !== 2) throw new ShapeError(op, `weights must have rank 2 (out, in), got ${fmtShape(w)}`);
  if (x[1] !== w[1]) {
    throw new ShapeError(op, `input has ${x[1]} features, weights expect ${w[1]} (input ${fmtShape(x)}, weights ${fmtShape(w)})`);
  }
  const expected = [x[0], w[0]];
  if (!shapesEqual(dy, expected)) {
    throw new ShapeError(op, `dy has shape ${fmtShape(dy)}, expected ${fmtShape(expected)} (the output of input ${fmtShape(x)} and weights ${fmtShape(w)})`);
  }
  return { n: x[0], inF: x[1], outF: w[0] };
}

export interface RbfBackwardGeometry {
  /** Batch, features, classes (centers). */
  readonly n: number;
  readonly f: number;
  readonly k: number;
}

/** rbfBackward: x (N, F), centers (K, F), dy (N, K). */
export function inferRbfBackward(x: Shape, centers: Shape, dy: Shape): RbfBackwardGeometry {
  const op = 'rbfBackward';
  if (x.length !== 2) throw new ShapeError(op, `input must have rank 2 (batch, features), got ${fmtShape(x)}`);
  if (centers.length !== 2) throw new ShapeError(op, `centers must have rank 2 (classes, features), got ${fmtShape(centers)}`);
  if (x[1] !== centers[1]) {
    throw new ShapeError(op, `input has ${x[1]} features, centers have ${centers[1]} (input ${fmtShape(x)}, centers ${fmtShape(centers)})`);
  }
  const expected = [x[0], centers[0]];
  if (!shapesEqual(dy, expected)) {
    throw new ShapeError(op, `dy has shape ${fmtShape(dy)}, expected ${fmtShape(expected)} (the output of input ${fmtShape(x)} and centers ${fmtShape(centers)})`);
  }
  return { n: x[0], f: x[1], k: centers[0] };
}

export interface LossGeometry {
  /** Samples, and values per sample (classes for the label losses). */
  readonly n: number;
  readonly k: number;
}

/** softmaxCrossEntropy / rbfLoss: scores (N, K), labels (N). Label values are not looked at. */
export function inferLabelLoss(op: string, scores: Shape, labels: Shape, what: string): LossGeometry {
  if (scores.length !== 2) throw new ShapeError(op, `${what} must have rank 2 (batch, classes), got ${fmtShape(scores)}`);
  const [n, k] = scores;
  if (k === 0) throw new ShapeError(op, `${what} ${fmtShape(scores)} have no classes`);
  if (!shapesEqual(labels, [n])) {
    throw new ShapeError(op, `labels have shape ${fmtShape(labels)}, expected [${n}] (one class index per sample of ${what} ${fmtShape(scores)})`);
  }
  return { n, k };
}

/** mseLoss: prediction (N, …) and target of the same shape. */
export function inferMseLoss(pred: Shape, target: Shape): LossGeometry {
  const op = 'mseLoss';
  if (pred.length === 0) throw new ShapeError(op, `prediction must have rank >= 1 (batch, ...), got ${fmtShape(pred)}`);
  if (!shapesEqual(pred, target)) {
    throw new ShapeError(op, `target has shape ${fmtShape(target)} but prediction has ${fmtShape(pred)} (they must match)`);
  }
  const n = pred[0];
  return { n, k: sizeOf(pred.slice(1)) };
}

/**
 * Throws unless every label is an integer class index in 0..k−1. The CPU losses call it; the
 * WebGPU kernels cannot (it would need a readback) and clamp instead, so a trainer must call
 * it on the host labels before uploading them.
 */
export function checkClassLabels(op: string, labels: ArrayLike<number>, k: number): void {
  for (let i = 0; i < labels.length; i++) {
    const l = labels[i];
    if (!Number.isInteger(l) || l < 0 || l >= k) {
      throw new InvalidArgumentError(op, `label ${l} of sample ${i} is not a class index (expected an integer in 0..${k - 1})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// Layer backward

export function denseBackwardCpu(x: HostTensor, w: HostTensor, dy: HostTensor, want: GradRequest): { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } {
  const { n, inF, outF } = inferDenseBackward(x.shape, w.shape, dy.shape);
  const req = resolveGradRequest(want);
  const out: { dx?: HostTensor; dw?: HostTensor; db?: HostTensor } = {};
  if (req.input) {
    const dx = new Float32Array(n * inF); // (N, in) = dy (N, out) · W (out, in)
    for (let s = 0; s < n; s++) {
      for (let i = 0; i < inF; i++) {
        let acc = 0;
        for (let o = 0; o < outF; o++) acc += dy.data[s * outF + o] * w.data[o * inF + i];
        dx[s * inF + i] = acc;
      }
    }
    out.dx = { data: dx, shape: [n, inF] };
  }
  if (req.weight) {
    const dw = new Float32Array(outF * inF); // (out, in) = dyᵀ (out, N) · x (N, in)
    for (let o = 0; o < outF; o++) {
      for (let i = 0; i < inF; i++) {
        let acc = 0;
        for (let s = 0; s < n; s++) acc += dy.data[s * outF + o] * x.data[s * inF + i];
        dw[o * inF + i] = acc;
      }
    }
    out.dw = { data: dw, shape: [outF, inF] };
  }
  if (req.bias) {
    const db = new Float32Array(outF); // (out) = Σ_n dy
    for (let o = 0; o < outF; o++) {
      let acc = 0;
      for (let s = 0; s < n; s++) acc += dy.data[s * outF + o];
      db[o] = acc;
    }
    out.db = { data: db, shape: [outF] };
  }
  return out;
}

export function rbfBackwardCpu(x: HostTensor, centers: HostTensor, dy: HostTensor): { dx: HostTensor; dcenters: HostTensor } {
  const { n, f, k } = inferRbfBackward(x.shape, centers.shape, dy.shape);
  const dx = new Float32Array(n * f); // (N, F)
  const dc = new Float32Array(k * f); // (K, F)
  for (let s = 0; s < n; s++) {
    for (let j = 0; j < f; j++) {
      let acc = 0;
      for (let c = 0; c < k; c++) acc += 2 * (x.data[s * f + j] - centers.data[c * f + j]) * dy.data[s * k + c];
      dx[s * f + j] = acc;
    }
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < f; j++) {
      let acc = 0;
      for (let s = 0; s < n; s++) acc -= 2 * (x.data[s * f + j] - centers.data[c * f + j]) * dy.data[s * k + c];
      dc[c * f + j] = acc;
    }
  }
  return { dx: { data: dx, shape: [n, f] }, dcenters: { data: dc, shape: [k, f] } };
}

// ---------------------------------------------------------------------------------------------
// Losses: per-sample loss (N) and the gradient of the batch mean

export function softmaxCrossEntropyCpu(logits: HostTensor, labels: HostTensor): { loss: HostTensor; grad: HostTensor } {
  const op = 'softmaxCrossEntropy';
  const { n, k } = inferLabelLoss(op, logits.shape, labels.shape, 'logits');
  checkClassLabels(op, labels.data, k);
  const loss = new Float32Array(n); // (N)
  const grad = new Float32Array(n * k); // (N, K)
  for (let s = 0; s < n; s++) {
    const row = s * k;
    let max = -Infinity;
    for (let j = 0; j < k; j++) max = Math.max(max, logits.data[row + j]);
    let sum = 0;
    for (let j = 0; j < k; j++) sum += Math.exp(logits.data[row + j] - max);
    const label = labels.data[s];
    // −log softmax[label] = log Σ exp(x − max) − (x[label] − max)
    loss[s] = Math.log(sum) - (logits.data[row + label] - max);
    for (let j = 0; j < k; j++) {
      const p = Math.exp(logits.data[row + j] - max) / sum;
      grad[row + j] = (p - (j === label ? 1 : 0)) / n;
    }
  }
  return { loss: { data: loss, shape: [n] }, grad: { data: grad, shape: [n, k] } };
}

export function mseLossCpu(pred: HostTensor, target: HostTensor): { loss: HostTensor; grad: HostTensor } {
  const { n, k } = inferMseLoss(pred.shape, target.shape);
  const loss = new Float32Array(n); // (N)
  const grad = new Float32Array(n * k); // pred's shape
  for (let s = 0; s < n; s++) {
    let acc = 0;
    for (let j = s * k; j < (s + 1) * k; j++) {
      const d = pred.data[j] - target.data[j];
      acc += d * d;
      grad[j] = d / n;
    }
    loss[s] = 0.5 * acc;
  }
  return { loss: { data: loss, shape: [n] }, grad: { data: grad, shape: pred.shape } };
}

export function rbfLossCpu(distances: HostTensor, labels: HostTensor): { loss: HostTensor; grad: HostTensor } {
  const op = 'rbfLoss';
  const { n, k } = inferLabelLoss(op, distances.shape, labels.shape, 'distances');
  checkClassLabels(op, labels.data, k);
  const loss = new Float32Array(n); // (N)
  const grad = new Float32Array(n * k); // (N, K)
  for (let s = 0; s < n; s++) {
    const label = labels.data[s];
    loss[s] = distances.data[s * k + label];
    grad[s * k + label] = 1 / n;
  }
  return { loss: { data: loss, shape: [n] }, grad: { data: grad, shape: [n, k] } };
}
