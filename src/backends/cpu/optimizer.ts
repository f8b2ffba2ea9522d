/** CPU reference: the optimizer steps, SGD (momentum, Nesterov) and Adam/AdamW, in place. Float64 arithmetic, float32 storage. */
import type { HostTensor } from './host_tensor.js';
import type { SgdParams, AdamParams } from '../training.js';
import { inferSgd, inferAdam } from '../../ops/optimizer.js';
import { checkNoAlias } from '../../ops/tensor_ops.js';

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
