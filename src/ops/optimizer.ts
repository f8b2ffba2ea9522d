/**
 * The optimizers' steps (SGD with momentum and Nesterov, Adam/AdamW): their options with the
 * defaults filled in and the checks of their tensors, shared by the CPU reference
 * (src/backends/cpu/optimizer.ts) and the WebGPU kernels (src/backends/webgpu/kernels/optimizer.ts),
 * run before any GPU work. Semantics: src/backends/training.ts.
 */
import type { SgdParams, AdamParams } from '../backends/training.js';
import { InvalidArgumentError, ShapeError } from '../errors.js';
import { type Shape, fmtShape, shapesEqual } from '../shape.js';
import { checkSameShape } from './tensor_ops.js';

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
