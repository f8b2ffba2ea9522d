/**
 * WebGPU gradient plumbing and concatenation: sumTo (the backward of a broadcasting add; a
 * gather per output value, or a workgroup reduction per output value for long sums), slice (the
 * backward of concat), accumulate (in place) — shaders/tensor_ops.wgsl — and concat (one copy
 * dispatch per input into its slice of the output; shaders/concat.wgsl). Shape inference:
 * src/ops/tensor_ops.ts and, for concat, src/ops/normalization.ts, run before any GPU work.
 */
import tensorOpsWgsl from '../../../../shaders/tensor_ops.wgsl?raw';
import concatWgsl from '../../../../shaders/concat.wgsl?raw';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import { type KernelSpec, grid1d, ceilDiv, flatWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';
import { type Shape, fmtShape, stridesOf } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import { inferSumTo, inferSlice, checkSameShape, checkNoAlias } from '../../../ops/tensor_ops.js';
import { inferConcat } from '../../../ops/normalization.js';

/** Largest rank sumTo handles: its per-dimension lists are two vec4s in the uniforms. */
const MAX_RANK = 8;

/**
 * sumTo's uniforms. x (rank ≤ 8) is seen through its kept dimensions (the target shape padded
 * to x's rank: x's size where kept, 1 where reduced) and its reduced dimensions (the reverse).
 */
const SUM_TO_PARAMS = uniformStruct('SumToParams', {
  out_count: 'u32', reduced: 'u32', rank: 'u32',
  // Per dimension of x: the kept and the reduced shapes and their row-major strides, x's strides.
  kept_dims: ['u32', MAX_RANK], kept_strides: ['u32', MAX_RANK],
  reduced_dims: ['u32', MAX_RANK], reduced_strides: ['u32', MAX_RANK],
  x_strides: ['u32', MAX_RANK],
});
/** slice's uniforms: x viewed as (outer, axis_len, inner), the output as (outer, size, inner). */
const SLICE_PARAMS = uniformStruct('SliceParams', {
  count: 'u32',
  // size·inner and axis_len·inner: one outer block of the output and of x; start·inner.
  out_block: 'u32', in_block: 'u32', offset: 'u32',
});
/** accumulate's uniforms: vec4s of the accumulator. */
const ACCUMULATE_PARAMS = uniformStruct('AccumulateParams', { count4: 'u32' });
/** concat's uniforms for one input x, viewed as (outer, size, inner) inside the output (outer, total, inner). */
const CONCAT_PARAMS = uniformStruct('ConcatParams', {
  // Elements of x; size·inner and total·inner: one row of x and of the output; offset·inner:
  // where x's rows start inside the output's rows.
  count: 'u32', block: 'u32', out_block: 'u32', start: 'u32',
});

/** Invocations per workgroup of sumTo's per-output reduction. */
const WG_REDUCE = 128;
/** sumTo reduces with a whole workgroup per output value from this many summands up. */
const SUM_TO_WORKGROUP_FROM = 128;

// One module for sumTo, slice and accumulate; params, x, out (accumulate: params, x, acc in place).
const CODE = withPreludes(tensorOpsWgsl, SUM_TO_PARAMS, SLICE_PARAMS, ACCUMULATE_PARAMS, INDEX_PRELUDE);
const spec = (entryPoint: string): KernelSpec => ({ name: 'tensor_ops', code: CODE, entryPoint, bindings: ['uniform', 'read', 'write'] });
const SUM_TO_THREAD = spec('sum_to_thread');
const SUM_TO_WORKGROUP = spec('sum_to_workgroup');
const SLICE = spec('slice');
const ACCUMULATE = spec('accumulate');
const CONCAT: KernelSpec = {
  name: 'concat',
  code: withPreludes(concatWgsl, CONCAT_PARAMS, INDEX_PRELUDE),
  entryPoint: 'main',
  bindings: ['uniform', 'read', 'write'],
};

export function sumToGpu(be: KernelContext, x: GpuTensor, shape: Shape): GpuTensor {
  const WG = flatWorkgroup(be.limits);
  const g = inferSumTo(x.shape, shape);
  if (g.rank > MAX_RANK) throw new ShapeError('sumTo', `rank ${g.rank} is above the supported ${MAX_RANK} (input ${fmtShape(x.shape)})`);
  const out = be.empty(g.outShape, 'sumTo');
  // An input with a reduced dimension of 0 still gives an output of zeros: dispatched, not assumed.
  if (out.size === 0) return out;
  const uniforms = SUM_TO_PARAMS.pack({
    out_count: out.size, reduced: g.reduced, rank: g.rank,
    kept_dims: g.keptShape, kept_strides: stridesOf(g.keptShape),
    reduced_dims: g.reducedShape, reduced_strides: stridesOf(g.reducedShape),
    x_strides: g.xStrides,
  });
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

export function sliceGpu(be: KernelContext, x: GpuTensor, axis: number, start: number, size: number): GpuTensor {
  const WG = flatWorkgroup(be.limits);
  const g = inferSlice(x.shape, axis, start, size);
  const out = be.empty(g.outShape, 'slice');
  if (out.size === 0) return out;
  be.run(
    {
      kernel: SLICE,
      overrides: { WG },
      uniforms: SLICE_PARAMS.pack({ count: out.size, out_block: g.size * g.inner, in_block: g.axisLen * g.inner, offset: g.start * g.inner }),
      workgroups: grid1d(ceilDiv(out.size, WG), be.limits.maxComputeWorkgroupsPerDimension, 'slice'),
      label: 'slice',
    },
    [x, out],
  );
  return out;
}

export function accumulateGpu(be: KernelContext, acc: GpuTensor, x: GpuTensor): void {
  const WG = flatWorkgroup(be.limits);
  checkSameShape('accumulate', 'accumulator', acc.shape, 'input', x.shape);
  checkNoAlias('accumulate', [['the accumulator', acc.storage], ['the input', x.storage]], 1);
  if (acc.size === 0) return;
  const count4 = ceilDiv(acc.size, 4);
  be.run(
    {
      kernel: ACCUMULATE,
      overrides: { WG },
      uniforms: ACCUMULATE_PARAMS.pack({ count4 }),
      workgroups: grid1d(ceilDiv(count4, WG), be.limits.maxComputeWorkgroupsPerDimension, 'accumulate'),
      label: 'accumulate',
    },
    [x, acc],
  );
}

export function concatGpu(be: KernelContext, xs: readonly GpuTensor[], axis: number): GpuTensor {
  const WG = flatWorkgroup(be.limits);
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
        uniforms: CONCAT_PARAMS.pack({ count: x.size, block, out_block: outBlock, start: g.offsets[i] * g.inner }),
        workgroups: grid1d(ceilDiv(ceilDiv(x.size, 4), WG), be.limits.maxComputeWorkgroupsPerDimension, 'concat'),
        label: `concat input ${i}`,
      },
      [x, out],
    );
  });
  return out;
}
