/**
 * WebGPU batch normalization: inference with the running statistics (one vec4 elementwise
 * pass, activation fused; shaders/batchnorm.wgsl) and training (a per-channel reduction for
 * the batch statistics, in two stages for few long channels, then an elementwise pass) with its backward (likewise;
 * shaders/batchnorm_train.wgsl). Shape inference and parameter checks: src/ops/normalization.ts
 * (inference) and src/ops/batchnorm.ts (training), shared with the CPU reference and run before
 * any GPU work.
 */
import batchNormWgsl from '../../../../shaders/batchnorm.wgsl?raw';
import batchNormTrainWgsl from '../../../../shaders/batchnorm_train.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withActivation, withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { activationOverrides } from '../../../ops/activation.js';
import { type BatchNormParams, inferBatchNorm } from '../../../ops/normalization.js';
import { checkBatchNormTrain, inferBatchNormBackward } from '../../../ops/batchnorm.js';
import type { BatchNormTrainParams } from '../../training.js';
import { type ReductionSplit, selectReductionSplit } from '../reduction.js';

/** batchnorm.wgsl's uniforms: x viewed as (N, C, S), processed as count4 = ⌈N·C·S / 4⌉ vec4s. */
const BN_PARAMS = uniformStruct('BatchNormParams', { count4: 'u32', spatial: 'u32', channels: 'u32', epsilon: 'f32' });

/** batchnorm_train.wgsl's uniforms: x viewed as (N, C, S). */
const BN_TRAIN_PARAMS = uniformStruct('BatchNormTrainParams', {
  channels: 'u32', spatial: 'u32',
  // M = N·S, and ⌈N·C·S / 4⌉: vec4s of the elementwise passes
  count: 'u32', count4: 'u32',
  momentum: 'f32', epsilon: 'f32',
  // M / (M − 1): biased to unbiased variance
  unbias: 'f32',
  // The reductions: parts per channel and values per part (selectReductionSplit), and an
  // invocation's step through a channel, ⌊WG / S⌋ images and WG mod S positions.
  parts: 'u32', chunk: 'u32', step_n: 'u32', step_s: 'u32',
});

/** Invocations per workgroup of the elementwise passes. */
const WG = 256;
/** Invocations per workgroup of the per-channel reductions. */
const WG_REDUCE = 128;

const BATCH_NORM: KernelSpec = {
  name: 'batchnorm',
  code: withActivation(withPreludes(batchNormWgsl, BN_PARAMS, INDEX_PRELUDE)),
  entryPoint: 'main',
  // params, x, gamma, beta, mean, variance, y
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'write'],
};

// One shader module for training: the specs share its name and code, and differ by entry point.
const bnCode = withActivation(withPreludes(batchNormTrainWgsl, BN_TRAIN_PARAMS, INDEX_PRELUDE));
const BN_STATS: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'stats',
  // params, x, mean, invStd, runningMean (in place), runningVar (in place)
  bindings: ['uniform', 'read', 'write', 'write', 'write', 'write'],
};
const BN_APPLY: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'apply',
  // params, x, mean, invStd, gamma, beta, y
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'write'],
};
const BN_BACKWARD_REDUCE: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'backward_reduce',
  // params, x, mean, invStd, dy, dgamma, dbeta
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'write', 'write'],
};
const BN_STATS_PARTIAL: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'stats_partial',
  // params, x, partials (C, parts) of vec2
  bindings: ['uniform', 'read', 'write'],
};
const BN_STATS_COMBINE: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'stats_combine',
  // params, partials, mean, invStd, runningMean (in place), runningVar (in place)
  bindings: ['uniform', 'read', 'write', 'write', 'write', 'write'],
};
const BN_BACKWARD_PARTIAL: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'backward_partial',
  // params, x, mean, invStd, dy, partials (C, parts) of vec2
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'write'],
};
const BN_BACKWARD_COMBINE: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'backward_combine',
  // params, partials, mean, invStd, dy (unread), dgamma, dbeta
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'write', 'write'],
};
const BN_BACKWARD_DX: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'backward_dx',
  // params, x, mean, invStd, dy, gamma, dgamma, dbeta, dx
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'write'],
};

/** `params` tensors are already checked to be this backend's GpuTensors. */
export function batchNormGpu(be: KernelContext, x: GpuTensor, params: BatchNormParams): GpuTensor {
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
  const wg = flatWorkgroup(be.limits);
  be.run(
    {
      kernel: BATCH_NORM,
      overrides: { WG: wg, ALIGNED: g.spatial % 4 === 0 ? 1 : 0, ...activationOverrides(g.act) },
      uniforms: BN_PARAMS.pack({ count4, spatial: g.spatial, channels: g.channels, epsilon: g.epsilon }),
      workgroups: grid1d(ceilDiv(count4, wg), be.limits.maxComputeWorkgroupsPerDimension, 'batchNorm'),
      label: params.name ? `batchNorm '${params.name}'` : 'batchNorm',
    },
    [x, gamma, beta, mean, variance, out],
  );
  return out;
}

/** Batch norm training's uniforms for `total` values of x, its reductions cut by `split`. */
function bnTrainUniforms(channels: number, spatial: number, count: number, total: number, split: ReductionSplit, momentum = 0, epsilon = 0): ArrayBuffer {
  const s = Math.max(1, spatial);
  return BN_TRAIN_PARAMS.pack({
    channels, spatial, count, count4: ceilDiv(total, 4), momentum, epsilon, unbias: count > 1 ? count / (count - 1) : 0,
    parts: split.parts, chunk: split.chunk, step_n: Math.floor(WG_REDUCE / s), step_s: WG_REDUCE % s,
  });
}

/**
 * Runs a per-channel reduction in one pass (`single`, one workgroup per channel) or, when
 * `split` cuts channels into parts, as `partial` into a (C, parts) scratch of vec2 then
 * `combine` (one invocation per channel). `buffers(partials)` gives each entry its bindings.
 */
function reducePerChannel(
  be: KernelContext, channels: number, split: ReductionSplit, uniforms: ArrayBuffer, label: string,
  single: [KernelSpec, readonly GpuTensor[]],
  partial: (partials: GpuTensor) => [KernelSpec, readonly GpuTensor[]],
  combine: (partials: GpuTensor) => [KernelSpec, readonly GpuTensor[]],
): void {
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  if (split.parts === 1) {
    be.run({ kernel: single[0], overrides: { WG: WG_REDUCE }, uniforms, workgroups: grid1d(channels, maxDim, label), label }, single[1]);
    return;
  }
  const partials = be.empty([channels, split.parts, 2], label); // (C, parts) × 2
  try {
    const [pk, pb] = partial(partials);
    be.run({ kernel: pk, overrides: { WG: WG_REDUCE }, uniforms, workgroups: grid1d(channels * split.parts, maxDim, label), label: `${label} parts` }, pb);
    const [ck, cb] = combine(partials);
    be.run({ kernel: ck, overrides: { WG: WG_REDUCE }, uniforms, workgroups: grid1d(ceilDiv(channels, WG_REDUCE), maxDim, label), label }, cb);
  } finally {
    partials.dispose();
  }
}

export function batchNormTrainGpu(
  be: KernelContext,
  x: GpuTensor,
  gamma: GpuTensor,
  beta: GpuTensor,
  runningMean: GpuTensor,
  runningVar: GpuTensor,
  params: BatchNormTrainParams,
): { y: GpuTensor; mean: GpuTensor; invStd: GpuTensor } {
  const g = checkBatchNormTrain({ x, gamma, beta, runningMean, runningVar }, params);
  const label = params.name ? `batchNormTrain '${params.name}'` : 'batchNormTrain';
  const y = be.empty(g.outShape, 'batchNormTrain');
  const mean = be.empty([g.channels], 'batchNormTrain');
  const invStd = be.empty([g.channels], 'batchNormTrain');
  if (g.channels === 0) return { y, mean, invStd };
  const split = selectReductionSplit(g.channels, g.count);
  const uniforms = bnTrainUniforms(g.channels, g.spatial, g.count, y.size, split, g.momentum, g.epsilon);
  reducePerChannel(
    be, g.channels, split, uniforms, `${label} statistics`,
    [BN_STATS, [x, mean, invStd, runningMean, runningVar]],
    (partials) => [BN_STATS_PARTIAL, [x, partials]],
    (partials) => [BN_STATS_COMBINE, [partials, mean, invStd, runningMean, runningVar]],
  );
  be.run(
    {
      kernel: BN_APPLY,
      overrides: { WG, ...activationOverrides(g.act) },
      uniforms,
      workgroups: grid1d(ceilDiv(y.size, 4 * WG), be.limits.maxComputeWorkgroupsPerDimension, 'batchNormTrain'),
      label,
    },
    [x, mean, invStd, gamma, beta, y],
  );
  return { y, mean, invStd };
}

export function batchNormBackwardGpu(
  be: KernelContext,
  x: GpuTensor,
  dy: GpuTensor,
  gamma: GpuTensor,
  mean: GpuTensor,
  invStd: GpuTensor,
): { dx: GpuTensor; dgamma: GpuTensor; dbeta: GpuTensor } {
  const g = inferBatchNormBackward(x.shape, dy.shape, { gamma: gamma.shape, mean: mean.shape, invStd: invStd.shape });
  const dx = be.empty(x.shape, 'batchNormBackward');
  const dgamma = be.empty([g.channels], 'batchNormBackward');
  const dbeta = be.empty([g.channels], 'batchNormBackward');
  if (g.channels === 0) return { dx, dgamma, dbeta };
  const split = selectReductionSplit(g.channels, g.count);
  const uniforms = bnTrainUniforms(g.channels, g.spatial, g.count, x.size, split);
  reducePerChannel(
    be, g.channels, split, uniforms, 'batchNormBackward dgamma, dbeta',
    [BN_BACKWARD_REDUCE, [x, mean, invStd, dy, dgamma, dbeta]],
    (partials) => [BN_BACKWARD_PARTIAL, [x, mean, invStd, dy, partials]],
    (partials) => [BN_BACKWARD_COMBINE, [partials, mean, invStd, dy, dgamma, dbeta]],
  );
  if (x.size === 0) return { dx, dgamma, dbeta };
  be.run(
    {
      kernel: BN_BACKWARD_DX,
      overrides: { WG },
      uniforms,
      workgroups: grid1d(ceilDiv(x.size, 4 * WG), be.limits.maxComputeWorkgroupsPerDimension, 'batchNormBackward'),
      label: 'batchNormBackward dx',
    },
    [x, mean, invStd, dy, gamma, dgamma, dbeta, dx],
  );
  return { dx, dgamma, dbeta };
}
