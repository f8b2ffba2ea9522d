/** CPU reference of the activations, forward and backward, from the table in src/ops/activation.ts. Float64 arithmetic, float32 storage. */
import type { HostTensor } from './host_tensor.js';
import { type Activation, normalizeActivation, applyActivation, activationGrad, inferActivationBackward } from '../../ops/activation.js';

export function activationCpu(x: HostTensor, act: Activation): HostTensor {
  const cfg = normalizeActivation('activation', act);
  const out = new Float32Array(x.data.length);
  for (let i = 0; i < out.length; i++) out[i] = applyActivation(x.data[i], cfg);
  return { data: out, shape: x.shape };
}

/** dx = dy · f'(v), with `v` the activation's input or output as `activationGradFrom` says. */
export function activationBackwardCpu(v: HostTensor, dy: HostTensor, act: Activation): HostTensor {
  const cfg = inferActivationBackward(v.shape, dy.shape, act);
  const dx = new Float32Array(v.data.length);
  for (let i = 0; i < dx.length; i++) dx[i] = dy.data[i] * activationGrad(v.data[i], cfg);
  return { data: dx, shape: v.shape };
}
