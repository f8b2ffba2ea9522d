/**
 * Training ops: the backward of every layer, the losses, batch norm and dropout in training
 * mode, gradient reductions and the optimizers. Implemented by the CPU reference and WebGPU
 * backends with the same signatures; every GPU kernel is checked against the CPU one, and the
 * CPU one against finite differences.
 *
 * Conventions:
 * - `dy` is the gradient of the loss with respect to an op's output and has its shape.
 * - Layers with a fused activation are differentiated in two steps: `activationBackward` from
 *   the activation's output `y` gives the gradient at the pre-activation, which then goes to
 *   the op's own backward (whose `dy` is always with respect to its pre-activation output).
 * - Scalars that change between steps of a recorded training plan (learning rate, Adam's bias
 *   corrections, random seeds) are read from small tensors (`hyper`, `seed`) that the trainer
 *   rewrites before each step, never from uniforms baked in at plan time.
 * - Optimizer steps and batch norm's running statistics update tensors in place.
 */
import type { Backend } from './backend.js';
import type { Tensor } from '../tensor.js';
import type { Shape } from '../shape.js';
import type { Activation, Conv2dParams, Pool2dParams, SubsampleParams, LrnParams, AdaptivePoolParams } from '../ops/params.js';
import type { AugmentParams } from '../ops/augment.js';

/** Which gradients to compute (all by default); unrequested ones are undefined in the result. */
export interface GradRequest {
  input?: boolean;
  weight?: boolean;
  bias?: boolean;
}

export interface Conv2dGrads {
  /** (N, C, H, W) */
  dx?: Tensor;
  /** The weights' shape. */
  dw?: Tensor;
  /** (Cout) */
  db?: Tensor;
}

export interface DenseGrads {
  /** (N, in) */
  dx?: Tensor;
  /** (out, in) */
  dw?: Tensor;
  /** (out) */
  db?: Tensor;
}

export interface SubsampleGrads {
  dx: Tensor;
  /** (C) */
  dcoeff: Tensor;
  /** (C) */
  dbias: Tensor;
}

export interface LossResult {
  /** Per-sample loss, (N). The batch loss is its mean. */
  loss: Tensor;
  /** Gradient of the mean loss with respect to the prediction (its shape). */
  grad: Tensor;
}

export interface BatchNormTrainParams {
  /** Running-average momentum, PyTorch convention: running = (1 − m)·running + m·batch. Default 0.1. */
  momentum?: number;
  /** Default 1e-5. */
  epsilon?: number;
  activation?: Activation;
  name?: string;
}

export interface BatchNormTrainResult {
  /** act(γ·(x − μ_B)/√(σ²_B + ε) + β) */
  y: Tensor;
  /** Batch mean per channel, (C). */
  mean: Tensor;
  /** 1/√(σ²_B + ε) per channel (biased batch variance), (C). */
  invStd: Tensor;
}

export interface BatchNormGrads {
  dx: Tensor;
  dgamma: Tensor;
  dbeta: Tensor;
}

export interface SgdParams {
  /** Default 0. */
  momentum?: number;
  /** Nesterov momentum (needs momentum > 0). */
  nesterov?: boolean;
  /** L2 penalty added to the gradient: g + wd·θ. Default 0. */
  weightDecay?: number;
}

export interface AdamParams {
  /** Default 0.9. */
  beta1?: number;
  /** Default 0.999. */
  beta2?: number;
  /** Default 1e-8. */
  epsilon?: number;
  /** Decoupled weight decay (AdamW): θ ← θ − lr·wd·θ. Default 0. */
  weightDecay?: number;
}

export interface TrainingBackend extends Backend {
  // ---- Layer backward ----------------------------------------------------------------------
  /** Gradient at an activation's input from its output `y` and `dy`. */
  activationBackward(y: Tensor, dy: Tensor, act: Activation): Tensor;
  /** conv2d's gradients (dy at its pre-activation output). Same params as the forward. */
  conv2dBackward(x: Tensor, w: Tensor, dy: Tensor, params?: Conv2dParams, want?: GradRequest): Conv2dGrads;
  /** dense's gradients: dx = dy·W, dW = dyᵀ·x, db = Σ_n dy. */
  denseBackward(x: Tensor, w: Tensor, dy: Tensor, want?: GradRequest): DenseGrads;
  /** rbf's gradients: dx[n,f] = Σ_k 2(x[n,f] − c[k,f])·dy[n,k], dc[k,f] = −Σ_n 2(x[n,f] − c[k,f])·dy[n,k]. */
  rbfBackward(x: Tensor, centers: Tensor, dy: Tensor): { dx: Tensor; dcenters: Tensor };
  /** Max pooling routes dy to the window's (first) maximum; average spreads it by the divisor. */
  pool2dBackward(x: Tensor, dy: Tensor, params: Pool2dParams): Tensor;
  globalPoolBackward(x: Tensor, dy: Tensor, type: 'max' | 'avg'): Tensor;
  adaptiveAvgPoolBackward(x: Tensor, dy: Tensor, params: AdaptivePoolParams): Tensor;
  /** LeNet-5's subsampling (dy at its pre-activation output). */
  subsampleBackward(x: Tensor, coeff: Tensor, dy: Tensor, params?: SubsampleParams): SubsampleGrads;
  lrnBackward(x: Tensor, dy: Tensor, params?: LrnParams): Tensor;

  // ---- Losses (mean over the batch) ------------------------------------------------------------
  /** Softmax + cross-entropy from logits (N, K) and integer labels (N) stored as floats. */
  softmaxCrossEntropy(logits: Tensor, labels: Tensor): LossResult;
  /** Mean squared error, ½·Σ_k (p − t)² per sample. */
  mseLoss(pred: Tensor, target: Tensor): LossResult;
  /** LeCun 1998's Euclidean RBF loss: the correct class's output (its squared distance). */
  rbfLoss(distances: Tensor, labels: Tensor): LossResult;

  // ---- Training-mode layers -------------------------------------------------------------------
  /** Batch statistics; updates runningMean/runningVar in place (unbiased variance, as PyTorch). */
  batchNormTrain(x: Tensor, gamma: Tensor, beta: Tensor, runningMean: Tensor, runningVar: Tensor, params?: BatchNormTrainParams): BatchNormTrainResult;
  /** dy at batch norm's pre-activation output. */
  batchNormBackward(x: Tensor, dy: Tensor, gamma: Tensor, mean: Tensor, invStd: Tensor): BatchNormGrads;
  /** Inverted dropout with a seeded mask: y = x·mask, mask ∈ {0, 1/(1−rate)}. `seed` is a (1) tensor. */
  dropoutTrain(x: Tensor, rate: number, seed: Tensor): { y: Tensor; mask: Tensor };

  /** Seeded data augmentation of an image batch (random crop with padding, flip, brightness/contrast). */
  augment(x: Tensor, seed: Tensor, params?: AugmentParams): Tensor;

  // ---- Gradient plumbing ------------------------------------------------------------------
  /** Sums `x` down to `shape` over broadcast dimensions (the backward of a broadcasting add). */
  sumTo(x: Tensor, shape: Shape): Tensor;
  /** `size` entries of `axis` starting at `start` (the backward of concat). */
  slice(x: Tensor, axis: number, start: number, size: number): Tensor;
  /** In place: acc ← acc + x (same shape). */
  accumulate(acc: Tensor, x: Tensor): void;

  // ---- Optimizers (in place) ----------------------------------------------------------------
  /**
   * SGD step, PyTorch's formulation. `hyper` is a (1) tensor holding the learning rate.
   * With momentum: v ← μ·v + g; θ ← θ − lr·(nesterov ? g + μ·v : v). `velocity` is required when momentum > 0.
   */
  sgdStep(param: Tensor, grad: Tensor, velocity: Tensor | undefined, hyper: Tensor, params?: SgdParams): void;
  /**
   * Adam step. `hyper` is a (2) tensor: [lr, bias-correction factor √(1−β2ᵗ)/(1−β1ᵗ)], written
   * by the trainer each step. m ← β1·m + (1−β1)·g; v ← β2·v + (1−β2)·g²; θ ← θ − lr·c·m/(√v + ε).
   */
  adamStep(param: Tensor, grad: Tensor, m: Tensor, v: Tensor, hyper: Tensor, params?: AdamParams): void;
}
