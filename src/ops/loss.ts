/**
 * Shape inference and label checks of the losses (softmax cross-entropy, mean squared error,
 * LeCun's Euclidean RBF loss): pure functions shared by the CPU reference
 * (src/backends/cpu/loss.ts) and the WebGPU kernels (src/backends/webgpu/kernels/loss.ts), run
 * before any GPU work. Only the CPU checks label values (`checkClassLabels`): the GPU cannot
 * without a readback.
 */
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual, sizeOf } from '../shape.js';

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
