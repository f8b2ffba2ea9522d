/**
 * WebGPU batch normalization (one vec4 elementwise pass, activation fused) and concatenation
 * (one copy dispatch per input into its slice of the output).
 */
import batchNormWgsl from '../../../../shaders/batchnorm.wgsl?raw';
import concatWgsl from '../../../../shaders/concat.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { activationOverrides } from '../../../ops/activation.js';
import { type BatchNormParams, inferBatchNorm, inferConcat } from '../../../ops/normalization.js';

const WG = 256;

const BATCH_NORM: KernelSpec = {
  name: 'batchnorm',
  code: withActivation(batchNormWgsl),
  entryPoint: 'main',
  // params, x, gamma, beta, mean, variance, y
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'write'],
};

const CONCAT: KernelSpec = { name: 'concat', code: concatWgsl, entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };

/** `params` tensors are already checked to be this backend's GpuTensors. */
export function batchNormGpu(be: WebGpuBackend, x: GpuTensor, params: BatchNormParams): GpuTensor {
  const gamma = params.gamma as GpuTensor;
  const beta = params.beta as GpuTensor;
  const mean = params.mean as GpuTensor;
  const variance = params.variance as GpuTensor;
  const g = inferBatchNorm(
    x.shape,
    { gamma: gamma.shape, beta: beta.shape, mean: mean.shape, variance: variance.shape },
    params,
  );
  const out = be.empty(g.outShape, 'batchNorm');
  if (out.size === 0) return out;
  const count4 = ceilDiv(out.size, 4);
  be.run(
    {
      kernel: BATCH_NORM,
      overrides: { WG, ALIGNED: g.spatial % 4 === 0 ? 1 : 0, ...activationOverrides(g.act) },
      uniforms: packUniforms([
        ['u32', count4],
        ['u32', g.spatial],
        ['u32', g.channels],
        ['f32', g.epsilon],
      ]),
      workgroups: grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, 'batchNorm'),
      label: params.name ? `batchNorm '${params.name}'` : 'batchNorm',
    },
    [x, gamma, beta, mean, variance, out],
  );
  return out;
}

export function concatGpu(be: WebGpuBackend, xs: readonly GpuTensor[], axis: number): GpuTensor {
  const g = inferConcat(
    xs.map((x) => x.shape),
    axis,
  );
  const out = be.empty(g.outShape, 'concat');
  const outBlock = g.outShape[g.axis] * g.inner;
  xs.forEach((x, i) => {
    // An input empty along the axis (or an empty output) has nothing to copy.
    if (x.size === 0) return;
    const block = g.sizes[i] * g.inner;
    be.run(
      {
        kernel: CONCAT,
        overrides: { WG, ALIGNED: block % 4 === 0 ? 1 : 0 },
        uniforms: packUniforms([
          ['u32', x.size],
          ['u32', block],
          ['u32', outBlock],
          ['u32', g.offsets[i] * g.inner],
        ]),
        workgroups: grid1d(ceilDiv(ceilDiv(x.size, 4), WG), be.limits.maxComputeWorkgroupsPerDimension, 'concat'),
        label: `concat input ${i}`,
      },
      [x, out],
    );
  });
  return out;
}
