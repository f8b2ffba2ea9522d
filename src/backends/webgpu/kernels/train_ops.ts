/**
 * WebGPU training-mode batch norm (a per-channel workgroup reduction for the statistics, then
 * an elementwise pass; the backward likewise), dropout (a counter-based hash mask), gradient
 * plumbing (sumTo as a gather per output value or per workgroup, slice, accumulate) and the
 * optimizers (one elementwise in-place pass each). Shape inference and parameter checks are
 * the CPU reference's (../../cpu/train_ops.ts) and run before any GPU work.
 */
import batchNormTrainWgsl from '../../../../shaders/batchnorm_train.wgsl?raw';
import dropoutWgsl from '../../../../shaders/dropout.wgsl?raw';
import optimizerWgsl from '../../../../shaders/optimizer.wgsl?raw';
import tensorOpsWgsl from '../../../../shaders/tensor_ops.wgsl?raw';
import type { WebGpuBackend } from '../backend.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, type UniformField, packUniforms, grid1d, ceilDiv } from '../program.js';
import { withActivation } from '../shaders.js';
import { activationOverrides } from '../../../ops/activation.js';
import { type Shape, fmtShape, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import type { BatchNormTrainParams, SgdParams, AdamParams } from '../../training.js';
import {
  inferBatchNormTrain, inferBatchNormBackward, inferDropoutTrain, inferSumTo, inferSlice, inferSgd, inferAdam,
  checkSameShape, checkNoAlias,
} from '../../cpu/train_ops.js';

/** Invocations per workgroup of the elementwise passes. */
const WG = 256;
/** Invocations per workgroup of the per-channel / per-output reductions. */
const WG_REDUCE = 128;
/** sumTo reduces with a whole workgroup per output value from this many summands up. */
const SUM_TO_WORKGROUP_FROM = 128;

// One shader module per file: the specs of a file share its name and code, and differ by entry point.
const bnCode = withActivation(batchNormTrainWgsl);
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
const BN_BACKWARD_DX: KernelSpec = {
  name: 'batchnorm_train',
  code: bnCode,
  entryPoint: 'backward_dx',
  // params, x, mean, invStd, dy, gamma, dgamma, dbeta, dx
  bindings: ['uniform', 'read', 'read', 'read', 'read', 'read', 'read', 'read', 'write'],
};
// params, x, seed, y, mask
const DROPOUT: KernelSpec = { name: 'dropout', code: dropoutWgsl, entryPoint: 'main', bindings: ['uniform', 'read', 'read', 'write', 'write'] };
// params, grad, hyper, param (, velocity | m, v)
const SGD: KernelSpec = { name: 'optimizer', code: optimizerWgsl, entryPoint: 'sgd', bindings: ['uniform', 'read', 'read', 'write'] };
const SGD_MOMENTUM: KernelSpec = {
  name: 'optimizer',
  code: optimizerWgsl,
  entryPoint: 'sgd_momentum',
  bindings: ['uniform', 'read', 'read', 'write', 'write'],
};
const ADAM: KernelSpec = {
  name: 'optimizer',
  code: optimizerWgsl,
  entryPoint: 'adam',
  bindings: ['uniform', 'read', 'read', 'write', 'write', 'write'],
};
// params, x, out
const SUM_TO_THREAD: KernelSpec = { name: 'tensor_ops', code: tensorOpsWgsl, entryPoint: 'sum_to_thread', bindings: ['uniform', 'read', 'write'] };
const SUM_TO_WORKGROUP: KernelSpec = { name: 'tensor_ops', code: tensorOpsWgsl, entryPoint: 'sum_to_workgroup', bindings: ['uniform', 'read', 'write'] };
const SLICE: KernelSpec = { name: 'tensor_ops', code: tensorOpsWgsl, entryPoint: 'slice', bindings: ['uniform', 'read', 'write'] };
// params, x, acc (in place)
const ACCUMULATE: KernelSpec = { name: 'tensor_ops', code: tensorOpsWgsl, entryPoint: 'accumulate', bindings: ['uniform', 'read', 'write'] };

const u32 = (v: number): UniformField => ['u32', v];
const f32 = (v: number): UniformField => ['f32', v];

/** Workgroups for an elementwise pass of `count4` vec4s. */
function vec4Grid(be: WebGpuBackend, count4: number, what: string): [number, number, number] {
  return grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, what);
}

/** Batch norm's uniforms (shaders/batchnorm_train.wgsl `Params`). */
function bnUniforms(channels: number, spatial: number, count: number, total: number, momentum = 0, epsilon = 0): ArrayBuffer {
  return packUniforms([
    u32(channels), u32(spatial), u32(count), u32(ceilDiv(total, 4)),
    f32(momentum), f32(epsilon), f32(count > 1 ? count / (count - 1) : 0),
  ]);
}

export function batchNormTrainGpu(
  be: WebGpuBackend,
  x: GpuTensor,
  gamma: GpuTensor,
  beta: GpuTensor,
  runningMean: GpuTensor,
  runningVar: GpuTensor,
  params: BatchNormTrainParams,
): { y: GpuTensor; mean: GpuTensor; invStd: GpuTensor } {
  const g = inferBatchNormTrain(x.shape, { gamma: gamma.shape, beta: beta.shape, runningMean: runningMean.shape, runningVar: runningVar.shape }, params);
  checkNoAlias(
    'batchNormTrain',
    [['runningMean', runningMean.storage], ['runningVar', runningVar.storage], ['input', x.storage], ['gamma', gamma.storage], ['beta', beta.storage]],
    2,
  );
  const label = params.name ? `batchNormTrain '${params.name}'` : 'batchNormTrain';
  const y = be.empty(g.outShape, 'batchNormTrain');
  const mean = be.empty([g.channels], 'batchNormTrain');
  const invStd = be.empty([g.channels], 'batchNormTrain');
  if (g.channels === 0) return { y, mean, invStd };
  const uniforms = bnUniforms(g.channels, g.spatial, g.count, y.size, g.momentum, g.epsilon);
  be.run(
    {
      kernel: BN_STATS,
      overrides: { WG: WG_REDUCE },
      uniforms,
      workgroups: grid1d(g.channels, be.limits.maxComputeWorkgroupsPerDimension, 'batchNormTrain'),
      label: `${label} statistics`,
    },
    [x, mean, invStd, runningMean, runningVar],
  );
  be.run(
    {
      kernel: BN_APPLY,
      overrides: { WG, ...activationOverrides(g.act) },
      uniforms,
      workgroups: vec4Grid(be, ceilDiv(y.size, 4), 'batchNormTrain'),
      label,
    },
    [x, mean, invStd, gamma, beta, y],
  );
  return { y, mean, invStd };
}

export function batchNormBackwardGpu(
  be: WebGpuBackend,
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
  const uniforms = bnUniforms(g.channels, g.spatial, g.count, x.size);
  be.run(
    {
      kernel: BN_BACKWARD_REDUCE,
      overrides: { WG: WG_REDUCE },
      uniforms,
      workgroups: grid1d(g.channels, be.limits.maxComputeWorkgroupsPerDimension, 'batchNormBackward'),
      label: 'batchNormBackward dgamma, dbeta',
    },
    [x, mean, invStd, dy, dgamma, dbeta],
  );
  if (x.size === 0) return { dx, dgamma, dbeta };
  be.run(
    {
      kernel: BN_BACKWARD_DX,
      overrides: { WG },
      uniforms,
      workgroups: vec4Grid(be, ceilDiv(x.size, 4), 'batchNormBackward'),
      label: 'batchNormBackward dx',
    },
    [x, mean, invStd, dy, gamma, dgamma, dbeta, dx],
  );
  return { dx, dgamma, dbeta };
}

export function dropoutTrainGpu(be: WebGpuBackend, x: GpuTensor, rate: number, seed: GpuTensor): { y: GpuTensor; mask: GpuTensor } {
  const cfg = inferDropoutTrain(x.shape, rate, seed.shape);
  const y = be.empty(x.shape, 'dropoutTrain');
  const mask = be.empty(x.shape, 'dropoutTrain');
  if (x.size === 0) return { y, mask };
  const count4 = ceilDiv(x.size, 4);
  be.run(
    {
      kernel: DROPOUT,
      overrides: { WG },
      uniforms: packUniforms([u32(count4), u32(cfg.threshold), f32(cfg.scale)]),
      workgroups: vec4Grid(be, count4, 'dropoutTrain'),
      label: 'dropoutTrain',
    },
    [x, seed, y, mask],
  );
  return { y, mask };
}

const MAX_RANK = 8;

export function sumToGpu(be: WebGpuBackend, x: GpuTensor, shape: Shape): GpuTensor {
  const g = inferSumTo(x.shape, shape);
  if (g.rank > MAX_RANK) throw new ShapeError('sumTo', `rank ${g.rank} is above the supported ${MAX_RANK} (input ${fmtShape(x.shape)})`);
  const out = be.empty(g.outShape, 'sumTo');
  // An input with a reduced dimension of 0 still gives an output of zeros: dispatched, not assumed.
  if (out.size === 0) return out;
  const pad8 = (s: readonly number[]): UniformField[] => [...s, ...new Array<number>(MAX_RANK - s.length).fill(1)].map(u32);
  const uniforms = packUniforms([
    u32(out.size), u32(g.reduced), u32(g.rank), u32(0),
    ...pad8(g.keptShape), ...pad8(stridesOf(g.keptShape)),
    ...pad8(g.reducedShape), ...pad8(stridesOf(g.reducedShape)),
    ...pad8(g.xStrides),
  ]);
  const perWorkgroup = g.reduced >= SUM_TO_WORKGROUP_FROM && !be.debug.forceNaive;
  const maxDim = be.limits.maxComputeWorkgroupsPerDimension;
  be.run(
    {
      kernel: perWorkgroup ? SUM_TO_WORKGROUP : SUM_TO_THREAD,
      overrides: { WG: perWorkgroup ? WG_REDUCE : WG },
      uniforms,
      workgroups: perWorkgroup ? grid1d(out.size, maxDim, 'sumTo') : grid1d(ceilDiv(out.size, WG), maxDim, 'sumTo'),
      label: 'sumTo',
    },
    [x, out],
  );
  return out;
}

export function sliceGpu(be: WebGpuBackend, x: GpuTensor, axis: number, start: number, size: number): GpuTensor {
  const g = inferSlice(x.shape, axis, start, size);
  const out = be.empty(g.outShape, 'slice');
  if (out.size === 0) return out;
  be.run(
    {
      kernel: SLICE,
      overrides: { WG },
      uniforms: packUniforms([u32(out.size), u32(g.size * g.inner), u32(g.axisLen * g.inner), u32(g.start * g.inner)]),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'slice'),
      label: 'slice',
    },
    [x, out],
  );
  return out;
}

export function accumulateGpu(be: WebGpuBackend, acc: GpuTensor, x: GpuTensor): void {
  checkSameShape('accumulate', 'accumulator', acc.shape, 'input', x.shape);
  checkNoAlias('accumulate', [['the accumulator', acc.storage], ['the input', x.storage]], 1);
  if (acc.size === 0) return;
  const count4 = ceilDiv(acc.size, 4);
  be.run(
    { kernel: ACCUMULATE, overrides: { WG }, uniforms: packUniforms([u32(count4)]), workgroups: vec4Grid(be, count4, 'accumulate'), label: 'accumulate' },
    [x, acc],
  );
}

export function sgdStepGpu(be: WebGpuBackend, param: GpuTensor, grad: GpuTensor, velocity: GpuTensor | undefined, hyper: GpuTensor, params: SgdParams): void {
  const cfg = inferSgd(param.shape, grad.shape, velocity?.shape, hyper.shape, params);
  const v = cfg.momentum > 0 ? velocity : undefined;
  const state: [string, unknown][] = v ? [['velocity', v.storage]] : [];
  checkNoAlias('sgdStep', [['param', param.storage], ...state, ['grad', grad.storage], ['hyper', hyper.storage]], 1 + state.length);
  if (param.size === 0) return;
  const count4 = ceilDiv(param.size, 4);
  const uniforms = packUniforms([u32(count4), f32(cfg.momentum), f32(0), f32(0), f32(cfg.weightDecay)]);
  const workgroups = vec4Grid(be, count4, 'sgdStep');
  if (v) {
    be.run({ kernel: SGD_MOMENTUM, overrides: { WG, NESTEROV: cfg.nesterov ? 1 : 0 }, uniforms, workgroups, label: 'sgdStep' }, [grad, hyper, param, v]);
  } else {
    be.run({ kernel: SGD, overrides: { WG }, uniforms, workgroups, label: 'sgdStep' }, [grad, hyper, param]);
  }
}

export function adamStepGpu(be: WebGpuBackend, param: GpuTensor, grad: GpuTensor, m: GpuTensor, v: GpuTensor, hyper: GpuTensor, params: AdamParams): void {
  const cfg = inferAdam(param.shape, grad.shape, m.shape, v.shape, hyper.shape, params);
  checkNoAlias('adamStep', [['param', param.storage], ['m', m.storage], ['v', v.storage], ['grad', grad.storage], ['hyper', hyper.storage]], 3);
  if (param.size === 0) return;
  const count4 = ceilDiv(param.size, 4);
  be.run(
    {
      kernel: ADAM,
      overrides: { WG },
      uniforms: packUniforms([
        u32(count4), f32(cfg.beta1), f32(cfg.beta2), f32(cfg.epsilon), f32(cfg.weightDecay), f32(1 - cfg.beta1), f32(1 - cfg.beta2),
      ]),
      workgroups: vec4Grid(be, count4, 'adamStep'),
      label: 'adamStep',
    },
    [grad, hyper, param, m, v],
  );
}
