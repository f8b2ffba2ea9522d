/**
 * WebGPU reductions (shaders/reduce.wgsl, reduce_backward.wgsl): one workgroup per output, any
 * set of axes of a rank ≤ 8 input; argReduce is the same layout with one reduced axis.
 */
import reduceWgsl from '../../../../shaders/reduce.wgsl?raw';
import reduceBackwardWgsl from '../../../../shaders/reduce_backward.wgsl?raw';
import reduceIndexWgsl from '../../../../shaders/reduce_index.wgsl?raw';
import type { Shape } from '../../../shape.js';
import { ShapeError } from '../../../errors.js';
import { type ArgReduceAttrs, type ReduceAttrs, REDUCE_KINDS, reduceGeometry } from '../../../ops/reduce.js';
import type { KernelContext } from '../kernel_context.js';
import type { GpuTensor } from '../gpu_tensor.js';
import type { GpuKernel } from '../gpu_kernels.js';
import { type KernelSpec, grid1d, rowWorkgroup } from '../program.js';
import { withPreludes, INDEX_PRELUDE, IEEE_PRELUDE } from '../shaders.js';
import { uniformStruct } from '../uniform_struct.js';

/** Largest rank: the size and stride lists are two vec4s of the uniforms. */
const MAX_RANK = 8;

/** Outputs, elements reduced into each, and the kept and reduced axes' sizes and strides in x. */
const REDUCE_PARAMS = uniformStruct('ReduceParams', {
  outputs: 'u32',
  count: 'u32',
  kept_rank: 'u32',
  red_rank: 'u32',
  kept_dims: ['u32', MAX_RANK],
  kept_strides: ['u32', MAX_RANK],
  red_dims: ['u32', MAX_RANK],
  red_strides: ['u32', MAX_RANK],
});

const code = (wgsl: string) => withPreludes(wgsl, REDUCE_PARAMS, INDEX_PRELUDE, IEEE_PRELUDE, reduceIndexWgsl);
const FORWARD: KernelSpec = { name: 'reduce', code: code(reduceWgsl), entryPoint: 'main', bindings: ['uniform', 'read', 'write'] };
const ARG: KernelSpec = { name: 'reduce', code: FORWARD.code, entryPoint: 'arg_main', bindings: ['uniform', 'read', 'write'] };
const BACKWARD: KernelSpec = { name: 'reduce_backward', code: code(reduceBackwardWgsl), entryPoint: 'main', bindings: ['uniform', 'read', 'read', 'read', 'write'] };

/** The uniforms, workgroup size and grid of a reduction of x over `axes`, checked against the device. */
function setup(kc: KernelContext, op: string, x: Shape, axes: readonly number[]) {
  if (x.length > MAX_RANK) throw new ShapeError(op, `rank ${x.length} is above the supported ${MAX_RANK}`);
  const g = reduceGeometry(x, axes, false);
  const wg = rowWorkgroup(g.count, kc.limits.maxComputeInvocationsPerWorkgroup);
  return {
    g,
    wg,
    workgroups: grid1d(g.outputs, kc.limits.maxComputeWorkgroupsPerDimension, op),
    uniforms: REDUCE_PARAMS.pack({
      outputs: g.outputs,
      count: g.count,
      kept_rank: g.keptDims.length,
      red_rank: g.redDims.length,
      kept_dims: g.keptDims,
      kept_strides: g.keptStrides,
      red_dims: g.redDims,
      red_strides: g.redStrides,
    }),
  };
}

export function reduceGpu(kc: KernelContext, [x]: readonly GpuTensor[], { kind, axes }: ReduceAttrs, outShape: Shape): GpuTensor {
  const s = setup(kc, 'reduce', x.shape, axes);
  const out = kc.empty(outShape, 'reduce');
  if (s.g.outputs === 0) return out;
  kc.run({ kernel: FORWARD, overrides: { WG: s.wg, KIND: REDUCE_KINDS.indexOf(kind) }, uniforms: s.uniforms, workgroups: s.workgroups, label: `reduce ${kind}` }, [x, out]);
  return out;
}

export function reduceBackwardGpu(kc: KernelContext, [x, y, dy]: readonly GpuTensor[], { kind, axes }: ReduceAttrs, outShape: Shape): GpuTensor {
  const s = setup(kc, 'reduceBackward', x.shape, axes);
  const dx = kc.empty(outShape, 'reduceBackward');
  if (s.g.outputs === 0 || s.g.count === 0) return dx;
  kc.run({ kernel: BACKWARD, overrides: { WG: s.wg, KIND: REDUCE_KINDS.indexOf(kind) }, uniforms: s.uniforms, workgroups: s.workgroups, label: `reduce ${kind} backward` }, [x, y, dy, dx]);
  return dx;
}

export function argReduceGpu(kc: KernelContext, [x]: readonly GpuTensor[], { kind, axis, selectLast }: ArgReduceAttrs, outShape: Shape): GpuTensor {
  const s = setup(kc, 'argReduce', x.shape, [axis]);
  const out = kc.empty(outShape, 'argReduce');
  if (s.g.outputs === 0) return out;
  kc.run(
    { kernel: ARG, overrides: { WG: s.wg, ARG_MAX: kind === 'max' ? 1 : 0, SELECT_LAST: selectLast ? 1 : 0 }, uniforms: s.uniforms, workgroups: s.workgroups, label: `arg${kind}` },
    [x, out],
  );
  return out;
}

export const gpuKernels: Readonly<Record<string, GpuKernel>> = { reduce: reduceGpu, reduceBackward: reduceBackwardGpu, argReduce: argReduceGpu };
