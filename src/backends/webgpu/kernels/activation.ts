/**
 * WebGPU activations: the forward as a vec4 unary kernel (shaders/unary.wgsl with the
 * activation prelude) and the backward (shaders/activation_backward.wgsl), both specialised
 * by the `ACT` override from the table in src/ops/activation.ts.
 */
import unaryWgsl from '../../../../shaders/unary.wgsl?raw';
import activationBackwardWgsl from '../../../../shaders/activation_backward.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withActivation, withPreludes } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type Activation, activationGradWgslCases, activationOverrides, inferActivationBackward, normalizeActivation } from '../../../ops/activation.js';

/** The elementwise activation kernels' uniforms: the number of vec4s to compute. */
const VEC4_PARAMS = uniformStruct('Vec4Params', { count4: 'u32' });

const UNARY: KernelSpec = { name: 'unary', code: withActivation(withPreludes(unaryWgsl, VEC4_PARAMS)), entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };
const ACTIVATION_BACKWARD: KernelSpec = {
  name: 'activation_backward',
  code: withActivation(withPreludes(activationBackwardWgsl.replace('//#ACTIVATION_GRAD_CASES', activationGradWgslCases()), VEC4_PARAMS)),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'read', 'write'],
};

export function activationGpu(be: KernelContext, x: GpuTensor, act: Activation): GpuTensor {
  const WG = flatWorkgroup(be.limits);
  const cfg = normalizeActivation('activation', act);
  const count4 = ceilDiv(x.size, 4);
  // The grid first: a dispatch over the limit is refused before the output is allocated.
  const workgroups = grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, 'activation');
  const out = be.empty(x.shape, 'activation');
  be.run({ kernel: UNARY, overrides: { WG, ...activationOverrides(cfg) }, uniforms: VEC4_PARAMS.pack({ count4 }), workgroups, label: 'activation' }, [x, out]);
  return out;
}

/** dx = dy · f'(v), with `v` the activation's input or output as `activationGradFrom` says. */
export function activationBackwardGpu(be: KernelContext, v: GpuTensor, dy: GpuTensor, act: Activation): GpuTensor {
  const WG = flatWorkgroup(be.limits);
  const cfg = inferActivationBackward(v.shape, dy.shape, act);
  const count4 = ceilDiv(v.size, 4);
  const workgroups = grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, 'activationBackward');
  const dx = be.empty(v.shape, 'activationBackward');
  if (dx.size === 0) return dx;
  be.run(
    { kernel: ACTIVATION_BACKWARD, overrides: { WG, ...activationOverrides(cfg) }, uniforms: VEC4_PARAMS.pack({ count4 }), workgroups, label: 'activationBackward' },
    [v, dy, dx],
  );
  return dx;
}
