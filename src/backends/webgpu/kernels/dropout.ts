/**
 * WebGPU dropout in training mode: one vec4 elementwise pass drawing the mask from a
 * counter-based hash of (seed, index) (shaders/dropout.wgsl), the same mask as the CPU
 * reference's (src/ops/dropout.ts). The parameter check runs before any GPU work.
 */
import dropoutWgsl from '../../../../shaders/dropout.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { inferDropoutTrain } from '../../../ops/dropout.js';

/** dropout.wgsl's uniforms: vec4s of x, the drop threshold on the hash's top 24 bits, the kept elements' scale. */
const DROPOUT_PARAMS = uniformStruct('DropoutParams', { count4: 'u32', threshold: 'u32', scale: 'f32' });

// params, x, seed, y, mask
const DROPOUT: KernelSpec = {
  name: 'dropout',
  code: withPreludes(dropoutWgsl, DROPOUT_PARAMS, INDEX_PRELUDE),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'read', 'write', 'write'],
};

export function dropoutTrainGpu(be: KernelContext, x: GpuTensor, rate: number, seed: GpuTensor): { y: GpuTensor; mask: GpuTensor } {
  const WG = flatWorkgroup(be.limits);
  const cfg = inferDropoutTrain(x.shape, rate, seed.shape);
  const y = be.empty(x.shape, 'dropoutTrain');
  const mask = be.empty(x.shape, 'dropoutTrain');
  if (x.size === 0) return { y, mask };
  const count4 = ceilDiv(x.size, 4);
  be.run(
    {
      kernel: DROPOUT,
      overrides: { WG },
      uniforms: DROPOUT_PARAMS.pack({ count4, threshold: cfg.threshold, scale: cfg.scale }),
      workgroups: grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, 'dropoutTrain'),
      label: 'dropoutTrain',
    },
    [x, seed, y, mask],
  );
  return { y, mask };
}
